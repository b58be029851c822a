-- Which grayrelease actions Argo CD offers for this GrayRelease: the same phase rules as
-- `kubectl gray` and the operator (a command that cannot do anything is disabled).
local actions = {}
actions["promote"] = {["disabled"] = true, ["iconClass"] = "fa fa-fw fa-forward"}
actions["promote-full"] = {["disabled"] = true, ["iconClass"] = "fa fa-fw fa-fast-forward"}
actions["abort"] = {["disabled"] = true, ["iconClass"] = "fa fa-fw fa-times-circle"}
actions["retry"] = {["disabled"] = true, ["iconClass"] = "fa fa-fw fa-redo-alt"}
actions["pause"] = {["disabled"] = true, ["iconClass"] = "fa fa-fw fa-pause-circle"}
actions["resume"] = {["disabled"] = true, ["iconClass"] = "fa fa-fw fa-play-circle"}

local status = obj.status
if status == nil or status.phase == nil then
  return actions
end
local phase = status.phase

if phase == "RolledBack" or phase == "Aborted" then
  actions["retry"]["disabled"] = false
  return actions
end
if phase ~= "Progressing" and phase ~= "Paused" then
  return actions
end

-- A release is in progress when a canary revision other than the stable one is out, and the
-- steps are not all done (past the last step the operator is already promoting).
local releasing = status.canaryRevision ~= nil and status.canaryRevision ~= status.stableRevision
local steps = 0
if obj.spec ~= nil and obj.spec.strategy ~= nil and obj.spec.strategy.steps ~= nil then
  steps = #obj.spec.strategy.steps
end
local step = status.currentStepIndex or 0
if not releasing or step >= steps then
  return actions
end

actions["promote"]["disabled"] = false
actions["promote-full"]["disabled"] = false
actions["abort"]["disabled"] = false
if phase == "Progressing" then
  actions["pause"]["disabled"] = false
else
  actions["resume"]["disabled"] = false
end
return actions
