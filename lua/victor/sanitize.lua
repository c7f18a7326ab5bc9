--- victor.sanitize: clean a model's response before it is shown or parsed, driven by the
--- `response_pattern` rules of the active rule set (rules/validation.lua): remove tool-call debris and
--- thinking markers, cut leaked system-prompt phrases, drop stray markup lines, detect garbage
--- output; plus markup stripping, tool-name validation and extraction of code blocks, shell commands,
--- file paths and tool calls from free text (reference §10, with its bugs fixed).
--
-- The patterns run on the secret scanner's engine (victor.secrets: PCRE2 near keywords), so the
-- rule-driven functions (response, leaks, is_garbage) need the native module and raise
-- "victor.sanitize needs the native module (...)" without it; strip_markup, validate_tool_name and
-- the extractors are plain Lua.
local native = require "victor.native"
local rules_mod = require "victor.rules"
local args = require "victor.args"

local M = {}

local type, error, tconcat, tostring = type, error, table.concat, tostring
local ssub, sfind, sgsub, smatch, slower = string.sub, string.find, string.gsub, string.match, string.lower
local min = math.min

local core, why = native.load("secrets")
M.backend = core and "native" or "none"

local compiled  -- { [action] = { sc = core scanner, ids = {...} } } for the active rule set
local compiled_for

