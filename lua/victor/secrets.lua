--- victor.secrets: find, report and mask secrets (API keys, tokens, private keys, passwords) with
--- the `secret` rules of the active rule packs (rules/secrets.lua by default).
--
-- Semantics are in the design note of core/secrets.h: every rule is a PCRE2 regex (JIT, RE2-like
-- settings) tried only at start positions within `limits.window` bytes before one of its keywords
-- (found by one ASCII case-insensitive Aho-Corasick pass); the secret capture group must reach the
-- rule's entropy and pass its allowlists; overlapping findings are merged (the first by position
-- wins). Offsets are 1-based inclusive byte offsets; lines and columns are 1-based, columns in bytes.
-- There is no pure-Lua fallback (the regex engine is PCRE2): without the native module, compile
-- returns nil, "victor.secrets needs the native module (...)", "ENATIVE", and mask raises that.
local native = require "victor.native"
local rules = require "victor.rules"
local args = require "victor.args"

local M = {}

local type, error, sfmt, tostring, setmetatable, getmetatable = type, error, string.format, tostring,
  setmetatable, getmetatable
local unpack = unpack
local tconcat, srep, ssub, min, max = table.concat, string.rep, string.sub, math.min, math.max
local argerror = args.argerror
local each_next = next

local core, why = native.load("secrets")
M.backend = core and "native" or "none"

--- Default start window (bytes a match may begin before its keyword).
M.DEFAULT_WINDOW = 64  -- VL_SECRETS_DEFAULT_WINDOW is 256 for C callers

local function unavailable()
  return "victor.secrets needs the native module (" .. tostring(why) .. ")"
end

local SEVERITIES = { critical = "error", high = "error", medium = "warning", low = "note" }
M.SARIF_LEVEL = SEVERITIES

local function str_list(t, what, id)
  if t == nil then return nil end
  if type(t) ~= "table" then return nil, sfmt("rule '%s': %s must be an array of strings", id, what) end
  local out = {}
  for i = 1, #t do
    if type(t[i]) ~= "string" or t[i] == "" then
      return nil, sfmt("rule '%s': %s[%d] must be a non-empty string", id, what, i)
    end
    out[i] = t[i]
  end
  for k in each_next, t do
    if type(k) ~= "number" or k < 1 or k > #t then
      return nil, sfmt("rule '%s': %s must be an array of strings", id, what)
    end
  end
  return out
end

local ALLOW_KEYS = { regexes = true, stopwords = true, paths = true }
local LIMIT_KEYS = { window = 1e6, match = 1e9, depth = 1e7 }

-- A validated `secret` rule -> the plain table lua_secrets.c takes; or nil, msg.
local function to_core(r)
  local id = r.id
  if type(r.regex) ~= "string" then return nil, sfmt("rule '%s': field 'regex': required", id) end
  local allow, limits = r.allow or {}, r.limits or {}
  for k in each_next, allow do
    if not ALLOW_KEYS[k] then return nil, sfmt("rule '%s': unknown allow field '%s'", id, tostring(k)) end
  end
  for k, v in each_next, limits do
    local cap = LIMIT_KEYS[k]
    if not cap then return nil, sfmt("rule '%s': unknown limits field '%s'", id, tostring(k)) end
    if type(v) ~= "number" or v < 0 or v > cap or v % 1 ~= 0 then
      return nil, sfmt("rule '%s': limits.%s must be an integer in 0..%d", id, k, cap)
    end
  end
  local c = { id = id, regex = r.regex, secret_group = r.secret_group or 0, entropy = r.entropy or 0,
    window = limits.window or M.DEFAULT_WINDOW, match_limit = limits.match, depth_limit = limits.depth }
  local msg
  c.keywords, msg = str_list(r.keywords, "keywords", id)
  if msg then return nil, msg end
  c.allow_regexes, msg = str_list(allow.regexes, "allow.regexes", id)
  if msg then return nil, msg end
  c.stopwords, msg = str_list(allow.stopwords, "allow.stopwords", id)
  if msg then return nil, msg end
  c.allow_paths, msg = str_list(allow.paths, "allow.paths", id)
  if msg then return nil, msg end
  return c
end

---@class victor.secrets.Finding
---@field rule string         rule id
---@field severity string
---@field description string
---@field file string
---@field start integer       match, 1-based inclusive
---@field stop integer
---@field secret_start integer
---@field secret_stop integer
---@field line integer        of secret_start, 1-based
---@field col integer         1-based byte column
---@field fingerprint string  16 hex digits: XXH3-64 of file \0 rule \0 secret
---@field redacted string     the match with the secret masked

