--- victor.host: what a victor-lua runtime shares with the scripts it runs: the
--- active rule set (built-in default packs plus packs the host or user loaded,
--- merged by rule id) and the sandbox lock-down of vl_config.sandbox.
local rules = require "victor.rules"

local M = {}

local active

--- The built-in default packs (rules/*.lua, embedded as victor.default_packs), loaded through the
--- rule sandbox and merged in file-name order; the set is named after rules/default.lua.
---@return table|nil pack
---@return string? msg
---@return string? code
function M.defaults()
  local ok, packs = pcall(require, "victor.default_packs")
  if not ok then return nil, "no built-in rule packs: " .. tostring(packs), "EIO" end
  local merged, first
  for _, p in ipairs(packs) do
    local pack, msg, code = rules.load_string(p.source, p.name)
    if not pack then return nil, msg, code end
    if p.name:match("default%.lua$") then first = pack end
    if merged then
      merged, msg, code = rules.merge(merged, pack)
      if not merged then return nil, msg, code end
    else
      merged, first = pack, first or pack
    end
  end
  if merged and #packs > 1 then
    -- rules.merge names the result after the last pack; the built-in set keeps the name of
    -- rules/default.lua (else the first pack's), whatever other packs come before or after it.
    merged.name, merged.version, merged.description = first.name, first.version, first.description
  end
  return merged or { name = "empty", version = "0", rules = {} }
end

--- The active rule set (the defaults until a pack is added).
---@return table pack
function M.rules()
  if not active then
    active = assert(M.defaults())
  end
  return active
end

--- Load a pack file and merge it over the active set. The set is unchanged on error.
---@param path string
---@return true|nil ok
---@return string? msg
---@return string? code
function M.add_pack(path)
  local pack, msg, code = rules.load_file(path)
  if not pack then return nil, msg, code end
  local merged
  merged, msg, code = rules.merge(M.rules(), pack)
  if not merged then return nil, msg, code end
  active = merged
  return true
end

--- Drop the active set (the next rules() call reloads the defaults).
function M.reset()
  active = nil
end

-- A package.loaders searcher over package.path that refuses bytecode files.
local function text_searcher(pkg, open, load)
  return function(name)
    local path, msg = pkg.searchpath(name, pkg.path)
    if not path then return msg end
    local f = open(path, "rb")
    if not f then return "\n\tcannot open '" .. path .. "'" end
    local src = f:read("*a") or ""
    f:close()
    if src:byte(1) == 27 then
      error(("module '%s': '%s' is bytecode, refused (sandboxed: source text only)"):format(name, path), 0)
    end
    local fn, err = load(src, "@" .. path, "t")
    if not fn then error(("error loading module '%s' from file '%s':\n\t%s"):format(name, path, err), 0) end
    return fn, path
  end
end

-- C entry points that open files by name (module, metatable or nil, names): refused in a
-- sandboxed runtime, which has no io either.
local FILE_ENTRY_POINTS = {
  { "victor.core.similarity", nil, { "load_npy", "hnsw_load" } },
  { "victor.core.similarity", "victor.similarity.Matrix", { "save_npy" } },
  { "victor.core.similarity", "victor.similarity.HNSW", { "save" } },
  { "victor.core.walk", nil, { "files", "read" } },
  { "victor.core.secrets", "victor.secrets.Scanner", { "scan_files" } },
  { "victor.core.indexer", "victor.indexer.Index", { "add" } },
}

local function refuse_file_access(registry)
  for _, e in ipairs(FILE_ENTRY_POINTS) do
    local ok, mod = pcall(require, e[1])
    local t = ok and type(mod) == "table" and mod or nil
    if t and e[2] then
      local mt = registry[e[2]]
      t = type(mt) == "table" and type(mt.__index) == "table" and mt.__index or nil
    end
    if t then
      for _, name in ipairs(e[3]) do
        local what = (e[2] and e[2] .. ":" or e[1] .. ".") .. name
        if t[name] ~= nil then
          t[name] = function() error(what .. ": file access is not allowed in sandbox mode", 2) end
        end
      end
    end
  end
end

--- Remove what a sandboxed script must not reach: files, processes, the FFI, debug,
--- loading of code other than modules, and C modules. Modules that need those
--- (the rule loader) are loaded first so they keep their own references.
function M.lockdown()
  require "victor.rules"
  require "victor.signature"
  local G = _G
  local open, load = G.io.open, G.load
  refuse_file_access(G.debug.getregistry())
  local os_ = G.os
  G.os = { clock = os_.clock, time = os_.time, date = os_.date, difftime = os_.difftime, getenv = os_.getenv }
  G.io, G.debug = nil, nil
  G.load, G.loadstring, G.loadfile, G.dofile = nil, nil, nil, nil
  G.string.dump = nil
  local pkg = G.package
  pkg.loadlib, pkg.cpath = nil, ""
  for _, name in ipairs({ "ffi", "io", "os", "debug", "jit.util", "jit.profile" }) do
    pkg.loaded[name] = nil
    pkg.preload[name] = nil
  end
  -- keep the preload searcher; the Lua-path one loads source text only (a bytecode file
  -- could corrupt memory: LuaJIT does not verify bytecode); drop the C ones
  pkg.loaders[2], pkg.loaders[3], pkg.loaders[4] = text_searcher(pkg, open, load), nil, nil
  return true
end

return M