local function build(pack)
  local by = { delete = {}, leak = {}, drop_line = {}, garbage = {} }
  for _, r in ipairs(rules_mod.enabled(pack, "response_pattern")) do
    local list = by[r.action]
    list[#list + 1] = { id = r.id, regex = r.regex, keywords = r.keywords, window = r.window or 64 }
  end
  local out = {}
  for _, action in ipairs({ "delete", "leak", "drop_line", "garbage" }) do
    local list = by[action]
    if #list > 0 then
      local sc, msg = core.compile(list)
      if not sc then error("victor.sanitize: " .. tostring(msg), 3) end
      out[action] = sc
    end
  end
  return out
end

local function scanners()
  if not core then error("victor.sanitize needs the native module (" .. tostring(why) .. ")", 3) end
  local host = require "victor.host"
  local pack = host.rules()
  if compiled_for ~= pack then
    compiled = build(pack)
    compiled_for = pack
  end
  return compiled
end

-- spans (1-based inclusive) of the matches of one action's rules, sorted, merged
local function spans(sc, text)
  if not sc then return {} end
  local found = sc:scan(text, "", false)
  return found or {}
end

local function cut(text, found, expand_lines)
  local parts, pos = {}, 1
  for _, f in ipairs(found) do
    local a, b = f.start, f.stop
    if expand_lines then
      while a > 1 and ssub(text, a - 1, a - 1) ~= "\n" do a = a - 1 end
      local nl = sfind(text, "\n", b + 1, true)
      b = nl or #text
    end
    if a >= pos then
      parts[#parts + 1] = ssub(text, pos, a - 1)
      pos = b + 1
    elseif b >= pos then
      pos = b + 1
    end
  end
  parts[#parts + 1] = ssub(text, pos)
  return tconcat(parts)
end

--- The response with debris removed: delete rules, then leak rules (each removes its phrase to the
--- end of the line), then drop_line rules (whole lines), runs of 4+ newlines become 3, then trimmed.
---@param text string
---@return string
function M.response(text)
  args.check_string(text, 1, "response")
  if text == "" then return "" end
  local s = scanners()
  text = cut(text, spans(s.delete, text))
  text = cut(text, spans(s.leak, text))
  text = cut(text, spans(s.drop_line, text), true)
  text = sgsub(text, "\n\n\n\n+", "\n\n\n")
  return (smatch(text, "^%s*(.-)%s*$"))
end

--- Leaked prompt phrases: { {start=, stop=, rule=}, ... } sorted by start (1-based inclusive).
---@param text string
---@return table[]
function M.leaks(text)
  args.check_string(text, 1, "leaks")
  local out = {}
  for i, f in ipairs(spans(scanners().leak, text)) do out[i] = { start = f.start, stop = f.stop, rule = f.rule } end
  return out
end

--- true and the rule id when the response shows a garbage sign; false otherwise.
---@param text string
---@return boolean
---@return string? rule
function M.is_garbage(text)
  args.check_string(text, 1, "is_garbage")
  if text == "" then return false end
  local found = spans(scanners().garbage, text)
  if #found > 0 then return true, found[1].rule end
  return false
end

--- Every `<...>` (at least one byte inside, no newline needed) becomes a space, then runs of
--- whitespace become one space and the ends are trimmed. An unclosed `<` stays.
---@param text string
---@return string
function M.strip_markup(text)
  args.check_string(text, 1, "strip_markup")
  local s = sgsub(text, "<[^>]+>", " ")
  s = sgsub(s, "%s+", " ")
  return (smatch(s, "^ ?(.-) ?$"))
end

M.INVALID_TOOL_PREFIXES = { "example_", "func_", "function_", "tool_name", "my_", "test_tool", "sample_" }

--- Is `name` a plausible tool name? true, or false and the first failing reason:
--- empty_or_invalid_type, invalid_prefix:<p>, invalid_suffix, starts_with_tag, contains_whitespace,
--- starts_with_number, invalid_characters (anything but [A-Za-z][A-Za-z0-9_]*; a trailing newline
--- is refused too, unlike Victor's Python fallback).
---@param name any
---@return boolean ok
---@return string? reason
function M.validate_tool_name(name)
  if type(name) ~= "string" or name == "" then return false, "empty_or_invalid_type" end
  for _, p in ipairs(M.INVALID_TOOL_PREFIXES) do
    if ssub(name, 1, #p) == p then return false, "invalid_prefix:" .. p end
  end
  local last = ssub(name, -1)
  if last == "/" or last == ">" then return false, "invalid_suffix" end
  if ssub(name, 1, 1) == "<" then return false, "starts_with_tag" end
  if sfind(name, "[ \t]") then return false, "contains_whitespace" end
  if sfind(name, "^%d") then return false, "starts_with_number" end
  if not sfind(name, "^[A-Za-z][A-Za-z0-9_]*$") then return false, "invalid_characters" end
  return true
end

local CODE_LANGS = {}
for _, l in ipairs({ "python", "py", "javascript", "js", "typescript", "ts", "bash", "sh", "shell", "zsh", "json",
  "yaml", "yml", "toml", "html", "css", "md", "markdown", "sql", "go", "rust", "rs", "java", "c", "cpp", "c++",
  "ruby", "rb", "php", "lua", "kotlin", "swift", "scala", "csharp", "cs", "xml", "diff", "text", "txt" }) do
  CODE_LANGS[l] = true
end

local function fenced(text)
  local out = {}
  local pos = 1
  while true do
    local a, b, lang = sfind(text, "```([%w%+%-%.]*)[ \t]*\n", pos)
    if not a then break end
    local c, d = sfind(text, "\n?```", b + 1)
    if not c then break end
    out[#out + 1] = { lang = slower(lang), body = ssub(text, b + 1, c - 1) }
    pos = d + 1
  end
  return out
end

--- Code blocks: fenced blocks (``` with an optional language tag), contents trimmed, empty ones
--- dropped; only when there is none, runs of lines indented by 4+ spaces or a tab, dedented.
---@param text string
---@return string[]
function M.extract_code_blocks(text)
  args.check_string(text, 1, "extract_code_blocks")
  local out = {}
  for _, f in ipairs(fenced(text)) do
    local body = smatch(f.body, "^%s*(.-)%s*$")
    if body ~= "" and (f.lang == "" or CODE_LANGS[f.lang]) then out[#out + 1] = body end
  end
  if #out > 0 then return out end
  local run = {}
  local function flush()
    if #run == 0 then return end
    local ind
    for _, l in ipairs(run) do
      if smatch(l, "%S") then
        local w = #smatch(l, "^[ \t]*")
        ind = ind and min(ind, w) or w
      end
    end
    local lines = {}
    for i, l in ipairs(run) do lines[i] = ssub(l, (ind or 0) + 1) end
    local body = smatch(tconcat(lines, "\n"), "^%s*(.-)%s*$")
    if body ~= "" then out[#out + 1] = body end
    run = {}
  end
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    if sfind(line, "^    ") or sfind(line, "^\t") then
      run[#run + 1] = line
    elseif #run > 0 and not smatch(line, "%S") then
      run[#run + 1] = line
    else
      flush()
    end
  end
  flush()
  return out
end

--- Shell commands: fenced bash/sh/shell/zsh blocks (each non-empty, non-comment line), then
--- `run:`/`execute:`/`command:` followed by a quoted string, then lines starting with "$ ".
---@param text string
---@return string[]
function M.extract_shell_commands(text)
  args.check_string(text, 1, "extract_shell_commands")
  local out = {}
  for _, f in ipairs(fenced(text)) do
    if f.lang == "bash" or f.lang == "sh" or f.lang == "shell" or f.lang == "zsh" then
      for line in (f.body .. "\n"):gmatch("([^\n]*)\n") do
        local l = smatch(line, "^%s*%$?%s*(.-)%s*$")
        if l ~= "" and ssub(l, 1, 1) ~= "#" then out[#out + 1] = l end
      end
    end
  end
  for _, kw in ipairs({ "[Rr]un", "[Ee]xecute", "[Cc]ommand" }) do
    for cmd in text:gmatch(kw .. ":?%s+[`'\"]([^`'\"\n]+)[`'\"]") do out[#out + 1] = cmd end
  end
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    local c = smatch(line, "^%$ (.+)$")
    if c then out[#out + 1] = c end
  end
  return out
end

local PATH = "[%w_%./%-]+%.%a%w?%w?%w?%w?%w?%w?%w?%w?%w?"

--- A file path mentioned in text: after a verb (to, file, path, in, create, write, save, modify,
--- update, edit), then a backticked path; only paths holding a '/' or '.'. nil when none.
---@param text string
---@return string|nil
function M.extract_file_path(text)
  args.check_string(text, 1, "extract_file_path")
  local low = slower(text)
  local best
  for _, verb in ipairs({ "to", "file", "path", "in", "create", "write", "save", "modify", "update", "edit" }) do
    local pos = 1
    while true do
      local a, b = sfind(low, "%f[%w]" .. verb .. "%f[^%w][ \t]+[`'\"]?", pos)
      if not a then break end
      local p = smatch(text, "^(" .. PATH .. ")", b + 1)
      if p and (not best or a < best.at) then best = { at = a, path = p } end
      pos = b + 1
    end
  end
  if best then return best.path end
  local p = smatch(text, "`(" .. PATH .. ")`")
  return p
end

--- A tool call recovered from text for a known tool: {tool=, args=, confidence=, source=} or nil.
--- write/write_file: path (from text or current_file) and the first code block (confidence 0.85, or
--- 0.95 for a .py path whose content defines a function or class); read/read_file: path (0.9);
--- shell/bash/execute/run: the first command (0.75); ls/list: a backticked path or "." (0.8).
---@param text string
---@param tool string
---@param current_file? string
---@return table|nil
function M.extract_tool_call(text, tool, current_file)
  args.check_string(text, 1, "extract_tool_call")
  args.check_string(tool, 2, "extract_tool_call")
  local t = slower(tool)
  if t == "write" or t == "write_file" then
    local path = M.extract_file_path(text) or current_file
    local code = M.extract_code_blocks(text)[1]
    if not path or not code then return nil end
    local conf = (sfind(path, "%.py$") and (sfind(code, "def ") or sfind(code, "class "))) and 0.95 or 0.85
    return { tool = tool, args = { path = path, content = code }, confidence = conf, source = ssub(text, 1, 200) }
  elseif t == "read" or t == "read_file" then
    local path = M.extract_file_path(text)
    if not path then return nil end
    return { tool = tool, args = { path = path }, confidence = 0.9, source = ssub(text, 1, 100) }
  elseif t == "shell" or t == "bash" or t == "execute" or t == "run" then
    local cmd = M.extract_shell_commands(text)[1]
    if not cmd then return nil end
    return { tool = tool, args = { command = cmd }, confidence = 0.75, source = ssub(text, 1, 150) }
  elseif t == "ls" or t == "list" or t == "list_directory" then
    local p = smatch(text, "`([%w_%./%-]+)`") or "."
    return { tool = tool, args = { path = p }, confidence = 0.8, source = ssub(text, 1, 100) }
  end
  return nil
end

return M
