--- `victor-lua filter`: copy a model's streamed output with the thinking removed.
--
--   victor-lua filter [FILE|-] [--thinking-to FILE] [--max-thinking N] [--case-insensitive]
--                     [--rules PACK]...
--
-- The input goes through victor.stream_filter as it arrives: standard input is read
-- with read(2) (through the FFI), so a chunk is handled as soon as the writer has
-- sent it, not when a line or a buffer is full; each decided byte is written and
-- flushed at once (only a possible partial tag, at most the longest tag - 1 bytes,
-- waits for the next bytes). The tag pairs are the `thinking_tag` rules of the
-- active rule set (rules/thinking.lua plus --rules packs).
local argparse = require "argparse"
local cli = require "victor.cli"
local stream_filter = require "victor.stream_filter"
local thinking = require "victor.thinking"

local M = { name = "filter", summary = "remove thinking blocks (<think>...</think>, ...) from a stream" }

local sfmt, tonumber, floor = string.format, tonumber, math.floor

M.CHUNK = 65536

local function parser()
  local p = argparse("victor-lua filter", "Copy the input to standard output with the thinking blocks of a "
    .. "reasoning model\n(<think>...</think> and the other thinking_tag pairs of the rule set) removed, as it\n"
    .. "streams.")
    :add_help(false)
  p:epilog("Examples:\n"
    .. "  victor-lua filter reply.txt\n"
    .. "  model-client --stream | victor-lua filter --thinking-to thoughts.txt\n"
    .. "\n"
    .. "Each byte is written as soon as it is decided; only a possible partial tag is held\n"
    .. "back. Tags split across reads are recognised. An unclosed block at the end of the\n"
    .. "input is thinking. Exit status: 0 ok, 1 --max-thinking was passed (the output\n"
    .. "stops there), 2 usage or input/output error.")
  p:argument("file", "Input file ('-' or none: stdin)."):args("?")
  p:flag("-h --help", "Show this help.")
  p:option("--thinking-to", "Also write the thinking text (without tags) to this file."):argname("<FILE>")
  p:option("--max-thinking", "Stop with exit status 1 once the thinking passes N bytes\n"
    .. "(a model stuck in a reasoning loop)."):argname("<N>")
  p:flag("--case-insensitive", "Match tags ignoring ASCII case (<THINK> too).")
  p:option("--rules", "Extra rule pack to merge over the defaults (repeatable)."):count("*")
  return p
end

-- A reader of whatever bytes are available: read(2) on a file descriptor when the
-- FFI is there (stdin is then never waited on beyond one chunk), else Lua's read.
local function reader(fh)
  local ok, ffi = pcall(require, "ffi")
  if ok and fh == io.stdin then
    if not pcall(ffi.typeof, "vl_ssize_t") then
      ffi.cdef [[
typedef long vl_ssize_t;
vl_ssize_t read(int fd, void *buf, size_t count);
]]
    end
    local buf = ffi.new("char[?]", M.CHUNK)
    return function()
      while true do
        local n = tonumber(ffi.C.read(0, buf, M.CHUNK))
        if n > 0 then return ffi.string(buf, n) end
        if n == 0 then return nil end
        local errno = ffi.errno()
        if errno ~= 4 then return nil, "read error (errno " .. errno .. ")" end -- 4 = EINTR: again
      end
    end
  end
  return function()
    local chunk, e = fh:read(M.CHUNK)
    if chunk == nil and e then return nil, "read error: " .. tostring(e) end
    return chunk
  end
end

function M.run(argv, out, err)
  local flush = out == nil
  out = out or function(s) io.stdout:write(s) end
  err = err or function(s) io.stderr:write(s) end
  local a, status = cli.parse_args(parser(), argv, "filter", out, err)
  if not a then return status end
  local max
  if a.max_thinking then
    max = tonumber(a.max_thinking)
    if not max or max < 0 or max ~= floor(max) then
      err(sfmt("victor-lua: filter: --max-thinking must be a non-negative integer, got '%s'\n", a.max_thinking))
      return 2
    end
  end
  local pack = cli.rules_with(a.rules, err)
  if not pack then return 2 end
  local tags = thinking.tags(pack)
  if #tags == 0 then
    err("victor-lua: filter: the rule set has no thinking_tag rules\n")
    return 2
  end
  local fh = cli.open_input(a.file, "filter", err)
  if not fh then return 2 end
  local tfh, msg
  if a.thinking_to then
    tfh, msg = io.open(a.thinking_to, "wb")
    if not tfh then err("victor-lua: filter: " .. msg .. "\n") return 2 end
  end
  local f = stream_filter.new { tags = tags, case_insensitive = a.case_insensitive or nil,
    max_thinking_bytes = max }
  local read = reader(fh)
  local rc = 0
  local function emit(content, thinking_text, events)
    if not content then
      err(sfmt("victor-lua: filter: %s (%s)\n", thinking_text, events))
      return 2
    end
    if content ~= "" then
      out(content)
      if flush then io.stdout:flush() end
    end
    if tfh and thinking_text ~= "" then
      tfh:write(thinking_text)
      tfh:flush()
    end
    for _, e in ipairs(events or {}) do
      if e.kind == "abort" then
        err(sfmt("victor-lua: filter: thinking passed %d bytes at input byte %d: stopped\n", max, e.start))
        return 1
      end
    end
    return 0
  end
  while rc == 0 do
    local chunk, rerr = read()
    if not chunk then
      if rerr then err("victor-lua: filter: " .. rerr .. "\n") rc = 2 end
      break
    end
    rc = emit(f:feed(chunk))
  end
  if rc == 0 then rc = emit(f:finish()) end
  f:close()
  if fh ~= io.stdin then fh:close() end
  if tfh then tfh:close() end
  return rc
end

return M
