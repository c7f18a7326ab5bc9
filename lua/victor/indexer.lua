--- victor.indexer: code indexing with tree-sitter: symbols (definitions and references)
--- of one buffer, a parallel incremental index of a tree of files, and its outputs
--- (JSON lines, a ctags `tags` file, a PageRank-ranked repo map).
---
--- Native only: the tree-sitter runtime and grammars are C (no pure-Lua fallback);
--- without the native kernels every function returns nil, msg, "ENOTSUP".
local native = require "victor.native"
local args = require "victor.args"

local M = {}

local type, tostring, sfmt, floor = type, tostring, string.format, math.floor
local concat, sort, min = table.concat, table.sort, math.min
local io_open, os_rename, os_remove = io.open, os.rename, os.remove
local each_next = next
local argerror, check_string, check_opts = args.argerror, args.check_string, args.check_opts

local core, core_why = native.load("indexer")

--- "native", or "none" without the C kernels (there is no pure-Lua fallback).
M.backend = core and "native" or "none"

M.DEFAULT_MAX_FILE_BYTES = 1024 * 1024
M.DEFAULT_TIMEOUT_MS = 2000
M.DEFAULT_MAX_SYMBOLS = 200000
M.DEFAULT_BATCH = 256
M.DEFAULT_BUDGET = 1024
M.REPOMAP_MAX_DEFS = 12  -- signatures shown per file at most
M.INDEX_NAME = ".victor-index"

