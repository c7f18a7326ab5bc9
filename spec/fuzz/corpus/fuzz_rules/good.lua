-- A valid test pack: defaults left out, and a little computation the sandbox allows.
local watched = { "read_file", "grep" }
table.insert(watched, ("list_%s"):format("directory"))

return {
  name = "good",
  version = "0.1",
  description = "Test pack for spec/rules_spec.lua",
  rules = {
    { id = "any", kind = "loop" },
    { id = "reads", kind = "loop", tools = watched, window = 2 * 10, threshold = 4, action = "block",
      description = string.upper("r") .. "eads" },
    { id = "off", kind = "loop", enabled = false },
  },
}
