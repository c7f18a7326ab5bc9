--- `victor-lua dedup`: drop repeated blocks (or lines) from a file or stdin.
--
--   victor-lua dedup [FILE|-] [--lines] [--null] [--stats] [--min-block-length N] [--counts]
--                    [--near T]
--
-- The input is read in 64 KiB chunks and fed to victor.dedup.stream, so memory is
-- the open block plus the set of seen keys, whatever the size of the input; the
-- output equals victor.dedup.dedup (dedup_lines with --lines) of the whole input.
-- --near T (near duplicates by SimHash) compares every block with all the kept
-- ones: it reads the whole input, then runs victor.dedup.dedup{near = T} once.
local argparse = require "argparse"
local cli = require "victor.cli"
local dedup = require "victor.dedup"

local M = { name = "dedup", summary = "drop repeated blocks or lines (streaming, XXH3 of normalised blocks)" }

local sfmt, tonumber, floor = string.format, tonumber, math.floor

M.CHUNK = 64 * 1024

local function parser()
  local p = argparse("victor-lua dedup", "Drop repeated paragraphs and code blocks (or lines) from text, keeping "
    .. "the first\noccurrence of each byte for byte. Blocks are split on blank lines; fenced code\nblocks "
    .. "(``` or ~~~) stay whole; two blocks repeat when their normalised forms\n(whitespace collapsed, "
    .. "lowercase, trailing . , ; : dropped) are equal.")
    :add_help(false)
  p:epilog("Examples:\n"
    .. "  victor-lua dedup notes.md > notes.dedup.md\n"
    .. "  victor-lua dedup --lines --counts build.log\n"
    .. "  cat transcript.md | victor-lua dedup --near 6 --stats\n"
    .. "\n"
    .. "The input is streamed in 64 KiB chunks; the output equals the one-shot\n"
    .. "victor.dedup.dedup (or dedup_lines) of the whole input.\n"
    .. "Exit status: 0 ok, 2 usage or input/output error.")
  p:argument("file", "Input file ('-' or none: stdin)."):args("?")
  p:flag("-h --help", "Show this help.")
  p:flag("--lines", "Line mode: keep the first of each line, as awk '!seen[$0]++'.")
  p:flag("--null", "Lines end at NUL instead of newline (implies --lines).")
  p:flag("--counts", "Line mode: print each kept line once at the end, after its count\n"
    .. "(as 'uniq -c' does, in first-seen order).")
  p:flag("--stats", "Print counts and byte sizes to stderr.")
  p:option("--min-block-length", "Blocks whose normalised form is shorter are always kept (default "
    .. dedup.DEFAULT_MIN_BLOCK_LENGTH .. ")."):argname("<N>")
  p:option("--near", "Also drop near repeats: blocks whose SimHash (64 bits, word 3-shingles)\n"
    .. "is within T bits of a kept block's (0..64; 3 is strict, 10 loose).\n"
    .. "Reads the whole input before writing (not streamed)."):argname("<T>")
  return p
end

