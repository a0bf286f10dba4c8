-- wrk: EC2 DescribeInstances for the first id of the file, a static request.
-- Arguments after `--`: ids_file threads connections
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")
local ec2 = dofile(dir .. "ec2.lua")

function init(args)
  wrk.method = "POST"
  wrk.path = "/"
  for k, v in pairs(ec2.headers()) do
    wrk.headers[k] = v
  end
  wrk.body = ec2.body("DescribeInstances", common.first_id(args))
end

done = common.done_static
