-- backends.lua: the public module of a kernel bound to each available backend, for
-- conformance specs: backends("dedup") -> { {name = "native", mod = ...}, {name = "fallback", mod = ...} }
-- (native first, and only when the C module loads and VICTOR_NO_NATIVE is not set).
local native = require "victor.native"

-- The public module loaded with the fallback forced on or off (the switch and the
-- cached module are restored afterwards).
local function load_public(kernel, fallback)
  local name = "victor." .. kernel
  local saved = package.loaded[name]
  package.loaded[name] = nil
  native.force_fallback(fallback)
  local m = require(name)
  native.force_fallback(os.getenv("VICTOR_NO_NATIVE") == "1")
  package.loaded[name] = saved
  return m
end

return function(kernel)
  local list = { { name = "fallback", mod = load_public(kernel, true) } }
  if pcall(require, "victor.core." .. kernel) and os.getenv("VICTOR_NO_NATIVE") ~= "1" then
    local m = load_public(kernel, false)
    assert(m.backend == "native")
    table.insert(list, 1, { name = "native", mod = m })
  end
  return list
end
