-- An override pack for rules/default.lua: change one field, switch a rule off, add a rule.
return {
  name = "override",
  version = "2",
  rules = {
    { id = "read-churn", kind = "loop", threshold = 6 },
    { id = "repeat-any", kind = "loop", enabled = false },
    { id = "edit-loop", kind = "loop", tools = { "edit_file" }, window = 8, threshold = 3, action = "block" },
  },
}
