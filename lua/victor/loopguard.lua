--- victor.loopguard: the `loop` rules of a rule pack, applied to a stream of calls.
--
-- One LoopDetector per enabled `loop` rule; each rule watches every tool or the
-- tools it lists. Used by `victor-lua sig --jsonl`, the demo job and the embedding
-- example, so they all read the rules the same way.
local rules = require "victor.rules"
local signature = require "victor.signature"

local M = {}
local Guard = {}
Guard.__index = Guard

--- Detectors for the enabled `loop` rules of a validated pack.
---@param pack table a pack from victor.rules / victor.host.rules()
---@return table guard
function M.new(pack)
  local list = {}
  for _, r in ipairs(rules.enabled(pack, "loop")) do
    local watch
    if r.tools then
      watch = {}
      for _, t in ipairs(r.tools) do watch[t] = true end
    end
    list[#list + 1] = { rule = r, watch = watch,
      det = signature.LoopDetector.new { window = r.window, threshold = r.threshold } }
  end
  return setmetatable({ list = list }, Guard)
end

--- The rules this guard applies.
---@return table[]
function Guard:rules()
  local out = {}
  for i, g in ipairs(self.list) do out[i] = g.rule end
  return out
end

--- Feed one call (its tool name and signature) to the rules that watch the tool.
---@param name string tool name
---@param sig string signature (from victor.signature.of / batch)
---@return table[]|nil findings {rule = <rule>, report = <LoopDetector report>}, or nil
function Guard:observe(name, sig)
  local found
  for _, g in ipairs(self.list) do
    if not g.watch or g.watch[name] then
      local rep = g.det:push(sig)
      if rep then
        found = found or {}
        found[#found + 1] = { rule = g.rule, report = rep }
      end
    end
  end
  return found
end

--- Forget the history of every detector.
function Guard:reset()
  for _, g in ipairs(self.list) do g.det:reset() end
end

return M
