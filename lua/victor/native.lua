--- victor.native: which backend runs each kernel.
--
-- Every kernel has a C implementation (the module `victor.core.<kernel>`, built into
-- victor-lua and also shipped as the Lua C module victor.so) and, where feasible, a
-- pure-Lua fallback (`victor.fallback.<kernel>`). Kernels ask `load(kernel)` for
-- their backend; `VICTOR_NO_NATIVE=1` in the environment, or `force_fallback(true)`
-- before the first kernel loads, selects the fallbacks everywhere.
local M = {}

local pcall, require, os_getenv = pcall, require, os.getenv

M.VERSION = "0.1.0"

--- The kernels this build knows, in a stable order.
M.KERNELS = { "signature", "dedup", "stream_filter", "graph", "json_repair", "similarity", "walk",
  "patterns", "indexer", "secrets" }

local forced = os_getenv("VICTOR_NO_NATIVE") == "1"
local cache = {}   -- kernel -> { mod = native module or false, why = reason }

--- Force (or stop forcing) the pure-Lua fallbacks. Kernels already loaded keep
--- the backend they picked.
---@param flag boolean
function M.force_fallback(flag)
  forced = flag and true or false
  cache = {}
end

--- The native module of a kernel, or nil and the reason it is not used.
---@param kernel string
---@return table|nil mod
---@return string|nil why
function M.load(kernel)
  local c = cache[kernel]
  if not c then
    if forced then
      c = { mod = false, why = "VICTOR_NO_NATIVE=1" }
    else
      local ok, mod = pcall(require, "victor.core." .. kernel)
      if ok and type(mod) == "table" then
        c = { mod = mod }
      else
        c = { mod = false, why = tostring(mod) }
      end
    end
    cache[kernel] = c
  end
  if c.mod then return c.mod end
  return nil, c.why
end

--- true when the C kernels are loadable and not disabled.
---@return boolean
function M.is_available()
  return M.load(M.KERNELS[1]) ~= nil
end

--- The victor-lua version string.
---@return string
function M.version()
  return M.VERSION
end

--- Versions of victor-lua and of what it runs on.
---@return table versions {victor_lua=, luajit=, xxhash=}
function M.versions()
  local sig = M.load("signature")
  return {
    victor_lua = M.VERSION,
    luajit = (jit and jit.version) or _VERSION,
    xxhash = sig and sig.xxhash_version() or "pure-Lua XXH3",
  }
end

--- Backend of each kernel: {signature = "native" | "fallback", ...}.
---@return table<string, string>
function M.backends()
  local t = {}
  for _, k in ipairs(M.KERNELS) do
    t[k] = M.load(k) and "native" or "fallback"
  end
  return t
end

return M
