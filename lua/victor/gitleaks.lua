--- victor.gitleaks: convert a gitleaks configuration (TOML) into a victor-lua rule pack of `secret`
--- rules (`victor-lua rules import-gitleaks gitleaks.toml > pack.lua`).
--
-- The TOML is parsed by toml++ (core/toml_json.cpp, through victor.core.secrets.toml_to_json) and
-- decoded with lua-cjson. Mapping, per [[rules]] entry:
--   id, description          -> id, description (an id victor-lua refuses is reported)
--   regex                    -> regex (compiled with PCRE2 here; one that does not compile, e.g. a
--                               Go-only construct, is reported and skipped)
--   secretGroup              -> secret_group (absent: 1 when the regex has a capture group, else 0)
--   entropy, keywords        -> entropy, keywords (lowercased)
--   allowlist / allowlists   -> allow = { regexes, stopwords, paths } (also the global [allowlist])
--   (none)                   -> severity "high", limits.window 128 (gitleaks regexes often begin
--                               with up to ~50 bytes of name before their keyword)
-- Reported on the problems list (the CLI prints them on stderr): path-only rules (no regex), regexes
-- PCRE2 cannot compile, allowlists with regexTarget "match"/"line" (applied to the secret here),
-- allowlists with condition AND or commits (not supported), duplicate ids.
local args = require "victor.args"
local native = require "victor.native"
local rules = require "victor.rules"

local M = {}

local type, tostring, sfmt, tconcat, slower = type, tostring, string.format, table.concat, string.lower

M.WINDOW = 128

