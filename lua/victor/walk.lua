--- victor.walk: the files under some roots, in a deterministic order, honouring
--- .gitignore; what the secret scanner and the code indexer read.
--
-- Semantics (ignore-file syntax, order, skip reasons, limits) are in the design note
-- of core/walk.h. In short: files come back sorted by path (bytewise); ignored files
-- are absent; files that are kept out for a reason (too large, binary, symlink,
-- unreadable, ...) come back in `skipped` with that reason, so that a caller can
-- report them. There is no pure-Lua fallback (listing a directory needs the C
-- library): without the native module, walk.files returns nil, msg, "ENATIVE".
local native = require "victor.native"
local args = require "victor.args"

local M = {}

local type, sfmt = type, string.format
local argerror, is_count, check_opts = args.argerror, args.is_count, args.check_opts

local impl, why = native.load("walk")

M.DEFAULT_MAX_FILE_BYTES = 1024 * 1024
M.DEFAULT_MAX_FILES = 1000000

local function string_array(v, k)
  if type(v) ~= "table" then return k .. " must be an array of strings" end
  for i = 1, #v do
    if type(v[i]) ~= "string" or v[i] == "" then
      return sfmt("%s[%d] must be a non-empty string", k, i)
    end
  end
end

local OPTS = {
  max_file_bytes = "count", max_files = "count", gitignore = "boolean", hidden = "boolean",
  follow_symlinks = "boolean", binary = "binary", jobs = "count", ignore_file = "name",
  include = "strings", exclude = "strings",
}
local KINDS = {
  strings = string_array,
  binary = function(v) if v ~= "skip" and v ~= "keep" then return "binary must be 'skip' or 'keep'" end end,
  name = function(v, k)
    if type(v) ~= "string" or v == "" or v:find("/", 1, true) then return k .. " must be a file name" end
  end,
}

---@class victor.walk.File
---@field path string   root .. "/" .. relative path (bare relative path for the root ".")
---@field size integer  bytes
---@field reason? string why a skipped file was skipped

--- The files under `roots` (a path or an array of paths; a root that is a file is
--- listed as given). Returns `files, skipped` (arrays of { path, size [, reason] },
--- sorted by path), or nil, msg, code ("EIO" for a root that cannot be read,
--- "ELIMIT" past max_files, "ENATIVE" without the native module).
---@param roots string|string[]
---@class victor.walk.Opts
---@field max_file_bytes? integer  default 1 MiB; 0: no cap
---@field max_files? integer       default 1,000,000
---@field gitignore? boolean       default true
---@field hidden? boolean          default false
---@field follow_symlinks? boolean default false
---@field binary? "skip"|"keep"    default "skip"
---@field jobs? integer            threads for the binary sniff (0: all cores)
---@field ignore_file? string      extra per-directory ignore file name
---@field include? string[]        gitignore-style globs a kept file must match
---@field exclude? string[]        gitignore-style globs, anchored at each root
---@param opts? victor.walk.Opts
---@return victor.walk.File[]|nil files
---@return victor.walk.File[]|string skipped_or_msg
---@return string? code
function M.files(roots, opts)
  if type(roots) == "string" then
    if roots == "" then argerror(1, "files", "empty path") end
    roots = { roots }
  elseif type(roots) == "table" then
    if #roots == 0 then argerror(1, "files", "no roots given") end
    local msg = string_array(roots, "roots")
    if msg then argerror(1, "files", msg) end
  else
    argerror(1, "files", "string or array of strings expected, got " .. type(roots))
  end
  opts = check_opts(opts, OPTS, 2, "files", KINDS)
  if opts.max_files == 0 then argerror(2, "files", "max_files must be positive") end
  if not impl then
    return nil, "victor.walk needs the native module (" .. tostring(why) .. ")", "ENATIVE"
  end
  local o = {
    max_file_bytes = opts.max_file_bytes or M.DEFAULT_MAX_FILE_BYTES,
    max_files = opts.max_files or M.DEFAULT_MAX_FILES,
    gitignore = opts.gitignore ~= false,
    hidden = opts.hidden == true,
    follow_symlinks = opts.follow_symlinks == true,
    keep_binary = opts.binary == "keep",
    jobs = opts.jobs or 0,
    ignore_file = opts.ignore_file,
    include = opts.include,
    exclude = opts.exclude,
  }
  return impl.files(roots, o)
end

--- Does one ignore-file line match `path` (relative to the directory of the file
--- holding the line)? "ignore", "include" (a matching "!" line) or nil.
---@param line string
---@param path string
---@param is_dir? boolean
---@return "ignore"|"include"|nil
function M.match(line, path, is_dir)
  args.check_string(line, 1, "match")
  args.check_string(path, 2, "match")
  if not impl then error("victor.walk needs the native module (" .. tostring(why) .. ")", 2) end
  local r = impl.match_line(line, path, is_dir == true)
  return r == 1 and "ignore" or r == -1 and "include" or nil
end

--- The whole content of a file, or nil, msg, code ("EIO", or "ELIMIT" when it is
--- larger than max_bytes).
---@param path string
---@param max_bytes? integer
---@return string|nil
---@return string? msg
---@return string? code
function M.read(path, max_bytes)
  args.check_string(path, 1, "read")
  if max_bytes ~= nil and not is_count(max_bytes) then
    argerror(2, "read", "non-negative integer expected")
  end
  if not impl then
    local f, err = io.open(path, "rb")
    if not f then
      local why_ = tostring(err)
      if why_:sub(1, #path + 2) == path .. ": " then why_ = why_:sub(#path + 3) end
      return nil, sfmt("cannot read '%s': %s", path, why_), "EIO"
    end
    local s = f:read("*a")
    f:close()
    if max_bytes and max_bytes > 0 and #s > max_bytes then
      return nil, sfmt("'%s' is larger than %d bytes", path, max_bytes), "ELIMIT"
    end
    return s
  end
  return impl.read(path, max_bytes or 0)
end

M.backend = impl and "native" or "none"

return M