---@class victor.secrets.Scanner
local Scanner = {}
Scanner.__index = Scanner

local function redact_match(text, f)
  local secret_len = f.secret_stop - f.secret_start + 1
  local keep = secret_len >= 16 and 4 or 0
  return ssub(text, f.start, f.secret_start - 1) .. ssub(text, f.secret_start, f.secret_start + keep - 1)
    .. srep("*", min(secret_len - keep, 8)) .. ssub(text, f.secret_stop + 1, f.stop)
end

local function decorate(self, text, list, file)
  for i = 1, #list do
    local f = list[i]
    local meta = self.meta[f.index]
    f.index = nil
    f.severity, f.description, f.file = meta.severity, meta.description, file
    if text then f.redacted = redact_match(text, f) end
  end
  return list
end

local SCAN_OPTS = { file = "string", naive = "boolean" }

--- Scan a text. opts: file (name for path allowlists and fingerprints, default ""), naive (run every
--- regex over the whole text: the reference path). Returns the findings (sorted by position) and,
--- when some rule stopped on its match or depth limit, an array of {rule=, offset=, code="ELIMIT"}.
---@param text string
---@param opts? {file?: string, naive?: boolean}
---@return victor.secrets.Finding[]|nil findings
---@return table|string|nil limited_or_msg
---@return string? code
function Scanner:scan(text, opts)
  if getmetatable(self) ~= Scanner then argerror(1, "scan", "Scanner expected") end
  args.check_string(text, 2, "scan")
  opts = args.check_opts(opts, SCAN_OPTS, 3, "scan", { string = function(v, k)
    if type(v) ~= "string" then return k .. " must be a string" end end })
  local file = opts.file or ""
  local found, limited, code = self.core:scan(text, file, opts.naive)
  if not found then return nil, limited, code end
  return decorate(self, text, found, file), limited
end

local FILES_OPTS = { jobs = "count", max_file_size = "count" }

--- Scan files (read and scanned in C, in parallel over files with `jobs` threads; the results are in
--- the order of paths whatever the thread count). opts: jobs (default: all cores), max_file_size
--- (bytes, default 0 = no cap). Returns an array, one entry per path: {path=, findings=, limited=,
--- error=nil|"EIO"|"ELIMIT", bytes=}. Findings have no `redacted` field (the text is not kept).
---@param paths string[]
---@param opts? {jobs?: integer, max_file_size?: integer}
---@return table[]|nil results
---@return string? msg
---@return string? code
function Scanner:scan_files(paths, opts)
  if getmetatable(self) ~= Scanner then argerror(1, "scan_files", "Scanner expected") end
  if type(paths) ~= "table" then argerror(2, "scan_files", "table expected, got " .. type(paths)) end
  for i = 1, #paths do
    if type(paths[i]) ~= "string" then argerror(2, "scan_files", "paths[" .. i .. "] must be a string") end
  end
  opts = args.check_opts(opts, FILES_OPTS, 3, "scan_files")
  local res, msg, code = self.core:scan_files(paths, opts.max_file_size or 0, opts.jobs or 0)
  if not res then return nil, msg, code end
  for i = 1, #res do
    local r = res[i]
    r.path = paths[i]
    r.error = r.status
    r.status = nil
    decorate(self, nil, r.findings, paths[i])
  end
  return res
end

local MASK_OPTS = { style = "string", char = "string" }

local function check_mask_opts(opts, i, fname)
  opts = args.check_opts(opts, MASK_OPTS, i, fname, { string = function(v, k)
    if type(v) ~= "string" then return k .. " must be a string" end end })
  local style = opts.style or "rule"
  if style ~= "rule" and style ~= "char" then argerror(i, fname, "style must be 'rule' or 'char'") end
  local ch = opts.char or "*"
  if ch == "" then argerror(i, fname, "char must not be empty") end
  return style, ch
end

