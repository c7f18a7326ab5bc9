--- `victor-lua scan`: find secrets in files and directories (victor.secrets), or mask them in a
--- stream (--redact).
--
--   victor-lua scan PATH... [--format text|json|sarif] [--baseline FILE] [--rules PACK]...
--                   [--jobs N] [--max-file-size BYTES] [--hidden] [--no-gitignore]
--   victor-lua scan --redact [--style rule|char] < in > out
--
-- Directories are walked with victor.walk (sorted, .gitignore and .victorignore honoured, .git,
-- binary files and files over the size cap skipped); files are scanned in parallel in C, results in
-- path order whatever --jobs. Exit status: 0 no findings, 1 findings remain (after the baseline),
-- 2 usage, rule-pack or input errors.
local argparse = require "argparse"
local cli = require "victor.cli"

local M = { name = "scan", summary = "find secrets in files (text, JSON or SARIF), or mask them in a stream" }

local sfmt, tonumber, floor, tconcat = string.format, tonumber, math.floor, table.concat
local byte, ssub, sgsub = string.byte, string.sub, string.gsub

M.CHUNK = 64 * 1024
M.BATCH = 512           -- files per scan_files call (progress granularity)
M.IGNORE_FILE = ".victorignore"

local function parser()
  local p = argparse("victor-lua scan", "Find secrets (API keys, tokens, private keys, passwords) in files and\n"
    .. "directories with the secret rules of the rule set (rules/secrets.lua plus\n--rules packs).")
    :add_help(false)
  p:epilog("Examples:\n"
    .. "  victor-lua scan .\n"
    .. "  victor-lua scan src --format sarif > results.sarif\n"
    .. "  git diff | victor-lua scan --redact\n"
    .. "\n"
    .. "Text output: one line per finding, 'file:line:col rule severity redacted'.\n"
    .. "Directories are walked in sorted order; .gitignore and " .. M.IGNORE_FILE .. " files are\n"
    .. "honoured; .git, binary files and files over --max-file-size are skipped.\n"
    .. "Exit status: 0 no findings, 1 findings remain, 2 usage or input error.")
  p:argument("paths", "Files or directories to scan."):args("*")
  p:flag("-h --help", "Show this help.")
  p:option("--format", "Output format: text, json or sarif (SARIF 2.1.0).", "text")
    :choices({ "text", "json", "sarif" })
  p:option("--baseline", "File of accepted fingerprints (one per line, '#' comments; or a\n"
    .. "JSON report of this command): those findings are not reported."):argname("<FILE>")
  p:option("--rules", "A rule pack merged over the defaults (repeatable).")
    :argname("<PACK>"):count("*")
  p:option("--jobs", "Threads (default: all cores); results do not depend on it."):argname("<N>")
  p:option("--max-file-size", "Skip files larger than this many bytes (default 1048576; 0: no cap).")
    :argname("<BYTES>")
  p:flag("--hidden", "Also scan dot-files and dot-directories (.git never).")
  p:flag("--no-gitignore", "Do not honour .gitignore files.")
  p:flag("--redact", "Copy stdin to stdout with the secrets masked, streaming.")
  p:option("--style", "With --redact: rule ([REDACTED:rule-id]) or char (one * per byte).", "rule")
    :choices({ "rule", "char" })
  p:flag("--no-progress", "No progress line on stderr (it is shown only on a terminal).")
  return p
end

local function count_arg(v, name, err)
  if v == nil then return nil end
  local n = tonumber(v)
  if not n or n < 0 or n ~= floor(n) then
    err(sfmt("victor-lua: scan: %s must be a non-negative integer, got '%s'\n", name, v))
    return false
  end
  return n
end

local stderr_is_tty = cli.stderr_is_tty

