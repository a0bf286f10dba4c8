-- wrk: GET /v2.1/servers/{id} for the first id of the file, a static request.
-- Arguments after `--`: ids_file threads connections token
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

function init(args)
  wrk.method = "GET"
  wrk.path = "/v2.1/servers/" .. common.first_id(args)
  wrk.headers["X-Auth-Token"] = args[4]
  wrk.headers["Accept"] = "application/json"
end

done = common.done_static
