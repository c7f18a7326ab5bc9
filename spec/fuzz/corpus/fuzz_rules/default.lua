-- rules/default.lua: the default rule pack of victor-lua.
--
-- A rule pack is a Lua file that returns one table. It runs in a sandbox: plain data and simple
-- expressions only (no io, os, require, ...); `string`, `table`, `math` and `bit` are available if
-- you need to compute a value. After loading, the pack is checked against the schema of each rule's
-- kind, and a mistake is reported with the file, the rule id and the field. Check a pack with
--   victor-lua rules check my-rules.lua
-- and list the kinds and their fields (types, ranges, defaults) with
--   victor-lua rules kinds
--
-- Top level:
--   name         (string, required)  name of the pack
--   version      (string, required)  version of the pack
--   description  (string, optional)  what the pack is for
--   rules        (array, required)   the rules, in order; may be empty
-- Every rule has:
--   id           (string, required)  unique within the pack: letters, digits and _ . : -
--   kind         (string, required)  which kind of rule it is, e.g. "loop"
--   description  (string, optional)  what the rule is for, shown in reports
--   enabled      (boolean, default true)  false switches the rule off but keeps it in the pack
-- plus the fields of its kind. Unknown fields are errors (they are usually typos); fields left out
-- get their defaults.
--
-- To change a rule without editing this file, write your own pack and give it a rule with the same
-- id and kind and only the fields you want to change; packs loaded later win, field by field:
--   return { name = "mine", version = "1", rules = {
--     { id = "read-churn", kind = "loop", threshold = 6 },   -- just raise the threshold
--     { id = "repeat-any", kind = "loop", enabled = false }, -- switch this one off
--   } }

return {
  name = "default",
  version = "1.0",
  description = "Default rules shipped with victor-lua: catch an agent that is stuck repeating tool calls.",
  rules = {
    {
      id = "repeat-any",
      kind = "loop",
      description = "The same tool call (same tool, same arguments) 3 times in a row, or a cycle of calls "
        .. "(A,B,A,B,A,B) repeated 3 times, within the last 12 calls: the agent is probably stuck.",
      -- no `tools` field: every tool is watched
      window = 12,
      threshold = 3,
      action = "warn",
    },
    {
      id = "read-churn",
      kind = "loop",
      description = "Reading, listing or searching the same things over and over (one call or a cycle of "
        .. "calls repeated 4 times in a row, counting only these tools, within their last 24 calls): "
        .. "the agent is re-reading instead of making progress.",
      tools = { "read_file", "list_directory", "grep" },
      window = 24,
      threshold = 4,
      action = "warn",
    },
  },
}
