-- victor.rule_kinds: the registry of rule kinds, as declarative schemas.
--
-- Each entry maps a kind name (the `kind` field of a rule) to
--   { summary = "one line", fields = { <name> = <field spec>, ... } }
-- A field spec is a plain table:
--   type      "string" | "integer" | "number" | "boolean" | "array" | "table"
--   required  true if the rule must give the field (default false)
--   default   value filled in when the field is absent
--   min, max  bounds: the value for integer/number, the length for string/array
--   enum      list of the allowed values
--   of        for arrays: the field spec every element must satisfy
--   pattern   for strings: a Lua pattern the whole value must match (anchor it)
--   doc       one line of text for `victor-lua rules kinds` and the docs
-- The common fields `id`, `kind`, `description` and `enabled` belong to every rule and are defined
-- by victor.rules; a kind must not redefine them.
--
-- This file is data only (no functions), so that tools can print it. A new kernel that consumes
-- rules adds its kind here; victor.rules checks the schema itself when it is first used.

return {
  loop = {
    summary = "Tool-call loop detection: fire when the last calls repeat one call or a cycle of calls "
      .. "(A,A,A or A,B,A,B,A,B) `threshold` times in a row within the last `window` calls "
      .. "(victor.signature's LoopDetector).",
    fields = {
      tools = {
        type = "array", of = { type = "string", min = 1 },
        doc = "Tool names the rule watches; absent means every tool.",
      },
      window = {
        type = "integer", min = 2, max = 1024, default = 12,
        doc = "How many of the most recent tool calls are compared.",
      },
      threshold = {
        type = "integer", min = 2, max = 1000, default = 3,
        doc = "How many times in a row a cycle (one call, or a sequence of up to window/2 calls) "
          .. "must repeat for the rule to fire; it needs threshold x cycle length <= window.",
      },
      action = {
        type = "string", enum = { "warn", "block" }, default = "warn",
        doc = "What happens when the rule fires: warn (report, let the call run) or block (refuse it).",
      },
    },
  },
}
