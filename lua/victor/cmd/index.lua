--- `victor-lua index`: index a tree of source files with tree-sitter.
--
--   victor-lua index PATH... [--format jsonl|ctags|repomap] [--lang L] [--jobs N]
--                    [--budget TOKENS] [--focus FILE|IDENT]... [--index FILE] [--no-cache]
--                    [--max-file-bytes N] [--timeout-ms N] [--include GLOB]... [--exclude GLOB]...
--                    [--output FILE] [--stats]
--
-- Symbols go to stdout (or --output) as JSON lines (default), a ctags `tags` file or
-- a repo map. The incremental index is kept in PATH/.victor-index (one directory
-- PATH) or --index FILE; unchanged files are not parsed again. A progress bar goes
-- to stderr when it is a terminal.
local argparse = require "argparse"
local cli = require "victor.cli"
local indexer = require "victor.indexer"

local M = { name = "index", summary = "index source files with tree-sitter: symbols, ctags, repo map" }

local sfmt, floor = string.format, math.floor

local FORMATS = { jsonl = true, ctags = true, repomap = true }

local function parser()
  local p = argparse("victor-lua index", "Index source files with tree-sitter (Python, JavaScript, TypeScript, TSX,\n"
    .. "Go, Rust, C, C++, Java, Lua, Ruby; Bash and JSON for structure): definitions and\n"
    .. "references with their scope and signature, in parallel, incrementally.")
    :add_help(false)
  p:epilog("Examples:\n"
    .. "  victor-lua index src                      JSON lines of every symbol\n"
    .. "  victor-lua index . --format ctags -o tags  a tags file for your editor\n"
    .. "  victor-lua index . --format repomap --budget 2048 --focus src/main.py\n"
    .. "  victor-lua index lib --lang python --jobs 2 --no-cache\n"
    .. "Output: jsonl: one object a symbol {path, language, kind, name, line, column,\n"
    .. "end_line, start_byte, end_byte, scope, signature}, and {path, skipped} for files\n"
    .. "skipped (too large, timeout, binary, unreadable). ctags: sorted, extended format.\n"
    .. "repomap: the most important files (PageRank over references between files) with\n"
    .. "their key signatures, within --budget tokens (estimated as bytes/4).\n"
    .. "Exit status: 0 ok, 2 usage or input error.")
  p:argument("paths", "Directories or files to index."):args("*")
  p:flag("-h --help", "Show this help.")
  p:option("-f --format", "jsonl (default), ctags or repomap."):argname("<FMT>")
  p:option("--lang", "Only files of this language (c or cpp: also the grammar of every .h header)."):argname("<L>")
  p:option("-j --jobs", "Parser threads (default: all cores; output never depends on it)."):argname("<N>")
  p:option("--budget", "repomap: token budget (default " .. indexer.DEFAULT_BUDGET .. ")."):argname("<TOKENS>")
  p:option("--focus", "repomap: personalise towards these files or identifiers."):args("+"):count("*")
    :argname("<FILE>")
  p:option("--index", "The on-disk index (default PATH/" .. indexer.INDEX_NAME .. " for one directory).")
    :argname("<FILE>")
  p:flag("--no-cache", "Parse every file again (the index is still written).")
  p:option("--max-file-bytes", "Skip larger files (default " .. indexer.DEFAULT_MAX_FILE_BYTES .. ")."):argname("<N>")
  p:option("--timeout-ms", "Per-file parse timeout (default " .. indexer.DEFAULT_TIMEOUT_MS .. ")."):argname("<N>")
  p:option("--include", "Only paths matching this glob."):count("*"):argname("<GLOB>")
  p:option("--exclude", "Leave out paths matching this glob."):count("*"):argname("<GLOB>")
  p:option("-o --output", "Write to FILE instead of stdout."):argname("<FILE>")
  p:flag("--stats", "Print counts and timings to stderr.")
  return p
end

local stderr_is_tty = cli.stderr_is_tty

local function count_opt(a, name)
  return cli.num_opt(a, name, cli.is_count, "a non-negative integer")
end

function M.run(argv, out, err)
  out = out or function(s) io.stdout:write(s) end
  err = err or function(s) io.stderr:write(s) end
  local p = parser()
  local a, status = cli.parse_args(p, argv, "index", out, err)
  if not a then return status end
  local function usage(msg)
    err("victor-lua: index: " .. msg .. "\n")
    return 2
  end
  if #a.paths == 0 then return usage("missing PATH (see 'victor-lua index --help')") end
  local fmt = a.format or "jsonl"
  if not FORMATS[fmt] then return usage(sfmt("unknown format '%s' (jsonl, ctags, repomap)", fmt)) end
  local known = false
  for _, l in ipairs(indexer.languages()) do if l == a.lang then known = true end end
  if a.lang and not known then return usage(sfmt("unknown language '%s'", a.lang)) end
  local opts = { lang = a.lang, cache = not a.no_cache, include = #a.include > 0 and a.include or nil,
    exclude = #a.exclude > 0 and a.exclude or nil, index = a.index,
    warn = function(msg) err("victor-lua: index: warning: " .. msg .. "\n") end }
  local msg
  for _, k in ipairs { "jobs", "budget", "max_file_bytes", "timeout_ms" } do
    local v
    v, msg = count_opt(a, k)
    if msg then return usage(msg) end
    opts[k] = v
  end
  local budget = opts.budget
  opts.budget = nil
  if stderr_is_tty() then
    opts.progress = function(done, total)
      local width = 30
      local fill = total > 0 and floor(width * done / total) or width
      err(sfmt("\r[%s%s] %d/%d files", ("#"):rep(fill), ("."):rep(width - fill), done, total))
      if done == total then err("\n") end
    end
  end
  local t0 = os.clock()
  local res, emsg, code = indexer.index_codebase(a.paths, opts)
  if not res then
    err(sfmt("victor-lua: index: %s (%s)\n", emsg, code))
    return 2
  end
  local fh = io.stdout
  if a.output then
    local f, oerr = io.open(a.output, "wb")
    if not f then return usage(oerr) end
    fh = f
  end
  local function write(s) fh:write(s) end
  if fh == io.stdout then write = out end
  if fmt == "jsonl" then
    indexer.write_jsonl(res, write)
  elseif fmt == "ctags" then
    indexer.write_ctags(res, write)
  else
    local focus = {}
    for _, group in ipairs(a.focus or {}) do
      for _, x in ipairs(group) do focus[#focus + 1] = x end
    end
    local text = indexer.repomap(res, { budget = budget, focus = focus })
    write(text)
  end
  if fh ~= io.stdout then fh:close() end
  local st = res.stats
  if a.stats then
    err(sfmt("victor-lua: index: %d files (%d parsed, %d reused, %d skipped), %d bytes, %d symbols, %.3f s cpu\n",
      st.files, st.parsed, st.reused, st.skipped, st.bytes, st.symbols, os.clock() - t0))
  end
  indexer.close(res)
  return 0
end

return M