--- Accepted fingerprints from a baseline file: hex lines, or a JSON report.
local function load_baseline(path, err)
  local fh, msg = io.open(path, "rb")
  if not fh then err("victor-lua: scan: " .. msg .. "\n") return nil end
  local text = fh:read("*a")
  fh:close()
  local set = {}
  if text:match("^%s*[%[{]") then
    local ok, cjson = pcall(require, "cjson.safe")
    local doc = ok and cjson.decode(text)
    if type(doc) ~= "table" then
      err("victor-lua: scan: " .. path .. ": not a JSON report\n")
      return nil
    end
    local list = doc.findings or doc
    for _, f in ipairs(list) do
      if type(f) == "table" and type(f.fingerprint) == "string" then set[f.fingerprint] = true
      elseif type(f) == "string" then set[f] = true end
    end
  else
    for line in text:gmatch("[^\n]+") do
      local fp = line:match("^%s*(%x+)%s*$")
      if fp then set[fp:lower()] = true end
    end
  end
  return set
end

-- Line and column (bytes, and code points) of 1-based byte offset `pos` in text.
local function position(text, pos)
  local line, bol = 1, 1
  local i = 1
  while true do
    local nl = text:find("\n", i, true)
    if not nl or nl >= pos then break end
    line = line + 1
    bol = nl + 1
    i = nl + 1
  end
  local prefix = ssub(text, bol, pos - 1)
  local cps = #sgsub(prefix, "[\128-\191]", "")
  return line, pos - bol + 1, cps + 1
end

-- Re-read a file with findings to add the redacted match and end positions.
local function enrich(path, findings)
  local fh = io.open(path, "rb")
  if not fh then return end
  local text = fh:read("*a")
  fh:close()
  for _, f in ipairs(findings) do
    local secret_len = f.secret_stop - f.secret_start + 1
    local keep = secret_len >= 16 and 4 or 0
    f.redacted = ssub(text, f.start, f.secret_start - 1) .. ssub(text, f.secret_start, f.secret_start + keep - 1)
      .. ("*"):rep(math.min(secret_len - keep, 8)) .. ssub(text, f.secret_stop + 1, f.stop)
    local _, _, cp = position(text, f.secret_start)
    f.col_cp = cp
    local el, _, ecp = position(text, f.secret_stop + 1)
    f.end_line, f.end_col_cp = el, ecp
  end
end

local function uri(path)
  path = path:gsub("^%./", "")
  return (path:gsub("[^%w%-%._~/]", function(c) return sfmt("%%%02X", byte(c)) end))
end

