--- examples/embed/loopjob.lua: the Lua side of the embedding example (embed_host.c).
--
-- The host calls line(text) for every line of its standard input. A line is a tool
-- call as JSON ({"name": ..., "arguments": {...}}); the function answers
-- "<signature> <name>" and appends " LOOP <rule> x<count>" when a `loop` rule of the
-- active rule set (defaults plus the host's --rules packs) fires. Bad JSON is
-- reported as nil, msg, code, which the host prints and skips.
local cjson = require "cjson.safe"
local host = require "victor.host"
local loopguard = require "victor.loopguard"
local signature = require "victor.signature"

local M = {}
local guard

function M.line(text)
  if not text:find("%S") then return nil end
  guard = guard or loopguard.new(host.rules())
  local call, err = cjson.decode(text)
  if type(call) ~= "table" or type(call.name) ~= "string" then
    return nil, "not a tool call: " .. tostring(err or text), "EPARSE"
  end
  local args = call.arguments
  if args == cjson.null then args = nil end
  local sig, msg, code = signature.of(call.name, args)
  if not sig then return nil, msg, code end
  local out = sig .. " " .. call.name
  for _, f in ipairs(guard:observe(call.name, sig) or {}) do
    out = out .. string.format(" LOOP %s x%d", f.rule.id, f.report.count)
  end
  return out
end

return M
