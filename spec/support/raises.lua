--- support.raises: assert that fn(...) raises exactly `expected`, the error text
--- without the "file.lua:line: " prefix of the caller's position (misuse raises at
--- the caller's line, in the standard shape).
local assert = require "luassert"

return function(expected, fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok)
  assert.are.equal(expected, (tostring(err):gsub("^[^:]*%.lua:%d+: ", "")))
end
