local json = require("cjson")
local M = {}
local LIMIT = 10

function M.encode(t)
  return json.encode(t)
end

function M:method(x)
  return helper(x)
end

local function helper(x)
  return x + LIMIT
end

return M