--- Languages by file extension (lower-cased).
M.EXTENSIONS = {
  py = "python", pyi = "python", pyw = "python",
  js = "javascript", mjs = "javascript", cjs = "javascript", jsx = "javascript",
  ts = "typescript", mts = "typescript", cts = "typescript", tsx = "tsx",
  go = "go", rs = "rust", c = "c", h = "c",
  cc = "cpp", cpp = "cpp", cxx = "cpp", ["c++"] = "cpp", hh = "cpp", hpp = "cpp", hxx = "cpp",
  java = "java", lua = "lua", rb = "ruby", rake = "ruby", gemspec = "ruby",
  sh = "bash", bash = "bash", json = "json",
}
--- Languages by whole file name.
M.FILENAMES = { Rakefile = "ruby", Gemfile = "ruby", [".bashrc"] = "bash", [".profile"] = "bash" }
-- interpreter (after #!, or after `env`) and modeline mode names -> language
local INTERPRETERS = {
  python = "python", python2 = "python", python3 = "python", node = "javascript", nodejs = "javascript",
  ["ts-node"] = "typescript", deno = "typescript", lua = "lua", luajit = "lua", ruby = "ruby",
  sh = "bash", bash = "bash", dash = "bash", ksh = "bash", zsh = "bash",
}
local MODES = {
  python = "python", javascript = "javascript", js = "javascript", typescript = "typescript",
  ts = "typescript", typescriptreact = "tsx", tsx = "tsx", go = "go", rust = "rust", c = "c",
  cpp = "cpp", ["c++"] = "cpp", java = "java", lua = "lua", ruby = "ruby", sh = "bash",
  bash = "bash", ["shell-script"] = "bash", json = "json",
}

local function unavailable()
  return nil, "victor.indexer needs the native kernels (" .. tostring(core_why) .. ")", "ENOTSUP"
end

--- The languages this build parses.
---@return string[]
function M.languages()
  if not core then return {} end
  return core.languages()
end

local function modeline(text)
  -- Emacs: -*- mode: python -*- or -*- python -*- (first lines)
  local e = text:match("%-%*%-(.-)%-%*%-")
  if e then
    local m = e:match("[Mm]ode:%s*([%w%+%-]+)") or (not e:find(":", 1, true) and e:match("^%s*([%w%+%-]+)%s*$"))
    if m and MODES[m:lower()] then return MODES[m:lower()] end
  end
  -- Vim: vim: set ft=python: / vi: filetype=lua / ex: syntax=sh
  for body in text:gmatch("[%s^]?v?i?m?[%w]*:%s*(.-)\n") do
    local ft = body:match("[%s:]ft=([%w%+]+)") or body:match("[%s:]filetype=([%w%+]+)")
      or body:match("^ft=([%w%+]+)") or body:match("^filetype=([%w%+]+)")
      or body:match("[%s:]syntax=([%w%+]+)") or body:match("^set%s+ft=([%w%+]+)")
      or body:match("^set%s+filetype=([%w%+]+)")
    if ft and MODES[ft:lower()] then return MODES[ft:lower()] end
  end
  return nil
end

local function modeline_lines(text)
  local out = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    if line:find("%-%*%-") or line:find("[%s]vim?:") or line:find("^vim?:") or line:find("[%s]ex:") then
      out[#out + 1] = line
    end
  end
  return concat(out, "\n") .. "\n"
end

--- Bytes of a `.h` file that `sniff_header` reads (its first 8 KiB).
M.H_SNIFF_BYTES = 8192

-- C++-only constructs at the start of a line (after blanks), outside comments and outside
-- `#if...__cplusplus` groups (C headers keep their C++ wrappers there)
local CXX_LINE = {
  "^namespace[%s{]", "^namespace$", "^template%s*<", "^using%s+namespace%s", "^using%s+[%w_:]+%s*=",
  "^class%s+[%w_]+%s*[:{]", "^class%s+[%w_]+%s+final[%s{:]", "^class%s+[%w_]+$",
  "^public%s*:", "^private%s*:", "^protected%s*:", "^#%s*include%s*<[%w_/]+>",
}

--- The language of a `.h` header from its first bytes: "cpp" when a C++-only construct
--- starts a line (a namespace, a template, `using namespace` or an alias, a class with a
--- base or a body, an access label, or an `#include <name>` without an extension, as
--- C++'s standard headers are named), else "c" (glibc's C headers hold `extern "C++"`
--- overloads behind their own macros: not a signal). Comments are left out, and so is
--- every branch of a conditional group from the `#ifdef __cplusplus`, `#ifndef
--- __cplusplus` or `#if`/`#elif ... defined(__cplusplus)` on to its `#endif`, where C
--- headers wrap their C++ glue (a version test such as `#if __cplusplus >= 201103L` is
--- not skipped: it guards C++-only headers). Deterministic: it reads only `head`, which
--- the indexer takes as the first `H_SNIFF_BYTES` of the file.
---@param head string
---@return string language "c" or "cpp"
function M.sniff_header(head)
  check_string(head, 1, "sniff_header")
  local text = head:gsub("/%*.-%*/", function(c) return (c:gsub("[^\n]", "")) end)
  text = text:gsub("/%*.*$", ""):gsub("//[^\n]*", ""):gsub("\\\n", " ")
  local depth, skip = 0, 0 -- #if nesting; the depth whose group is skipped (0: none)
  for line in text:gmatch("[^\n]+") do
    line = line:match("^%s*(.-)%s*$")
    local dir = line:match("^#%s*(%a+)")
    local glue = dir and line:find("__cplusplus", 1, true)
      and ((dir == "ifdef" or dir == "ifndef") or line:find("defined%s*%(?%s*__cplusplus"))
    if dir == "if" or dir == "ifdef" or dir == "ifndef" then
      depth = depth + 1
      if skip == 0 and glue then skip = depth end
    elseif dir == "elif" then
      if skip == 0 and glue then skip = depth end
    elseif dir == "endif" then
      if skip == depth then skip = 0 end
      if depth > 0 then depth = depth - 1 end
    elseif skip == 0 then
      for i = 1, #CXX_LINE do
        if line:find(CXX_LINE[i]) then return "cpp" end
      end
    end
  end
  return "c"
end

--- The language of a file from its name, else its first bytes (shebang, then a
--- Vim or Emacs modeline in `head`, which may also hold the last lines). nil when
--- unknown. A modeline wins over the extension, except in a `.h` file: that is C, or
--- C++ when `head` is given and `sniff_header(head)` finds C++ in it.
---@param path string
---@param head string|nil the first (and optionally last) KiB of the file
---@return string|nil language
function M.detect(path, head)
  check_string(path, 1, "detect")
  if head ~= nil then check_string(head, 2, "detect") end
  local base = path:match("([^/]*)$")
  -- a header's modeline is no guide (LLVM's and NSPR's C headers say `-*- C++ -*-`)
  if head and base:find("%.[hH]$") then return M.sniff_header(head) end
  if head then
    local m = modeline(modeline_lines(head))
    if m then return m end
  end
  if M.FILENAMES[base] then return M.FILENAMES[base] end
  local ext = base:match("%.([^%.]+)$")
  if ext and M.EXTENSIONS[ext:lower()] then return M.EXTENSIONS[ext:lower()] end
  if head then
    local sb = head:match("^#!([^\n]*)")
    if sb then
      local prog, rest = sb:match("^%s*(%S+)%s*(.*)$")
      prog = prog and prog:match("([^/]+)$")
      if prog == "env" then prog = rest:match("^%-S%s+(%S+)") or rest:match("^(%S+)") end
      if prog then
        prog = prog:gsub("[%d%.]+$", function(v) return v:match("^%d") and "" or v end)
        local l = INTERPRETERS[prog] or INTERPRETERS[prog:gsub("%d+$", "")]
        if l then return l end
      end
    end
  end
  return nil
end

local EXTRACT_OPTS = { max_bytes = "count", timeout_ms = "count", max_symbols = "count" }

--- The symbols of one buffer: an array of { name, kind, language, line, column,
--- end_line, start_byte, end_byte, scope, signature (definitions) | ref = true }
--- sorted by position, and an info table { has_error, truncated, skipped }.
--- Kinds: function method class struct interface enum module constant variable type
--- macro field (definitions); call import typeref (references). Lines and columns
--- are 1-based; columns and byte offsets count bytes. opts: max_bytes (0: none),
--- timeout_ms (default 2000; 0: none), max_symbols (default 200000).
---@param source string
---@param language string
---@param opts table|nil
---@return table|nil symbols
---@return table|string info_or_msg
---@return string? code
function M.extract_symbols(source, language, opts)
  local fname = "extract_symbols"
  check_string(source, 1, fname)
  check_string(language, 2, fname)
  opts = check_opts(opts, EXTRACT_OPTS, 3, fname)
  if not core then return unavailable() end
  local known = false
  for _, l in ipairs(core.languages()) do if l == language then known = true end end
  if not known then argerror(2, fname, "unknown language '" .. language .. "'") end
  local syms, info, code = core.extract(source, language, opts.max_bytes or 0,
    opts.timeout_ms or M.DEFAULT_TIMEOUT_MS, opts.max_symbols or M.DEFAULT_MAX_SYMBOLS)
  if not syms then return nil, info, code end
  for i = 1, #syms do syms[i].language = language end
  return syms, info
end

-- ---- listing ----------------------------------------------------------------

local function read_head(path, first)
  local f = io_open(path, "rb")
  if not f then return nil end
  if first then -- the first `first` bytes only
    local head = f:read(first) or ""
    f:close()
    return head
  end
  local head = f:read(1024) or ""
  local size = f:seek("end")
  if size and size > 2048 then
    f:seek("set", size - 1024)
    head = head .. "\n" .. (f:read(1024) or "")
  elseif size and size > 1024 then
    f:seek("set", 1024)
    head = head .. (f:read(1024) or "")
  end
  f:close()
  return head
end

local function shell_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end
local WINDOWS = package.config:sub(1, 1) == "\\"
local function is_dir(path)
  local r
  if WINDOWS then  -- cmd.exe: "dir\*" exists for a directory only
    r = os.execute('if exist "' .. path:gsub("/", "\\") .. '\\*" (exit 0) else (exit 1)')
  else
    r = os.execute("test -d " .. shell_quote(path))
  end
  return r == 0 or r == true
end

local walk = require "victor.walk"

local function list_files(roots, opts, max_bytes)
  return walk.files(roots, { max_file_bytes = max_bytes, include = opts.include, exclude = opts.exclude,
    gitignore = opts.gitignore, jobs = opts.jobs })
end

-- ---- the index ----------------------------------------------------------------

local function read_all(path)
  local f = io_open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local function write_atomic(path, data)
  local tmp = path .. ".tmp"
  local f, msg = io_open(tmp, "wb")
  if not f then return nil, msg end
  local ok, werr = f:write(data)
  f:close()
  if not ok then
    os_remove(tmp)
    return nil, werr
  end
  local rok, rerr = os_rename(tmp, path)
  if not rok and WINDOWS then  -- Windows' rename does not replace an existing file
    os_remove(path)
    rok, rerr = os_rename(tmp, path)
  end
  if not rok then
    os_remove(tmp)
    return nil, rerr
  end
  return true
end

local INDEX_OPTS = { jobs = "count", max_file_bytes = "count", timeout_ms = "count", max_symbols = "count",
  index = "any", cache = "boolean", lang = "string", include = "table", exclude = "table",
  gitignore = "boolean", progress = "function", warn = "function", batch = "count", files = "table" }
local KINDS = {
  any = function() end,
  string = function(v, k) if type(v) ~= "string" then return k .. " must be a string" end end,
  ["function"] = function(v, k) if type(v) ~= "function" then return k .. " must be a function" end end,
}

--- Index a tree (or a list of files) in parallel, incrementally.
--- roots: a path or an array of paths (directories are walked with victor.walk:
--- .gitignore honoured, hidden files left out, include/exclude globs). opts: jobs (threads,
--- 0/nil: all cores; output never depends on it), max_file_bytes (1 MiB; larger files
--- are skipped "too large"), timeout_ms (per parse, 2000: "timeout"), max_symbols
--- (per file), lang (only files of this language), include / exclude (globs),
--- index (the on-disk index file; default `<root>/.victor-index` for one directory
--- root; false: none), cache (default true; false: parse everything, still write the
--- index), files (explicit list of paths, instead of walking roots), progress
--- (function(done, total) called between batches), warn (function(msg), default
--- stderr), batch (files per batch: default 256 with a progress callback, else all).
--- Returns a result: { files = { {path, language, size, hash, symbols (count),
--- skipped?, has_error, reused} ... } in path order, skipped = { {path, reason} },
--- stats = { files, parsed, reused, skipped, bytes, symbols, index_rebuilt },
--- index = the native Index } or nil, msg, code.
---@param roots string|string[]
---@param opts table|nil
function M.index_codebase(roots, opts)
  local fname = "index_codebase"
  if type(roots) == "string" then roots = { roots } end
  if type(roots) ~= "table" then argerror(1, fname, "string or table expected, got " .. type(roots)) end
  opts = check_opts(opts, INDEX_OPTS, 2, fname, KINDS)
  if opts.lang and not M.EXTENSIONS[opts.lang] then
    local ok = false
    for _, l in each_next, M.EXTENSIONS do if l == opts.lang then ok = true end end
    if not ok then argerror(2, fname, "unknown language '" .. opts.lang .. "'") end
  end
  if not core then return unavailable() end
  local warn = opts.warn or function(msg) io.stderr:write("victor-lua: warning: ", msg, "\n") end
  local max_bytes = opts.max_file_bytes or M.DEFAULT_MAX_FILE_BYTES
  local listed, skipped, code
  if opts.files then
    listed, skipped = {}, {}
    for i, p in ipairs(opts.files) do
      if type(p) ~= "string" then argerror(2, fname, "files[" .. i .. "] must be a string") end
      listed[i] = { path = p }
    end
  else
    listed, skipped, code = list_files(roots, opts, max_bytes)
    if not listed then return nil, skipped, code end
  end
  -- languages
  local paths, langs = {}, {}
  for _, f in ipairs(listed) do
    local lang = M.detect(f.path)
    if not lang then
      local head = read_head(f.path)
      lang = head and M.detect(f.path, head)
    elseif lang == "c" and f.path:find("%.[hH]$") then
      -- a header: C or C++ (`lang` = "c" or "cpp" forces one: no sniffing)
      if opts.lang == "c" or opts.lang == "cpp" then
        lang = opts.lang
      else
        local head = read_head(f.path, M.H_SNIFF_BYTES)
        lang = head and M.detect(f.path, head) or lang
      end
    end
    if lang and (not opts.lang or lang == opts.lang) then
      paths[#paths + 1] = f.path
      langs[#langs + 1] = lang
    end
  end
  -- previous index
  local index_path = opts.index
  if index_path == nil and #roots == 1 and not opts.files then
    local r = roots[1]
    if is_dir(r) then index_path = r .. "/" .. M.INDEX_NAME end
  end
  local prev, rebuilt = nil, false
  if index_path and opts.cache ~= false then
    local data = read_all(index_path)
    if data and data ~= "" then
      local p, msg = core.load(data)
      if p then
        prev = p
      else
        rebuilt = true
        warn(sfmt("%s: %s; rebuilding it", index_path, msg))
      end
    end
  end
  local idx = core.new_index()
  -- batches only serve the progress callback: each ends with a barrier (its slowest file)
  local batch = opts.batch or (opts.progress and M.DEFAULT_BATCH or #paths)
  if batch < 1 then batch = M.DEFAULT_BATCH end
  local total = #paths
  for s = 1, total, batch do
    local e = min(total, s + batch - 1)
    local bp, bl = {}, {}
    for i = s, e do
      bp[#bp + 1] = paths[i]
      bl[#bl + 1] = langs[i]
    end
    local ok, msg, c = idx:add(bp, bl, prev or false, max_bytes, opts.timeout_ms or M.DEFAULT_TIMEOUT_MS,
      opts.max_symbols or M.DEFAULT_MAX_SYMBOLS, opts.jobs or 0)
    if not ok then return nil, msg, c end
    if opts.progress then opts.progress(e, total) end
  end
  local prev_count = prev and prev:count()
  if prev then prev:close() end
  local res = { files = {}, skipped = {}, index = idx, index_path = index_path,
    stats = { files = total, parsed = 0, reused = 0, skipped = 0, bytes = 0, symbols = 0, index_rebuilt = rebuilt } }
  for _, x in ipairs(skipped or {}) do
    res.skipped[#res.skipped + 1] = { path = x.path, reason = x.reason, listing = true }
  end
  local st = res.stats
  for i = 1, idx:count() do
    local f = idx:file(i)
    f.index = i
    res.files[i] = f
    st.bytes = st.bytes + f.size
    st.symbols = st.symbols + f.symbols
    if f.skipped then
      st.skipped = st.skipped + 1
      res.skipped[#res.skipped + 1] = { path = f.path, reason = f.skipped }
    elseif f.reused then
      st.reused = st.reused + 1
    else
      st.parsed = st.parsed + 1
    end
  end
  sort(res.skipped, function(a, b) return a.path < b.path end)
  -- nothing parsed and the same files as before: the index on disk is current
  local current = prev_count == total and st.reused == total
  if index_path and not current then
    local ok, msg = write_atomic(index_path, idx:serialize())
    if not ok then warn(sfmt("cannot write the index %s: %s", index_path, tostring(msg))) end
  end
  return res
end

--- The symbols of file i of a result (as extract_symbols gives them, plus `path`).
---@param res table
---@param i integer
---@return table
function M.file_symbols(res, i)
  local f = res.files[i]
  local syms = res.index:symbols(i)
  for k = 1, #syms do
    syms[k].path = f.path
    syms[k].language = f.language
  end
  return syms
end

-- ---- outputs ----------------------------------------------------------------------

-- JSON string (slashes are left alone, unlike lua-cjson 2.1's encoder)
local JESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\t"] = "\\t", ["\r"] = "\\r" }
local function jstr(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return JESC[c] or sfmt("\\u%04x", c:byte()) end) .. '"'
end

--- JSON lines, one symbol a line in path then position order, with a fixed key
--- order: path, language, kind, name, line, column, end_line, start_byte, end_byte,
--- scope, signature (definitions). Skipped files are lines {"path", "skipped"}.
--- write(s) receives the text in pieces.
---@param res table
---@param write fun(s: string)
function M.write_jsonl(res, write)
  for i, f in ipairs(res.files) do
    if f.skipped then
      write('{"path":' .. jstr(f.path) .. ',"skipped":' .. jstr(f.skipped) .. "}\n")
    elseif f.symbols > 0 then
      write(res.index:jsonl(i))
    end
  end
  for _, x in ipairs(res.skipped) do
    if x.listing then write('{"path":' .. jstr(x.path) .. ',"skipped":' .. jstr(x.reason) .. "}\n") end
  end
end

--- ctags kind letters.
M.CTAGS_KINDS = { ["function"] = "f", method = "m", class = "c", struct = "s", interface = "i", enum = "g",
  module = "n", constant = "C", variable = "v", type = "t", macro = "d", field = "F" }
local CTAGS_PATTERN_MAX = 96

local function ctags_pattern(line)
  local trunc = #line > CTAGS_PATTERN_MAX
  if trunc then line = line:sub(1, CTAGS_PATTERN_MAX) end
  line = line:gsub("\r$", "")
  line = line:gsub("[\\/]", "\\%0")
  -- (a `$` is only special at the very end of a Vim pattern: the anchor added here)
  if not trunc then line = line .. "$" end
  return "/^" .. line .. "/;\""
end

local function file_lines(path)
  local data = read_all(path)
  local lines = {}
  if not data then return lines end
  for l in (data .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
  return lines
end

--- A ctags `tags` file (extended format, sorted by name in byte order, then path and
--- line): `name<TAB>path<TAB>/^line$/;"<TAB>kind-letter<TAB>line:N[<TAB><kind>:<scope>]`,
--- definitions only, after the `!_TAG_` header lines.
---@param res table
---@param write fun(s: string)
function M.write_ctags(res, write)
  local entries = {}
  for i, f in ipairs(res.files) do
    if not f.skipped and f.symbols > 0 then
      local syms = res.index:symbols(i)
      local lines
      local scope_kind = {}
      for k = 1, #syms do
        local s = syms[k]
        if not s.ref then
          scope_kind[(s.scope ~= "" and (s.scope .. ".") or "") .. s.name] = s.kind
        end
      end
      for k = 1, #syms do
        local s = syms[k]
        if not s.ref and not s.name:find("[\t\n\r]") then
          lines = lines or file_lines(f.path)
          local ext = M.CTAGS_KINDS[s.kind] .. "\tline:" .. s.line
          if s.scope ~= "" then
            local sk = scope_kind[s.scope] or "scope"
            if sk == "function" or sk == "method" then sk = "function" end
            ext = ext .. "\t" .. sk .. ":" .. s.scope
          end
          entries[#entries + 1] = { s.name, f.path, s.line, s.name .. "\t" .. f.path .. "\t"
            .. ctags_pattern(lines[s.line] or "") .. "\t" .. ext .. "\n" }
        end
      end
    end
  end
  sort(entries, function(a, b)
    if a[1] ~= b[1] then return a[1] < b[1] end
    if a[2] ~= b[2] then return a[2] < b[2] end
    if a[3] ~= b[3] then return a[3] < b[3] end
    return a[4] < b[4]
  end)
  write("!_TAG_FILE_FORMAT\t2\t/extended format; --format=1 will not append ;\" to lines/\n")
  write("!_TAG_FILE_SORTED\t1\t/0=unsorted, 1=sorted, 2=foldcase/\n")
  write("!_TAG_OUTPUT_EXCMD\tpattern\t/number, pattern, mixed, or combineV2/\n")
  write("!_TAG_PROGRAM_AUTHOR\tvictor-lua\t//\n")
  write("!_TAG_PROGRAM_NAME\tvictor-lua index\t//\n")
  write("!_TAG_PROGRAM_VERSION\t" .. native.version() .. "\t//\n")
  local buf = {}
  for i = 1, #entries do
    buf[#buf + 1] = entries[i][4]
    if #buf >= 1024 then
      write(concat(buf))
      buf = {}
    end
  end
  write(concat(buf))
end

-- ---- repo map ---------------------------------------------------------------------

local MAP_KINDS = { ["function"] = true, method = true, class = true, struct = true, interface = true,
  enum = true, module = true, constant = true, type = true, macro = true }

local REPOMAP_OPTS = { budget = "count", focus = "table" }

--- A repo map: files ranked by PageRank over the file graph "file A references an
--- identifier that file B defines" (edge A -> B weighted by the number of such
--- references, divided by the number of files defining the identifier), personalised
--- towards opts.focus (paths of files, or identifiers: the files defining them),
--- rendered best first as `path:` and its key definitions' signatures (at most
--- REPOMAP_MAX_DEFS, the most referenced from other files first, shown in line order) until the token
--- budget (tokens estimated as bytes / 4) is spent. Returns the text and the ranked
--- list { {path, score} ... }.
---@param res table
---@param opts table|nil
---@return string text
---@return table ranked
function M.repomap(res, opts)
  local fname = "repomap"
  opts = check_opts(opts, REPOMAP_OPTS, 2, fname)
  local graph = require "victor.graph"
  local budget = opts.budget or M.DEFAULT_BUDGET
  local nodes, defs_of, defines = {}, {}, {}
  local refs = {}
  for i, f in ipairs(res.files) do
    if not f.skipped and f.symbols > 0 then
      local syms = res.index:symbols(i)
      nodes[#nodes + 1] = f.path
      local d, r = {}, {}
      for k = 1, #syms do
        local s = syms[k]
        if s.ref then
          r[#r + 1] = s.name
        elseif MAP_KINDS[s.kind] then
          d[#d + 1] = s
          local set = defines[s.name]
          if not set then
            set = { n = 0 }
            defines[s.name] = set
          end
          if not set[f.path] then
            set[f.path] = true
            set.n = set.n + 1
            set[set.n] = f.path
          end
        end
      end
      defs_of[f.path] = d
      refs[f.path] = r
    end
  end
  -- edges and per-definition reference counts
  local weight, order = {}, {}
  local used = {}  -- path -> name -> count of references from other files
  local focus_files, focus_names = {}, {}
  for _, x in ipairs(opts.focus or {}) do
    if defs_of[x] then focus_files[x] = true else focus_names[x] = true end
  end
  for _, a in ipairs(nodes) do
    for _, name in ipairs(refs[a]) do
      local set = defines[name]
      if set and not set[a] then
        -- aider's heuristics: an identifier defined in many files, or a private one,
        -- says little about which file is meant
        local w = 1 / set.n
        if set.n > 5 then w = w * 0.1 end
        if name:sub(1, 1) == "_" then w = w * 0.1 end
        if focus_names[name] then w = w * 10 end
        for k = 1, set.n do
          local b = set[k]
          local key = a .. "\0" .. b
          if not weight[key] then
            order[#order + 1] = { a, b, key }
            weight[key] = 0
          end
          weight[key] = weight[key] + w
          local u = used[b] or {}
          used[b] = u
          u[name] = (u[name] or 0) + w
        end
      end
    end
  end
  local ranked = {}
  if #nodes > 0 then
    local edges = {}
    for i, e in ipairs(order) do edges[i] = { e[1], e[2], weight[e[3]] } end
    local g = assert(graph.from_edges(edges, { nodes = nodes, weighted = true }))
    local pers
    local any = false
    for _ in each_next, focus_files do any = true end
    for _ in each_next, focus_names do any = true end
    if any then
      pers = {}
      for _, p in ipairs(nodes) do
        local w = focus_files[p] and 100 or 0
        for nm in each_next, focus_names do
          local set = defines[nm]
          if set and set[p] then w = w + 100 end
        end
        pers[p] = w + 1
      end
    end
    local scores = assert(g:pagerank({ personalization = pers, threads = 1 }))
    g:close()
    for i, p in ipairs(nodes) do ranked[i] = { path = p, score = scores[p] or 0, i = i } end
    sort(ranked, function(a, b)
      if a.score ~= b.score then return a.score > b.score end
      return a.path < b.path
    end)
  end
  -- render
  local limit = budget * 4
  local header = sfmt("# repo map: %d files ranked by PageRank; budget %d tokens (estimated as bytes/4)\n",
    #ranked, budget)
  local out, used_bytes = { header }, #header
  local shown = 0
  for _, r in ipairs(ranked) do
    local d = defs_of[r.path]
    local u = used[r.path] or {}
    local pick = {}
    for k = 1, #d do pick[k] = d[k] end
    sort(pick, function(a, b)
      local ua, ub = u[a.name] or 0, u[b.name] or 0
      if ua ~= ub then return ua > ub end
      if a.start_byte ~= b.start_byte then return a.start_byte < b.start_byte end
      return a.name < b.name
    end)
    local head = "\n" .. r.path .. ":\n"
    local first = pick[1] and ((pick[1].scope ~= "" and "│   " or "│ ") .. pick[1].signature .. "\n") or ""
    if used_bytes + #head + #first > limit then break end
    used_bytes = used_bytes + #head
    shown = shown + 1
    local lines = {}
    for k = 1, min(#pick, M.REPOMAP_MAX_DEFS) do
      local s = pick[k]
      local indent = s.scope ~= "" and "│   " or "│ "
      local l = indent .. s.signature .. "\n"
      if used_bytes + #l > limit then break end
      used_bytes = used_bytes + #l
      lines[#lines + 1] = { s, l }
    end
    sort(lines, function(a, b) return a[1].start_byte < b[1].start_byte end)
    out[#out + 1] = head
    for k = 1, #lines do out[#out + 1] = lines[k][2] end
  end
  local text = concat(out)
  return text, ranked, { files = shown, tokens = floor((#text + 3) / 4) }
end

--- Close a result's native index (also done by the garbage collector).
function M.close(res)
  if res and res.index then res.index:close() end
end

return M
