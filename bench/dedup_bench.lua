--- bench/dedup_bench.lua: throughput of the dedup kernel (issue 3), native vs pure-Lua.
--
-- Usage (what `make bench` runs):
--   LUA_PATH="./lua/?.lua;./bench/?.lua;build/gen/lua/?.lua;;" LUA_CPATH="build/lib/?.so;;" \
--     luajit bench/dedup_bench.lua build/bench [--case PAT] [--iters N] [--list]
-- Writes build/bench/dedup.json (read by bench/report.lua); see bench/harness.lua.
--
-- Workloads (deterministic for a given machine: sorted file lists, a fixed MINSTD seed):
--   text    VL_DEDUP_MB (default 100) MB of paragraphs taken from the C headers under
--           /usr/include and the plain-text files under /usr/share/doc found at run time
--           (generated prose when there are none), joined by blank lines, with 30% of the
--           paragraphs repeats of earlier ones. The fallback runs on 1 MB built the same
--           way (the native too, for a same-input ratio).
--   log     VL_DEDUP_LINES (default 2 M) log lines, ~1/3 of them repeats, for line mode;
--           `mawk '!seen[$0]++'` runs on the same file as a subprocess (wall clock, median
--           of 3) and its output must equal dedup_lines'.
--   stream  the text fed in 4 KB chunks to victor.dedup.stream.
--   flat    100 KB, 1 MB, 10 MB and 100 MB of prose lines without blank lines or fences
--           (one block): throughput must not fall with size (Victor's is quadratic here).
--   rss     (after the timed cases) fresh processes stream 10 MB and 1 GB through
--           victor.dedup.stream in 64 KB chunks, the 1 GB as 100 passes over a 10 MB
--           text (so the set of seen keys stops growing), and report their peak RSS
--           (VmHWM); VL_DEDUP_RSS_MB=N runs one such process.
--   near    the near-duplicate set (build_near below): dedup in exact mode and with near =
--           3, 6, 10; precision and recall of find_duplicate_blocks { near = T } in the notes.
local H = require "harness"
local D = require "victor.core.dedup"
local F = require "victor.fallback.dedup"
local dedup = require "victor.dedup"

local sfmt, tconcat = string.format, table.concat

local args = H.parse_args(arg)
local MB = 1e6
local TEXT_MB = tonumber(os.getenv("VL_DEDUP_MB") or "") or 100
local LOG_LINES = tonumber(os.getenv("VL_DEDUP_LINES") or "") or 2e6
local SINK = {}

local seed = 20240607
local function rand(n) -- MINSTD: exact in doubles
  seed = seed * 48271 % 2147483647
  return seed % n + 1
end

-- ---- data ---------------------------------------------------------------------

local WORDS = { "the", "kernel", "returns", "a", "block", "of", "text", "when", "input", "is", "valid",
  "tool", "result", "agent", "session", "repeats", "itself", "cache", "hash", "normalised", "line", "fence" }

local function prose_line()
  local w = {}
  for i = 1, 8 + rand(8) do w[i] = WORDS[rand(#WORDS)] end
  return tconcat(w, " ")
end

-- Paragraphs of real text found on this machine (or generated prose).
local source_kind
local function corpus_paragraphs(budget)
  local paras, total = {}, 0
  local lists = { "find /usr/include -name '*.h' -type f 2>/dev/null | LC_ALL=C sort",
    "find /usr/share/doc -type f ! -name '*.gz' ! -name '*.html' 2>/dev/null | LC_ALL=C sort" }
  local files = {}
  for k, cmd in ipairs(lists) do
    local p = io.popen(cmd)
    files[k] = {}
    for l in p:lines() do files[k][#files[k] + 1] = l end
    p:close()
  end
  local i, k = { 1, 1 }, 1
  while total < budget and (i[1] <= #files[1] or i[2] <= #files[2]) do
    k = (k == 1 and i[2] <= #files[2]) and 2 or ((i[1] <= #files[1]) and 1 or 2)
    local f = io.open(files[k][i[k]], "rb")
    i[k] = i[k] + 1
    local s = f and f:read("*a") or ""
    if f then f:close() end
    for para in (s .. "\n\n"):gmatch("(.-)\n[ \t]*\n") do
      if para:find("%S") and not para:find("```", 1, true) and not para:find("~~~", 1, true) then
        paras[#paras + 1] = para
        total = total + #para + 2
      end
    end
  end
  source_kind = #paras > 0 and sfmt("/usr/include headers and /usr/share/doc text (%d paragraphs)", #paras)
  while total < budget do  -- nothing (or too little) on this machine: prose
    local l = {}
    for j = 1, 1 + rand(5) do l[j] = prose_line() end
    paras[#paras + 1] = tconcat(l, "\n")
    total = total + #paras[#paras] + 2
    source_kind = source_kind or "generated prose"
  end
  return paras
end

local function build_text(bytes)
  local paras = corpus_paragraphs(bytes * 0.72)
  local out, n, used, total = {}, 0, 0, 0
  while total < bytes do
    local p
    if used > 10 and rand(100) <= 30 then p = out[rand(n)] else used = used + 1; p = paras[(used - 1) % #paras + 1] end
    n = n + 1
    out[n] = p
    total = total + #p + 2
  end
  return tconcat(out, "\n\n") .. "\n"
end

local function build_log(lines)
  local t = {}
  local LEVELS = { "INFO", "INFO", "WARN", "DEBUG", "ERROR" }
  for i = 1, lines do
    t[i] = sfmt("2024-06-07 %s worker-%d request %d status=%d", LEVELS[rand(5)], rand(16), rand(lines), 200 + rand(4))
  end
  return tconcat(t, "\n") .. "\n"
end

local function build_flat(bytes)
  local t, total = {}, 0
  while total < bytes do
    t[#t + 1] = prose_line()
    total = total + #t[#t] + 1
  end
  return tconcat(t, "\n"):sub(1, bytes)
end

-- Near-duplicate set: VL_DEDUP_NEAR_N (default 4000) base paragraphs of 30-80 words
-- from a 5000-word synthetic vocabulary, then (shuffled) a copy of a random base with
-- 1-3 random word edits (replace, insert or delete: a positive) or an unrelated new
-- paragraph (a negative), N of each. Returns the text and the kind of every block.
local NEAR_N = tonumber(os.getenv("VL_DEDUP_NEAR_N") or "") or 4000
local SYL = { "ka", "to", "ri", "mo", "sen", "la", "vi", "dor", "pe", "qu", "an", "el", "ist", "or", "um", "ex" }
local VOCAB = {}
for i = 1, 5000 do
  local w, k = {}, i
  repeat
    w[#w + 1] = SYL[k % #SYL + 1]
    k = math.floor(k / #SYL)
  until k == 0
  VOCAB[i] = tconcat(w)
end
local function near_para()
  local w = {}
  for i = 1, 29 + rand(51) do w[i] = VOCAB[rand(#VOCAB)] end
  return w
end
local function build_near(n)
  local blocks, kinds, bases = {}, {}, {}
  for i = 1, n do
    bases[i] = near_para()
    blocks[i], kinds[i] = tconcat(bases[i], " "), "base"
  end
  local pos, neg = n, n
  while pos + neg > 0 do
    local w
    if rand(pos + neg) <= pos then
      pos = pos - 1
      w = {}
      for i, x in ipairs(bases[rand(n)]) do w[i] = x end
      for _ = 1, rand(3) do
        local op, at = rand(3), rand(#w)
        if op == 1 then w[at] = VOCAB[rand(#VOCAB)]
        elseif op == 2 then table.insert(w, at, VOCAB[rand(#VOCAB)])
        else table.remove(w, at) end
      end
      kinds[#kinds + 1] = "pos"
    else
      neg = neg - 1
      w = near_para()
      kinds[#kinds + 1] = "neg"
    end
    blocks[#blocks + 1] = tconcat(w, " ")
  end
  return tconcat(blocks, "\n\n") .. "\n", kinds
end

-- Build only what the case this process runs needs (each run is a fresh process).
local cache = {}
local function data(name)
  if not cache[name] then
    if name == "text" then cache.text = build_text(TEXT_MB * MB)
    elseif name == "slice" then cache.slice = build_text(1 * MB)
    elseif name == "text10" then cache.text10 = build_text(10 * MB)
    elseif name == "log" then cache.log = build_log(LOG_LINES)
    elseif name == "near" then cache.near, cache.near_kinds = build_near(NEAR_N)
    else cache[name] = build_flat(tonumber(name:match("^flat(%d+)$"))) end
  end
  return cache[name]
end
local function wanted(case_name, set) return H.wanted(args, case_name, set) end

-- The streaming RSS probe (VL_DEDUP_RSS_MB=N): N MB of input, the 10 MB text over and
-- over, through one stream in 64 KB chunks; prints the peak RSS and the byte counts.
local RSS_MB = tonumber(os.getenv("VL_DEDUP_RSS_MB") or "")
if RSS_MB then
  local t, sub = data("text10"), string.sub
  local st, left, out = dedup.stream(), RSS_MB * MB, 0
  while left > 0 do
    local take = left < #t and left or #t
    for i = 1, take, 65536 do out = out + #st:feed(sub(t, i, (i + 65535 < take) and i + 65535 or take)) end
    left = left - take
  end
  out = out + #st:finish()
  local stats = st:stats()
  st:close()
  print(sfmt("VL_RSS %s %d %d %d", H.peak_rss_kb() or "?", stats.bytes_in, out, stats.entries))
  os.exit(0)
end

local suite = H.suite("dedup", arg, { samples = 3 })

local function add(name, case, backend, group, dname, fn, parent_needs)
  local d = wanted(name, parent_needs) and data(dname) or ""
  suite:add { name = name, case = case, backend = backend, group = group, items = 1, bytes = #d,
              fn = function(n) for _ = 1, n do SINK[1] = fn(d) end end, cg_iters = 1 }
end

add("oneshot.native", sfmt("dedup %d MB text", TEXT_MB), "native", "oneshot", "text",
  function(s) return D.dedup(s, 50) end, true)
add("oneshot.1MB.native", "dedup 1 MB slice", "native", "slice", "slice", function(s) return D.dedup(s, 50) end, true)
add("oneshot.1MB.fallback", "dedup 1 MB slice", "fallback", "slice", "slice", function(s) return F.dedup(s, 50) end,
  true)
-- The stream's input arrives as 4 KB chunk strings, made before the clock starts (the
-- first call is the harness's warm-up), as the one-shot's input string is.
local chunk_cache = {}
local function chunks4k(s)
  local c = chunk_cache[s]
  if not c then
    c = {}
    for i = 1, #s, 4096 do c[#c + 1] = s:sub(i, i + 4095) end
    chunk_cache[s] = c
  end
  return c
end
add("stream4k.native", sfmt("stream %d MB text, 4 KB chunks", TEXT_MB), "native", "oneshot", "text", function(s)
  local st = dedup.stream()
  local out = 0
  local chunks = chunks4k(s)
  for i = 1, #chunks do out = out + #st:feed(chunks[i]) end
  out = out + #st:finish()
  st:close()
  return out
end, true)
add("lines.native", sfmt("dedup_lines %.1f M log lines", LOG_LINES / 1e6), "native", "lines", "log",
  function(s) return D.lines(s, "\n", false) end, true)
for _, sz in ipairs({ 100000, 1000000, 10000000, 100000000 }) do
  add("flat." .. sz .. ".native", sfmt("dedup %s B, no blank line", H.si(sz)), "native", "flat", "flat" .. sz,
    function(s) return D.dedup(s, 50) end, true)
end
add("near.exact.native", sfmt("near set (%d+2x%d paragraphs), exact mode", NEAR_N, NEAR_N), "native", "near",
  "near", function(s) return D.dedup(s, 50) end, true)
for _, t in ipairs({ 3, 6, 10 }) do
  add("near.T" .. t .. ".native", sfmt("near set, near = %d", t), "native", "near", "near",
    function(s) return D.dedup(s, 50, t) end, true)
end

local results = suite:run()
suite.sink = SINK -- where the timed loops left their last result
if args.child or args.list or args.callgrind then return end

-- ---- same-run comparisons and checks --------------------------------------------

-- mawk on the same log file: wall clock, median of 3; identical output required.
local wall = H.wall_clock
local logfile, outfile = os.tmpname(), os.tmpname()
local f = assert(io.open(logfile, "wb"))
f:write(data("log"))
f:close()
local mawk = io.popen("command -v mawk"):read("*l")
local mawk_s, native_lines_s, same_lines
if mawk then
  local ts = {}
  for k = 1, 3 do
    local t0 = wall()
    os.execute(sfmt("%s '!seen[$0]++' %s > %s", mawk, logfile, outfile))
    ts[k] = wall() - t0
  end
  mawk_s = H.median(ts)
  local g = assert(io.open(outfile, "rb"))
  local want = g:read("*a")
  g:close()
  ts = {}
  local got
  for k = 1, 3 do
    local t0 = wall()
    got = D.lines(data("log"), "\n", false)
    ts[k] = wall() - t0
  end
  native_lines_s = H.median(ts)
  same_lines = got == want
end
os.remove(logfile)
os.remove(outfile)

-- streaming peak RSS at 10 MB and 1 GB of input, each in a fresh process
local rss = {}
do
  for _, mb in ipairs({ 10, 1000 }) do
    local outp = H.run_self(arg, "VL_DEDUP_RSS_MB=" .. mb)
    local kb, bin, bout, entries = outp:match("VL_RSS (%d+) (%d+) (%d+) (%d+)")
    rss[#rss + 1] = kb and { mb = mb, kb = tonumber(kb), bytes_in = tonumber(bin), bytes_out = tonumber(bout),
      entries = tonumber(entries) } or { mb = mb, err = outp }
  end
end

-- identical outputs
local text = data("text")
local one = D.dedup(text, 50)
local st = dedup.stream()
local parts = {}
for i = 1, #text, 4096 do parts[#parts + 1] = st:feed(text:sub(i, i + 4095)) end
parts[#parts + 1] = st:finish()
local peak_held = st:stats().held
st:close()
local same_stream = tconcat(parts) == one
local same_fallback = F.dedup(data("slice"), 50) == D.dedup(data("slice"), 50)
local _, ost = D.dedup(text, 50)

H.compare(results, "oneshot.1MB.fallback", "slice")
local ratios, ratio = H.ratio_table(results)
local r_fb = ratio("one-shot 1 MB: native / fallback", "oneshot.1MB.native", "oneshot.1MB.fallback")
local r_st = ratio("stream 4 KB chunks / one-shot", "stream4k.native", "oneshot.native")
local function mbps(name)
  local r = H.find(results, name)
  return r and r.mb_per_s
end
-- the flat inputs differ in size: compare MB/s, not items/s
local r_flat
if mbps("flat.10000000.native") and mbps("flat.100000.native") then
  local big = mbps("flat.100000000.native") and "flat.100000000.native" or "flat.10000000.native"
  r_flat = mbps(big) / mbps("flat.100000.native")
  ratios[#ratios + 1] = { label = sfmt("flat: MB/s at %s / MB/s at 100 KB", big == "flat.10000000.native" and "10 MB"
    or "100 MB"), a = big, b = "flat.100000.native", value = r_flat }
end
local checks = {}
local on = H.find(results, "oneshot.native")
if on then
  checks[#checks + 1] = { label = "one-shot normalise+hash+dedup >= 1 GB/s (one core)", pass = on.mb_per_s >= 1000,
    detail = sfmt("%.0f MB/s on %d MB", on.mb_per_s, TEXT_MB) }
end
if r_fb then
  checks[#checks + 1] = { label = ">= 50x the pure-Lua fallback", pass = r_fb >= 50,
    detail = sfmt("%.1fx (%.0f vs %.1f MB/s, 1 MB slice; outputs %s)", r_fb, mbps("oneshot.1MB.native"),
      mbps("oneshot.1MB.fallback"), same_fallback and "identical" or "DIFFER") }
end
if mawk_s then
  local r = mawk_s / native_lines_s
  checks[#checks + 1] = { label = "line mode >= 20x mawk '!seen[$0]++', identical output",
    pass = r >= 20 and same_lines,
    detail = sfmt("%.1fx (%.3f s vs mawk %.3f s, wall, %.1f M lines; output %s)", r, native_lines_s, mawk_s,
      LOG_LINES / 1e6, same_lines and "identical" or "DIFFERS") }
end
if r_st then
  checks[#checks + 1] = { label = "streaming (4 KB chunks) >= 80% of one-shot, identical output",
    pass = r_st >= 0.8 and same_stream,
    detail = sfmt("%.0f%% (%.0f vs %.0f MB/s; output %s)", r_st * 100, mbps("stream4k.native"), mbps("oneshot.native"),
      same_stream and "identical" or "DIFFERS") }
end
if r_flat then
  checks[#checks + 1] = { label = "linear: MB/s flat from 100 KB to 100 MB without blank lines", pass = r_flat >= 0.7,
    detail = sfmt("100 KB %.0f, 1 MB %.0f, 10 MB %.0f, 100 MB %.0f MB/s", mbps("flat.100000.native"),
      mbps("flat.1000000.native"), mbps("flat.10000000.native"), mbps("flat.100000000.native") or 0) }
end
if rss[1] and rss[2] and rss[1].kb and rss[2].kb then
  local a, b = rss[1], rss[2]
  checks[#checks + 1] = { label = "streaming peak RSS flat from 10 MB to 1 GB of input",
    pass = b.kb <= a.kb * 1.25 and b.bytes_in == 1000 * MB,
    detail = sfmt("VmHWM %.1f MiB at 10 MB, %.1f MiB at 1 GB (%d keys in the set; output %d and %d bytes)",
      a.kb / 1024, b.kb / 1024, b.entries, a.bytes_out, b.bytes_out) }
elseif rss[1] then
  checks[#checks + 1] = { label = "streaming peak RSS flat from 10 MB to 1 GB of input", pass = false,
    detail = "the RSS probe failed: " .. tostring((rss[1].err or rss[2] and rss[2].err or "?"):sub(1, 200)) }
end

-- near mode: precision and recall on the generated set (blocks are in the order of
-- near_kinds: one block per paragraph)
local near_text, near_kinds = data("near"), cache.near_kinds
local near_notes = {}
for _, t in ipairs({ 3, 6, 10 }) do
  local tp, fp = 0, 0
  for _, e in ipairs(dedup.find_duplicate_blocks(near_text, { near = t })) do
    local k = near_kinds[(e.dup.line - 1) / 2 + 1]
    if k == "pos" then tp = tp + 1 else fp = fp + 1 end
  end
  near_notes[#near_notes + 1] = sfmt("T=%d precision %.3f recall %.3f", t, tp + fp > 0 and tp / (tp + fp) or 1,
    tp / NEAR_N)
  local r = ratio(sfmt("near mode T=%d / exact mode (near set)", t), "near.T" .. t .. ".native", "near.exact.native")
  if r then near_notes[#near_notes] = near_notes[#near_notes] .. sfmt(", throughput %.0f%% of exact", r * 100) end
end

local notes = {
  sfmt("near set: %d base paragraphs (30-80 words), %d copies with 1-3 word edits (positives), %d unrelated "
    .. "(negatives), %.1f MB: %s.", NEAR_N, NEAR_N, NEAR_N, #near_text / MB, tconcat(near_notes, "; ")),
  sfmt("text: %d MB from %s, %d blocks, %d removed (%.0f%%), %d -> %d bytes.", TEXT_MB, source_kind or "?",
    ost.blocks, ost.removed, 100 * ost.removed / ost.blocks, ost.bytes_in, ost.bytes_out),
  sfmt("stream: peak held bytes after the last feed %d; set entries capped at %d (default).", peak_held,
    dedup.DEFAULT_MAX_ENTRIES),
  "items = whole inputs; MB/s = input bytes (10^6) per second, median. mawk and the native line mode in the "
    .. "check are wall-clock medians of 3 in this process (mawk reads the file and writes to a file).",
  "Reference, not measured here: Victor's Rust dedup ~45 MB/s on 10 MB, quadratic without fences "
    .. "(1 MB/s at 500 KB); its Python path ~11 MB/s.",
}
suite:finish { ratios = ratios, checks = checks, notes = notes }
