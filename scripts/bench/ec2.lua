-- EC2 Query API requests as the SDKs send them. moto does not check the
-- signature but reads the service from the credential scope, so the
-- Authorization header carries a plausible one.
local ec2 = {}

local KEY = "AKIAIOSFODNN7EXAMPLE"
local SIGNATURE = string.rep("0f", 32)

function ec2.headers()
  local day = os.date("!%Y%m%d")
  return {
    ["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8",
    ["X-Amz-Date"] = os.date("!%Y%m%dT%H%M%SZ"),
    ["Authorization"] = "AWS4-HMAC-SHA256 Credential=" .. KEY .. "/" .. day
      .. "/us-east-1/ec2/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=" .. SIGNATURE,
  }
end

function ec2.body(action, id)
  return "Action=" .. action .. "&Version=2016-11-15&InstanceId.1=" .. id
end

return ec2