-- Line counts in first-seen order (--counts): needs the whole input's counts, so
-- it prints at the end; memory is the distinct lines.
local function counter(delim)
  local seen, order, n, part = {}, {}, 0, {}
  local find, sub, tconcat = string.find, string.sub, table.concat
  local nlines = 0
  local function add(l)
    nlines = nlines + 1
    local c = seen[l]
    if c then
      seen[l] = c + 1
    else
      n = n + 1
      order[n] = l
      seen[l] = 1
    end
  end
  local C = {}
  function C.feed(chunk)
    local pos = 1
    while true do
      local d = find(chunk, delim, pos, true)
      if not d then
        if pos <= #chunk then part[#part + 1] = sub(chunk, pos) end
        return
      end
      local l = sub(chunk, pos, d - 1)
      if #part > 0 then
        part[#part + 1] = l
        l = tconcat(part)
        part = {}
      end
      add(l)
      pos = d + 1
    end
  end
  function C.finish(out)
    if #part > 0 then add(tconcat(part)) end
    for i = 1, n do out(sfmt("%7d %s%s", seen[order[i]], order[i], delim)) end
    return { lines = nlines, removed = nlines - n }
  end
  return C
end

-- --near: the whole input, then one dedup call (same feed/finish shape as counter).
local function whole(min, near)
  local parts = {}
  local C = {}
  function C.feed(chunk) parts[#parts + 1] = chunk end
  function C.finish(out)
    local text, st, code = dedup.dedup(table.concat(parts), { min_block_length = min, near = near })
    if text and text ~= "" then out(text) end
    return text and st, st, code
  end
  return C
end

function M.run(argv, out, err)
  out = out or function(s) io.stdout:write(s) end
  err = err or function(s) io.stderr:write(s) end
  local p = parser()
  local a, status = cli.parse_args(p, argv, "dedup", out, err)
  if not a then return status end
  local lines = a.lines or a.null
  local min = dedup.DEFAULT_MIN_BLOCK_LENGTH
  if a.min_block_length then
    min = tonumber(a.min_block_length)
    if not min or min < 0 or min ~= floor(min) or lines then
      err(lines and "victor-lua: dedup: --min-block-length applies to blocks, not --lines\n"
        or sfmt("victor-lua: dedup: --min-block-length must be a non-negative integer, got '%s'\n",
          a.min_block_length))
      return 2
    end
  end
  if a.counts and not lines then
    err("victor-lua: dedup: --counts needs --lines\n")
    return 2
  end
  local near
  if a.near then
    near = tonumber(a.near)
    if lines then
      err("victor-lua: dedup: --near applies to blocks, not --lines\n")
      return 2
    elseif not near or near < 0 or near > 64 or near ~= floor(near) then
      err(sfmt("victor-lua: dedup: --near must be an integer from 0 to 64, got '%s'\n", a.near))
      return 2
    end
  end
  local fh = cli.open_input(a.file, "dedup", err)
  if not fh then return 2 end
  local delim = a.null and "\0" or "\n"
  local s, cnt
  if near then
    cnt = whole(min, near)
  elseif a.counts then
    cnt = counter(delim)
  elseif lines then
    s = dedup.stream({ mode = "lines", delimiter = delim })
  else
    s = dedup.stream({ min_block_length = min })
  end
  local bytes_in = 0
  while true do
    local chunk, rerr = fh:read(M.CHUNK)
    if not chunk then
      if rerr then
        err("victor-lua: dedup: read error: " .. tostring(rerr) .. "\n")
        if s then s:close() end
        return 2
      end
      break
    end
    bytes_in = bytes_in + #chunk
    if cnt then
      cnt.feed(chunk)
    else
      local text, e, code = s:feed(chunk)
      if not text then err(sfmt("victor-lua: dedup: %s (%s)\n", e, code)) s:close() return 2 end
      if text ~= "" then out(text) end
    end
  end
  if fh ~= io.stdin then fh:close() end
  local st
  if cnt then
    local e, code
    st, e, code = cnt.finish(out)
    if not st then err(sfmt("victor-lua: dedup: %s (%s)\n", e, code)) return 2 end
    st.bytes_in = bytes_in
  else
    local text, e, code = s:finish()
    if not text then err(sfmt("victor-lua: dedup: %s (%s)\n", e, code)) s:close() return 2 end
    if text ~= "" then out(text) end
    st = s:stats()
    s:close()
  end
  if a.stats then
    if lines then
      err(sfmt("victor-lua: dedup: %d lines, %d removed, %d bytes in%s\n", st.lines, st.removed, st.bytes_in,
        st.bytes_out and sfmt(", %d bytes out", st.bytes_out) or ""))
    else
      err(sfmt("victor-lua: dedup: %d blocks, %d removed%s, %d -> %d bytes\n", st.blocks, st.removed,
        st.near_removed and sfmt(" (%d near)", st.near_removed) or "", st.bytes_in, st.bytes_out))
    end
  end
  return 0
end

return M