local function sarif(findings, scanner, version)
  local rules, index = {}, {}
  for i, r in ipairs(scanner:rules()) do
    index[r.id] = i - 1
    rules[i] = { id = r.id, name = r.id, shortDescription = { text = r.description or r.id },
      defaultConfiguration = { level = require("victor.secrets").SARIF_LEVEL[r.severity or "high"] },
      properties = { severity = r.severity } }
  end
  local results = {}
  for i, f in ipairs(findings) do
    results[i] = {
      ruleId = f.rule, ruleIndex = index[f.rule],
      level = require("victor.secrets").SARIF_LEVEL[f.severity],
      message = { text = sfmt("%s (%s): %s", f.rule, f.severity, f.redacted or "") },
      locations = { { physicalLocation = {
        artifactLocation = { uri = uri(f.file) },
        region = { startLine = f.line, startColumn = f.col_cp or f.col, endLine = f.end_line or f.line,
          endColumn = f.end_col_cp or (f.col + f.secret_stop - f.secret_start + 1),
          byteOffset = f.secret_start - 1, byteLength = f.secret_stop - f.secret_start + 1 },
      } } },
      partialFingerprints = { ["victorSecret/v1"] = f.fingerprint },
    }
  end
  return {
    ["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json",
    version = "2.1.0",
    runs = { { tool = { driver = { name = "victor-lua", version = version,
      rules = rules } },
      columnKind = "unicodeCodePoints", results = results } },
  }
end

local function redact_stream(scanner, style, out)
  local rd = scanner:redactor({ style = style })
  while true do
    local chunk = io.stdin:read(M.CHUNK)
    if not chunk then break end
    local s = rd:feed(chunk)
    if s ~= "" then out(s) end
  end
  out(rd:finish())
  return 0
end

function M.run(argv, out, err)
  out = out or function(s) io.stdout:write(s) end
  err = err or function(s) io.stderr:write(s) end
  local a, st = cli.parse_args(parser(), argv, "scan", out, err)
  if not a then return st end
  local jobs = count_arg(a.jobs, "--jobs", err)
  if jobs == false then return 2 end
  local max_size = count_arg(a.max_file_size, "--max-file-size", err)
  if max_size == false then return 2 end
  local secrets = require "victor.secrets"
  local packs = a.rules and #a.rules > 0 and a.rules or nil
  local scanner, msg = secrets.compile(packs)
  if not scanner then
    err("victor-lua: scan: " .. msg .. "\n")
    return 2
  end
  if a.redact then
    if #a.paths > 0 then err("victor-lua: scan: --redact reads stdin; no paths expected\n") return 2 end
    return redact_stream(scanner, a.style, out)
  end
  if #a.paths == 0 then
    err("victor-lua: scan: no paths (see 'victor-lua scan --help')\n")
    return 2
  end
  local baseline = {}
  if a.baseline then
    baseline = load_baseline(a.baseline, err)
    if not baseline then return 2 end
  end
  local walk = require "victor.walk"
  local files, skipped, code = walk.files(a.paths, { max_file_bytes = max_size or walk.DEFAULT_MAX_FILE_BYTES,
    gitignore = not a.no_gitignore, hidden = a.hidden or false, ignore_file = M.IGNORE_FILE, jobs = jobs })
  if not files then
    err(sfmt("victor-lua: scan: %s (%s)\n", skipped, code))
    return 2
  end
  local paths = {}
  for i, f in ipairs(files) do paths[i] = f.path end
  local progress = not a.no_progress and stderr_is_tty()
  local findings, errors, nbytes = {}, 0, 0
  for first = 1, #paths, M.BATCH do
    local batch = { unpack(paths, first, math.min(#paths, first + M.BATCH - 1)) }
    local res, rmsg = scanner:scan_files(batch, { jobs = jobs })
    if not res then
      err("victor-lua: scan: " .. rmsg .. "\n")
      return 2
    end
    for _, r in ipairs(res) do
      nbytes = nbytes + (r.bytes or 0)
      if r.error then
        errors = errors + 1
        err(sfmt("victor-lua: scan: %s: %s\n", r.path, r.error == "EIO" and "cannot read" or "too large"))
      end
      for _, l in ipairs(r.limited or {}) do
        err(sfmt("victor-lua: scan: %s: rule '%s' stopped at byte %d (%s)\n", r.path, l.rule, l.offset, l.code))
      end
      local kept = {}
      for _, f in ipairs(r.findings) do
        if not baseline[f.fingerprint] then kept[#kept + 1] = f end
      end
      if #kept > 0 then
        enrich(r.path, kept)
        for _, f in ipairs(kept) do findings[#findings + 1] = f end
      end
    end
    if progress then
      io.stderr:write(sfmt("\rscan: %d/%d files, %.1f MB, %d findings", math.min(#paths, first + M.BATCH - 1),
        #paths, nbytes / 1e6, #findings))
    end
  end
  if progress then io.stderr:write("\n") end
  if a.format == "text" then
    local lines = {}
    for i, f in ipairs(findings) do
      lines[i] = sfmt("%s:%d:%d %s %s %s\n", f.file, f.line, f.col, f.rule, f.severity, f.redacted or "")
    end
    out(tconcat(lines))
  else
    local doc
    if a.format == "json" then
      local list = {}
      for i, f in ipairs(findings) do
        list[i] = { rule = f.rule, severity = f.severity, file = f.file, line = f.line, col = f.col,
          start = f.secret_start, stop = f.secret_stop, match_start = f.start, match_stop = f.stop,
          fingerprint = f.fingerprint, redacted = f.redacted, description = f.description }
      end
      doc = { version = require("victor.native").version(), files = #paths, skipped = #skipped,
        findings = list }
    else
      doc = sarif(findings, scanner, require("victor.native").version())
    end
    -- an empty table encodes as {}: these two are arrays (keys sorted: the same bytes every run)
    local json = cli.json_encode(doc):gsub('"findings":{}', '"findings":[]'):gsub('"results":{}', '"results":[]')
    out(json .. "\n")
  end
  if errors > 0 then return 2 end
  return #findings > 0 and 1 or 0
end

return M
