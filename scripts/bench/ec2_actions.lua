-- wrk: EC2 actions over every instance of the ids file.
-- Arguments after `--`: ids_file threads connections mode
--   mode "power":  StopInstances / StartInstances alternating per instance
--   mode "reboot": RebootInstances
-- 200 counts as success, 409 apart.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")
local ec2 = dofile(dir .. "ec2.lua")

setup = common.setup

function init(args)
  common.init_walkers(args)
  mode = args[4]
  assert(mode == "power" or mode == "reboot", "mode is power or reboot")
  headers = ec2.headers()
  headers["Host"] = wrk.headers["Host"]
  stopped = {}
end

function request()
  local id = common.next_id()
  local action = "RebootInstances"
  if mode == "power" then
    action = stopped[id] and "StartInstances" or "StopInstances"
    stopped[id] = not stopped[id]
  end
  return wrk.format("POST", "/", headers, ec2.body(action, id))
end

function response(status, _, _)
  common.count(status, 200)
end

done = common.done
