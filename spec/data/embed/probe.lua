-- probe.lua: a job module for spec/embed_spec.lua (what can a script reach?).
local M = {}

function M.line()
  return string.format("io=%s os.execute=%s ffi=%s", type(io), type(os.execute), tostring(pcall(require, "ffi")))
end

function M.raise(s)
  error("job failed on " .. s)
end

function M.bomb()
  local t = {}
  for i = 1, 1e9 do t[i] = ("x"):rep(100) .. i end
  return #t
end

return M