-- text with the secrets of `found` (sorted, not overlapping) replaced; from byte `from` on.
local function apply_mask(text, found, style, ch, from, upto)
  local parts, pos = {}, from
  for i = 1, #found do
    local f = found[i]
    if f.secret_start >= pos and f.secret_stop <= upto then
      parts[#parts + 1] = ssub(text, pos, f.secret_start - 1)
      parts[#parts + 1] = style == "rule" and ("[REDACTED:" .. f.rule .. "]")
        or srep(ch, f.secret_stop - f.secret_start + 1)
      pos = f.secret_stop + 1
    end
  end
  parts[#parts + 1] = ssub(text, pos, upto)
  return tconcat(parts)
end

--- text with every secret replaced by "[REDACTED:<rule id>]" (style "rule", the default) or by as
--- many `char` as the secret has bytes (style "char"). Only the secret group is replaced.
---@param text string
---@param opts? {style?: "rule"|"char", char?: string}
---@return string masked
---@return integer count  secrets masked
function Scanner:mask(text, opts)
  if getmetatable(self) ~= Scanner then argerror(1, "mask", "Scanner expected") end
  args.check_string(text, 2, "mask")
  local style, ch = check_mask_opts(opts, 3, "mask")
  local found, msg = self.core:scan(text, "", false)
  if not found then error("victor.secrets: " .. tostring(msg), 2) end
  return apply_mask(text, decorate(self, nil, found, ""), style, ch, 1, #text), #found
end

---@class victor.secrets.Redactor
local Redactor = {}
Redactor.__index = Redactor

local REDACTOR_OPTS = { style = "string", char = "string", holdback = "count" }

--- A streaming redactor: feed(chunk) returns the masked text that is final so far, finish() the rest.
--- It holds back `holdback` bytes (default: the longest start window + the longest keyword + 512),
--- and also everything from the start of a secret that reaches into the held-back tail, so a secret
--- split across chunks is masked whole; the concatenated output equals mask(whole input) for every
--- chunking when each secret's match begins to match within the held bytes.
---@param opts? {style?: "rule"|"char", char?: string, holdback?: integer}
---@return victor.secrets.Redactor
function Scanner:redactor(opts)
  if getmetatable(self) ~= Scanner then argerror(1, "redactor", "Scanner expected") end
  local o = args.check_opts(opts, REDACTOR_OPTS, 2, "redactor", { string = function(v, k)
    if type(v) ~= "string" then return k .. " must be a string" end end })
  local style, ch = check_mask_opts({ style = o.style, char = o.char }, 2, "redactor")
  return setmetatable({ scanner = self, style = style, char = ch, hold = o.holdback or self.holdback,
    buf = "", done = false }, Redactor)
end

local function redact_step(rd, last)
  local buf = rd.buf
  local n = #buf
  local cut = last and n or n - rd.hold
  if cut <= 0 then return "" end
  local found = rd.scanner.core:scan(buf, "", false)
  if not found then error("victor.secrets: out of memory", 3) end
  if not last then
    for i = 1, #found do
      local f = found[i]
      if f.stop > cut then
        cut = min(cut, f.start - 1)
      end
    end
    if cut <= 0 then return "" end
  end
  decorate(rd.scanner, nil, found, "")
  local out = apply_mask(buf, found, rd.style, rd.char, 1, cut)
  rd.buf = ssub(buf, cut + 1)
  return out
end

--- Feed the next chunk; returns the output that is final (possibly "").
---@param chunk string
---@return string
function Redactor:feed(chunk)
  if getmetatable(self) ~= Redactor then argerror(1, "feed", "Redactor expected") end
  args.check_string(chunk, 2, "feed")
  if self.done then error("victor.secrets: feed after finish", 2) end
  self.buf = self.buf .. chunk
  -- scan once 64 bytes have passed the held tail: a proxy's client sees text at most
  -- holdback + 64 bytes late, and a scan covers at most holdback + chunk bytes
  if #self.buf < self.hold + 64 then return "" end
  return redact_step(self, false)
end

--- End of input: the rest of the output.
---@return string
function Redactor:finish()
  if getmetatable(self) ~= Redactor then argerror(1, "finish", "Redactor expected") end
  if self.done then return "" end
  self.done = true
  local out = redact_step(self, true)
  self.buf = ""
  return out
end

--- Compiler statistics: {rules=, keywords=, whole=, jit=, prefilter = "pairs"|"aho-corasick",
--- rule_keywords = {id = {...}}, rule_leads = {id = {max=, single=, tail=}}} (rule_leads: the rules
--- whose matches are proven to begin with at most `max` bytes of a class and then a keyword).
function Scanner:info()
  return self.core:info()
end

--- The rules (validated `secret` rules, in order).
function Scanner:rules()
  return self.list
end

function Scanner:close()
  self.core:close()
end

local COMPILE_OPTS = { max_keywords = "count", max_rules = "count", no_jit = "boolean",
  use_ac = "boolean" }

local function load_pack(p, i)
  if type(p) == "string" then
    local pack, msg, code = rules.load_file(p)
    if not pack then return nil, msg, code end
    return pack
  elseif type(p) == "table" then
    if p.source then return p end  -- already loaded and validated
    return rules.validate(p, sfmt("(pack #%d)", i))
  end
  return nil, sfmt("pack #%d: table or path expected, got %s", i, type(p)), "EINVAL"
end

--- Compile the `secret` rules of a rule set into a Scanner. packs: nil (the built-in packs, which
--- include rules/secrets.lua), a pack (table or file path), or an array of them, merged by id over
--- the built-in set (so user packs add or override rules). opts.base = false starts from an empty
--- set instead of the built-ins. Errors: nil, msg, code: a bad pack (its loader's message and
--- code), "rule '<id>': offset N: <PCRE2 message>" (EPARSE), too many keywords or rules (ELIMIT),
--- no secret rules (EINVAL), no native module (ENATIVE).
---@param packs? table|string|table[]
---@param opts? {base?: boolean, max_keywords?: integer, max_rules?: integer, no_jit?: boolean,
---  use_ac?: boolean}
---@return victor.secrets.Scanner|nil
---@return string? msg
---@return string? code
function M.compile(packs, opts)
  local o = {}
  if opts ~= nil then
    if type(opts) ~= "table" then argerror(2, "compile", "table or nil expected, got " .. type(opts)) end
    for k, v in each_next, opts do
      if k == "base" then
        if type(v) ~= "boolean" then argerror(2, "compile", "base must be a boolean") end
      elseif COMPILE_OPTS[k] then
        args.check_opts({ [k] = v }, COMPILE_OPTS, 2, "compile")
        o[k] = v
      else
        argerror(2, "compile", "unknown option '" .. tostring(k) .. "'")
      end
    end
  end
  if packs ~= nil and type(packs) ~= "table" and type(packs) ~= "string" then
    argerror(1, "compile", "table, string or nil expected, got " .. type(packs))
  end
  if not core then return nil, unavailable(), "ENATIVE" end
  local list = {}
  if type(packs) == "string" or (type(packs) == "table" and packs.rules ~= nil) then packs = { packs } end
  for i = 1, packs and #packs or 0 do
    local p, msg, code = load_pack(packs[i], i)
    if not p then return nil, msg, code end
    list[#list + 1] = p
  end
  local set
  if not (opts and opts.base == false) then
    local host = require "victor.host"
    local msg, code
    set, msg, code = host.rules()
    if not set then return nil, msg, code end
  end
  if #list > 0 then
    local msg, code
    if set then
      set, msg, code = rules.merge(set, unpack(list))
    elseif #list > 1 then
      set, msg, code = rules.merge(list[1], unpack(list, 2))
    else
      set = list[1]
    end
    if not set then return nil, msg, code end
  end
  if not set then return nil, "no rule packs", "EINVAL" end
  local rs = rules.enabled(set, "secret")
  if #rs == 0 then return nil, "no enabled secret rules in " .. tostring(set.source), "EINVAL" end
  local crules, meta = {}, {}
  local hold = 0
  for i = 1, #rs do
    local c, msg = to_core(rs[i])
    if not c then return nil, msg, "ESCHEMA" end
    crules[i] = c
    meta[i] = { severity = rs[i].severity or "high", description = rs[i].description or "" }
    local kwmax = 0
    for k = 1, c.keywords and #c.keywords or 0 do kwmax = max(kwmax, #c.keywords[k]) end
    hold = max(hold, max(c.window, 0) + kwmax)
  end
  local sc, msg, code = core.compile(crules, o)
  if not sc then return nil, msg, code end
  return setmetatable({ core = sc, list = rs, meta = meta, holdback = hold + 512 }, Scanner)
end

local default_scanner

--- The scanner of the built-in rules (compiled once).
---@return victor.secrets.Scanner
function M.default()
  if not default_scanner then
    local sc, msg = M.compile()
    if not sc then error(msg, 2) end
    default_scanner = sc
  end
  return default_scanner
end

--- Mask the secrets of text with the built-in rules (see Scanner:mask).
---@param text string
---@param opts? {style?: "rule"|"char", char?: string}
---@return string masked
---@return integer count
function M.mask(text, opts)
  args.check_string(text, 1, "mask")
  check_mask_opts(opts, 2, "mask")
  if not core then error(unavailable(), 2) end
  return M.default():mask(text, opts)
end

--- Shannon entropy of s in bits per byte.
---@param s string
---@return number
function M.entropy(s)
  args.check_string(s, 1, "entropy")
  if not core then error(unavailable(), 2) end
  return core.entropy(s)
end

--- The PCRE2 version, or nil without the native module.
function M.pcre2_version()
  return core and core.pcre2_version() or nil
end

return M
