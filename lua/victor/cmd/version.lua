--- `victor-lua version`: versions of victor-lua, LuaJIT, xxHash and each kernel's backend.
local cli = require "victor.cli"

local M = { name = "version", summary = "print versions and which backend runs each kernel" }

function M.run(argv, out)
  out = out or function(s) io.stdout:write(s) end
  if argv[1] == "--help" or argv[1] == "-h" then
    out("usage: victor-lua version [--json]\n\nPrints victor-lua, LuaJIT and xxHash versions and, per kernel,\n"
      .. "whether the C kernel (native) or the pure-Lua fallback runs.\n\n"
      .. "  --json   one JSON object: {victor_lua, luajit, xxhash, kernels = {name: backend}}\n\n"
      .. "Examples:\n  victor-lua version\n  VICTOR_NO_NATIVE=1 victor-lua version --json\n")
    return 0
  end
  if argv[1] == "--json" then
    local native = require "victor.native"
    local v = native.versions()
    v.kernels = native.backends()
    cli.json_out(out, v)
    return 0
  end
  out(cli.version_text())
  return 0
end

return M
