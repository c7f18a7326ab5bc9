-- proc.lua: run a shell command from a spec and capture stdout, stderr and status.
local M = {}

M.build = os.getenv("VL_BUILD") or "build"
M.bin = M.build .. "/victor-lua"
-- VL_EXEC: the command that runs the binary under test (qemu-aarch64 under make test-arm64)
M.exec = os.getenv("VL_EXEC")
M.run_bin = M.exec and M.exec .. " " .. M.bin or M.bin

--- The command line that runs a program built for the target (VL_EXEC before it, if set).
function M.target(path)
  return M.exec and M.exec .. " " .. path or path
end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("*a")
  f:close()
  os.remove(path)
  return s
end

--- Shell-quote one word.
function M.q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- Run cmd (a shell string) with optional stdin text; returns out, err, status.
function M.run(cmd, input)
  local out, err = os.tmpname(), os.tmpname()
  -- the binaries under test pick their own backend: do not leak the fallback switch
  local full = "env -u VICTOR_NO_NATIVE " .. cmd .. " >" .. out .. " 2>" .. err
  if input then
    local inp = os.tmpname()
    local f = assert(io.open(inp, "wb"))
    f:write(input)
    f:close()
    full = full .. " <" .. inp
    local ok, _, code = os.execute(full)
    os.remove(inp)
    return slurp(out), slurp(err), type(ok) == "number" and ok / 256 or code
  end
  local ok, _, code = os.execute(full .. " </dev/null")
  return slurp(out), slurp(err), type(ok) == "number" and ok / 256 or code
end

--- Write content to path (created or truncated).
function M.write_file(path, content)
  local f = assert(io.open(path, "wb"))
  f:write(content)
  f:close()
end

--- Write content to a new temporary file; returns its path.
function M.tmpfile(content)
  local p = os.tmpname()
  M.write_file(p, content)
  return p
end

--- Run victor-lua with the given argument words.
function M.vl(args, input, env)
  local words = {}
  for i, a in ipairs(args) do words[i] = M.q(a) end
  return M.run((env and "env " .. env .. " " or "") .. M.run_bin .. " " .. table.concat(words, " "), input)
end

--- Assert that each case { argv, message } exits with status 2, writes nothing to
--- stdout and starts its stderr with the message (empty stdin).
function M.usage_errors(cases)
  local assert = require "luassert"
  for _, c in ipairs(cases) do
    local o, err, code = M.vl(c[1], "")
    assert.equal(2, code)
    assert.equal("", o)
    assert.equal(c[2], err:sub(1, #c[2]))
  end
end

--- The bytes of a file (the file stays).
function M.read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

return M
