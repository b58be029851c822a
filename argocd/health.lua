-- Argo CD health of a grayrelease.io/GrayRelease, read from its status alone.
--
-- Succeeded -> Healthy; Pending, Progressing, a pending command or an unobserved generation
-- -> Progressing; Paused -> Suspended (with the pause reason); RolledBack, Aborted and
-- Degraded -> Degraded. The message is the operator's own status.message.
local hs = {}
local status = obj.status
if status == nil or status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the grayrelease operator to observe the resource"
  return hs
end

local message = status.message or ""
local generation = obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end
if status.command ~= nil and status.command.action ~= nil then
  hs.status = "Progressing"
  hs.message = "Command " .. status.command.action .. " requested, waiting for the operator"
  return hs
end

local phase = status.phase
if phase == "Succeeded" then
  hs.status = "Healthy"
elseif phase == "Paused" then
  hs.status = "Suspended"
  local reason = status.pauseReason or "Paused"
  if message == "" then
    message = reason
  elseif string.find(message, reason, 1, true) == nil then
    message = reason .. ": " .. message
  end
elseif phase == "RolledBack" or phase == "Aborted" or phase == "Degraded" then
  hs.status = "Degraded"
  if message == "" then
    message = phase
  end
elseif phase == "Pending" or phase == "Progressing" then
  hs.status = "Progressing"
else
  hs.status = "Unknown"
  message = "Unknown phase " .. tostring(phase) .. (message ~= "" and (": " .. message) or "")
end
hs.message = message
return hs
