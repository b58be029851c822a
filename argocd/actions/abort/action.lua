-- Asks the grayrelease operator to abort, exactly as `kubectl gray abort` does:
-- a command in the status subresource (the spec stays what is in Git).
local os = require("os")
if obj.status == nil then
  obj.status = {}
end
obj.status.command = {}
obj.status.command.action = "abort"
obj.status.command.requestedAt = os.date("!%Y-%m-%dT%H:%M:%SZ")
obj.status.command.requestedBy = "argocd"
return obj