local function strings(t)
  local out = {}
  if type(t) ~= "table" then return out end
  for _, v in ipairs(t) do
    if type(v) == "string" and v ~= "" then out[#out + 1] = v end
  end
  return out
end

local function append(dst, src)
  for _, v in ipairs(src) do dst[#dst + 1] = v end
end

-- Does the regex have a capturing group? ( not followed by ?, or (?P< / (?<name>.
local function has_group(re)
  local i, n = 1, #re
  while i <= n do
    local c = re:sub(i, i)
    if c == "\\" then
      i = i + 2
    elseif c == "[" then
      local j = i + 1
      if re:sub(j, j) == "^" then j = j + 1 end
      if re:sub(j, j) == "]" then j = j + 1 end
      while j <= n and re:sub(j, j) ~= "]" do
        if re:sub(j, j) == "\\" then j = j + 1 end
        j = j + 1
      end
      i = j + 1
    elseif c == "(" then
      local nx = re:sub(i + 1, i + 1)
      if nx ~= "?" then return true end
      local tag = re:sub(i + 2, i + 3)
      if tag == "P<" or (tag:sub(1, 1) == "<" and tag ~= "<=" and tag ~= "<!") then return true end
      i = i + 1
    else
      i = i + 1
    end
  end
  return false
end

--- Convert a decoded gitleaks config (a table) into a pack table and a list of problems (strings,
--- each naming the rule).
---@param cfg table
---@param name? string pack name (default "gitleaks")
---@return table pack
---@return string[] problems
function M.convert(cfg, name)
  if type(cfg) ~= "table" then args.argerror(1, "convert", "table expected, got " .. type(cfg)) end
  local core = native.load("secrets")
  local problems, out, seen = {}, {}, {}
  local function problem(fmt, ...) problems[#problems + 1] = sfmt(fmt, ...) end
  -- global allowlist(s)
  local g = { regexes = {}, stopwords = {}, paths = {} }
  local function take_allow(a, where, dst)
    if type(a) ~= "table" then return end
    if a.regexTarget == "match" or a.regexTarget == "line" then
      problem("%s: allowlist regexTarget '%s' is applied to the secret", where, a.regexTarget)
    end
    if a.condition == "AND" then problem("%s: allowlist condition AND is treated as OR", where) end
    if type(a.commits) == "table" and #a.commits > 0 then problem("%s: allowlist commits ignored", where) end
    append(dst.regexes, strings(a.regexes))
    append(dst.stopwords, strings(a.stopwords))
    append(dst.paths, strings(a.paths))
  end
  take_allow(cfg.allowlist, "[allowlist]", g)
  for i, a in ipairs(type(cfg.allowlists) == "table" and cfg.allowlists or {}) do
    take_allow(a, sfmt("[[allowlists]] #%d", i), g)
  end
  for i, r in ipairs(type(cfg.rules) == "table" and cfg.rules or {}) do
    local id = type(r) == "table" and r.id
    local where = sfmt("rule '%s' (#%d)", tostring(id), i)
    if type(id) ~= "string" or not id:find(rules.ID_PATTERN) then
      problem("%s: id is not a valid rule id: skipped", where)
    elseif seen[id] then
      problem("%s: duplicate id: skipped", where)
    elseif type(r.regex) ~= "string" or r.regex == "" then
      problem("%s: no regex (path-only rules are not supported): skipped", where)
    else
      local rule = { id = id, kind = "secret", description = type(r.description) == "string" and r.description or nil,
        regex = r.regex, severity = "high", limits = { window = M.WINDOW } }
      local sg = tonumber(r.secretGroup)
      rule.secret_group = sg and sg > 0 and sg or (has_group(r.regex) and 1 or 0)
      if tonumber(r.entropy) and tonumber(r.entropy) > 0 then rule.entropy = tonumber(r.entropy) end
      local kws = strings(r.keywords)
      for k = 1, #kws do kws[k] = slower(kws[k]) end
      if #kws > 0 then rule.keywords = kws end
      local allow = { regexes = {}, stopwords = {}, paths = {} }
      take_allow(r.allowlist, where, allow)
      for k, a in ipairs(type(r.allowlists) == "table" and r.allowlists or {}) do
        take_allow(a, sfmt("%s allowlists #%d", where, k), allow)
      end
      append(allow.regexes, g.regexes)
      append(allow.stopwords, g.stopwords)
      append(allow.paths, g.paths)
      local a2 = {}
      for _, k in ipairs({ "regexes", "stopwords", "paths" }) do
        if #allow[k] > 0 then a2[k] = allow[k] end
      end
      if next(a2) then rule.allow = a2 end
      local ok, msg = true, nil
      if core then
        local probe = { id = id, regex = rule.regex, secret_group = rule.secret_group, keywords = rule.keywords,
          allow_regexes = a2.regexes, allow_paths = a2.paths, window = M.WINDOW }
        local sc
        sc, msg = core.compile({ probe })
        ok = sc ~= nil
        if sc then sc:close() end
      end
      if ok then
        out[#out + 1] = rule
        seen[id] = true
      else
        problem("%s: %s: skipped", where, tostring(msg))
      end
    end
  end
  return { name = name or "gitleaks", version = "1",
    description = sfmt("Imported from a gitleaks configuration%s (%d of %d rules).",
      type(cfg.title) == "string" and (" '" .. cfg.title .. "'") or "", #out,
      type(cfg.rules) == "table" and #cfg.rules or 0),
    rules = out }, problems
end

-- A Lua string literal: a long bracket when the text allows it (regexes stay readable).
local function lua_str(s)
  if not s:find("[%c]") and s:sub(-1) ~= "]" then
    local eq = ""
    while s:find("]" .. eq .. "]", 1, true) do eq = eq .. "=" end
    return "[" .. eq .. "[" .. s .. "]" .. eq .. "]"
  end
  return (sfmt("%q", s):gsub("\\\n", "\\n"))
end

local function str_list(t)
  local parts = {}
  for i, v in ipairs(t) do parts[i] = lua_str(v) end
  return "{ " .. tconcat(parts, ", ") .. " }"
end

--- The pack as Lua source (a file `victor-lua rules check` accepts).
---@param pack table
---@return string
function M.to_lua(pack)
  local L = { "-- Generated by `victor-lua rules import-gitleaks`; edit freely.", "return {",
    "  name = " .. lua_str(pack.name) .. ",", "  version = " .. lua_str(pack.version) .. "," }
  if pack.description then L[#L + 1] = "  description = " .. lua_str(pack.description) .. "," end
  L[#L + 1] = "  rules = {"
  for _, r in ipairs(pack.rules) do
    L[#L + 1] = "    {"
    L[#L + 1] = "      id = " .. lua_str(r.id) .. ", kind = \"secret\", severity = " .. lua_str(r.severity) .. ","
    if r.description then L[#L + 1] = "      description = " .. lua_str(r.description) .. "," end
    L[#L + 1] = "      regex = " .. lua_str(r.regex) .. ","
    if r.keywords then L[#L + 1] = "      keywords = " .. str_list(r.keywords) .. "," end
    L[#L + 1] = sfmt("      secret_group = %d,", r.secret_group)
    if r.entropy then L[#L + 1] = sfmt("      entropy = %.17g,", r.entropy) end
    if r.allow then
      local parts = {}
      for _, k in ipairs({ "regexes", "stopwords", "paths" }) do
        if r.allow[k] then parts[#parts + 1] = k .. " = " .. str_list(r.allow[k]) end
      end
      L[#L + 1] = "      allow = { " .. tconcat(parts, ", ") .. " },"
    end
    L[#L + 1] = sfmt("      limits = { window = %d },", r.limits.window)
    L[#L + 1] = "    },"
  end
  L[#L + 1] = "  },"
  L[#L + 1] = "}"
  return tconcat(L, "\n") .. "\n"
end

--- Parse gitleaks TOML text into a config table; or nil, msg, code ("EPARSE", "ENATIVE").
---@param text string
---@param chunkname? string for messages
function M.parse(text, chunkname)
  args.check_string(text, 1, "parse")
  local core, why = native.load("secrets")
  if not core then return nil, "importing gitleaks needs the native module (" .. tostring(why) .. ")", "ENATIVE" end
  local json, msg, code = core.toml_to_json(text)
  if not json then return nil, sfmt("%s: %s", chunkname or "(toml)", msg), code end
  local cjson = require "cjson.safe"
  local cfg = cjson.decode(json)
  if type(cfg) ~= "table" then return nil, (chunkname or "(toml)") .. ": not a TOML table", "EPARSE" end
  return cfg
end

return M
