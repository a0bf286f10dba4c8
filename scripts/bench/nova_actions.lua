-- wrk: server actions over every server of the ids file.
-- Arguments after `--`: ids_file threads connections token mode
--   mode "power":  os-stop / os-start alternating per server
--   mode "reboot": reboot SOFT
-- 202 counts as success, 409 apart.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

setup = common.setup

local bodies = {
  stop = '{"os-stop": null}',
  start = '{"os-start": null}',
  reboot = '{"reboot": {"type": "SOFT"}}',
}

function init(args)
  common.init_walkers(args)
  mode = args[5]
  assert(mode == "power" or mode == "reboot", "mode is power or reboot")
  headers = {
    ["Host"] = wrk.headers["Host"],
    ["X-Auth-Token"] = args[4],
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }
  -- Per server: whether it is stopped once its accepted actions are done
  -- (all start ACTIVE), the last action sent, and the 409s in a row for it.
  stopped, last, refused = {}, {}, {}
end

function request()
  local id = common.next_id()
  local action = "reboot"
  if mode == "power" then
    -- A server this walker stopped gets os-start next time.
    action = stopped[id] and "start" or "stop"
    stopped[id] = not stopped[id]
    last[id] = action
  end
  return wrk.format("POST", "/v2.1/servers/" .. id .. "/action", headers, bodies[action])
end

-- After a 409 the server needs the same action again: the walker came back
-- before the engine finished the previous one. A 202 names no server, so
-- the 409's text says which ("Cannot 'start' instance ID while it is in
-- vm_state active", "... in task_state powering-off", "Another operation
-- on instance ID is in progress").
local function refused_again(body)
  local id = body:match("instance ([%x%-]+)")
  if not id then
    return
  end
  local action = body:match("Cannot '(%a+)' instance")
  local task = body:match("task_state ([%w%-_]+)")
  if task == "powering-off" or task == "powering-on" then
    -- That task decides where the server ends.
    stopped[id] = (task == "powering-off")
  elseif action and action == last[id] then
    refused[id] = (refused[id] or 0) + 1
    if refused[id] < 8 then
      stopped[id] = (action == "start")
    else
      -- Refused too often for a late engine: the server is where the text
      -- says (an earlier answer arrived out of order).
      refused[id] = 0
      stopped[id] = (body:match("vm_state (%a+)") == "stopped")
    end
  elseif not action then
    stopped[id] = (last[id] == "start")
  end
end

function response(status, _, body)
  common.count(status, 202)
  if status == 409 and mode == "power" and body then
    refused_again(body)
  end
end

done = common.done
