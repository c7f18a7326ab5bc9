--- bench/secrets_bench.lua: throughput of the secret scanner (issue 6, victor.secrets) on a real
--- source tree, against the naive loop (every rule's PCRE2 regex over the whole input).
--
-- Usage (what `make bench` runs):
--   LUA_PATH="./lua/?.lua;./bench/?.lua;build/gen/lua/?.lua;;" LUA_CPATH="build/lib/?.so;;" \
--     luajit bench/secrets_bench.lua build/bench [--case PAT] [--iters N] [--list]
-- Writes build/bench/secrets.json (read by bench/report.lua); see bench/harness.lua.
--
-- Corpus: the Python standard library (/usr/lib/python3*/**.py, two levels) then /usr/include
-- headers (two levels), concatenated in sorted path order up to VL_SECRETS_MB (default 20) MB,
-- with 200 fake secrets of the pack's kinds planted at fixed offsets (so the regex, entropy and
-- merge paths run). Cases (one core, one whole buffer per iteration):
--   full.windowed     the built-in secret rules (rules/secrets.lua), keyword prefilter + windows
--   victor20.windowed Victor's 20 kinds alone
--   full.naive        every rule's regex over the whole buffer (the reference path)
--   victor20.naive    the same with Victor's 20 kinds
--   gitleaks.windowed gitleaks' default configuration (213 rules, 212 converted), imported with
--                     `victor-lua rules import-gitleaks`, when BUILD/peers/gitleaks/pack.lua exists
--                     (scripts/fetch-gitleaks-config.sh BUILD makes it from a pinned npm tarball);
--                     beside it, when libvectorscan-dev is installed, the same regexes through
--                     Vectorscan (bench/peers/hs_regexes.c, built into build/peers) on the same corpus
-- Before timing, windowed and naive findings are asserted identical (own rules).
local H = require "harness"
local secrets = require "victor.secrets"

local sfmt, tconcat = string.format, table.concat

local args = H.parse_args(arg)
local MB = 1e6
local CORPUS_MB = tonumber(os.getenv("VL_SECRETS_MB") or "") or 20
local SINK = {}

local VICTOR20 = { "aws-access-key", "aws-secret-key", "openai-api-key", "openai-api-key-v2", "anthropic-api-key",
  "google-api-key", "github-token", "github-oauth", "slack-token", "slack-webhook", "discord-token",
  "private-key", "database-url", "generic-api-key", "generic-password", "jwt", "stripe-key", "twilio-key",
  "sendgrid-key", "heroku-api-key" }

local function list_files()
  local p = io.popen("ls -1 /usr/lib/python3*/*.py /usr/lib/python3*/*/*.py /usr/include/*.h "
    .. "/usr/include/*/*.h 2>/dev/null | LC_ALL=C sort")
  local out = {}
  for line in p:lines() do out[#out + 1] = line end
  p:close()
  return out
end

local rand = H.minstd(20261127)
local AN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
local function rnd(n)
  local t = {}
  for i = 1, n do
    local k = rand(#AN)
    t[i] = AN:sub(k, k)
  end
  return tconcat(t)
end
local PLANTS = {
  function() return "token = 'gh" .. "p_" .. rnd(36) .. "'\n" end,
  function() return 'db_password = "' .. rnd(14) .. '"\n' end,
  function() return "url = 'postgresql://app:" .. rnd(16) .. "@db:5432/x'\n" end,
  function() return "AWS_KEY = 'AK" .. "IA" .. rnd(16):upper():gsub("[^A-Z2-7]", "Q") .. "'\n" end,
  function() return "stripe = 'sk_" .. "live_" .. rnd(30) .. "'\n" end,
}

local corpus
local function data()
  if corpus then return corpus end
  local parts, n = {}, 0
  for _, path in ipairs(list_files()) do
    local f = io.open(path, "rb")
    if f then
      local s = f:read("*a")
      f:close()
      parts[#parts + 1] = s
      n = n + #s
      if n >= CORPUS_MB * MB then break end
    end
  end
  local text = tconcat(parts):sub(1, CORPUS_MB * MB)
  -- plant 200 secrets at fixed offsets (line starts)
  local out, pos, step = {}, 1, math.floor(#text / 200)
  for i = 1, 200 do
    local cut = text:find("\n", pos + step, true) or #text
    out[#out + 1] = text:sub(pos, cut)
    out[#out + 1] = PLANTS[(i % #PLANTS) + 1]()
    pos = cut + 1
  end
  out[#out + 1] = text:sub(pos)
  corpus = tconcat(out)
  return corpus
end

local function wanted(name) return H.wanted(args, name) end

local full = assert(secrets.compile())
local v20rules = {}
do
  local want = {}
  for _, id in ipairs(VICTOR20) do want[id] = true end
  for _, r in ipairs(full:rules()) do if want[r.id] then v20rules[#v20rules + 1] = r end end
end
local v20 = assert(secrets.compile({ name = "victor20", version = "1", rules = v20rules }, { base = false }))

local gitleaks_pack = (args.outdir or "build/bench"):gsub("/bench/?$", "") .. "/peers/gitleaks/pack.lua"
local glk
do
  local f = io.open(gitleaks_pack, "rb")
  if f then
    f:close()
    local rules = require "victor.rules"
    local pack = assert(rules.load_file(gitleaks_pack))
    glk = assert(secrets.compile(pack, { base = false }))
  end
end

local suite = H.suite("secrets", arg, { samples = 3 })
local function add(name, case, backend, group, sc, naive)
  local d = wanted(name) and data() or ""
  local opts = { file = "corpus", naive = naive }
  suite:add { name = name, case = case, backend = backend, group = group, items = 1, bytes = #d,
              fn = function(n) for _ = 1, n do SINK[1] = sc:scan(d, opts) end end, cg_iters = 1 }
end
add("full.windowed", sfmt("%d rules (rules/secrets.lua), %d MB source", #full:rules(), CORPUS_MB), "native",
  "full", full, false)
add("full.naive", sfmt("%d rules, every regex over all %d MB (naive)", #full:rules(), CORPUS_MB), "naive", "full",
  full, true)
add("victor20.windowed", sfmt("Victor's 20 kinds, %d MB source", CORPUS_MB), "native", "victor20", v20, false)
add("victor20.naive", sfmt("Victor's 20 kinds, every regex over all %d MB (naive)", CORPUS_MB), "naive",
  "victor20", v20, true)

if glk then
  add("gitleaks.windowed", sfmt("gitleaks default config (%d rules, imported), %d MB source", #glk:rules(),
    CORPUS_MB), "native", "gitleaks", glk, false)
end

local results = suite:run()
suite.sink = SINK
if args.child or args.list or args.callgrind then return end

-- ---- same-run comparisons and checks --------------------------------------------
local text = data()
local checks, notes = {}, {}
local ratios, ratio = H.ratio_table(results)
local function find(name) return H.find(results, name) end
local function key(list)
  local t = {}
  for i, f in ipairs(list) do
    t[i] = sfmt("%s %d %d %d %s", f.rule, f.secret_start, f.secret_stop, f.line, f.fingerprint)
  end
  return tconcat(t, "\n")
end
local fw, fn = full:scan(text, { file = "corpus" }), full:scan(text, { file = "corpus", naive = true })
local vw, vn = v20:scan(text, { file = "corpus" }), v20:scan(text, { file = "corpus", naive = true })
local same_full, same_v20 = key(fw) == key(fn), key(vw) == key(vn)
local rf = ratio("full pack: windowed / naive", "full.windowed", "full.naive")
local rv = ratio("Victor's 20: windowed / naive", "victor20.windowed", "victor20.naive")
local w, v = find("full.windowed"), find("victor20.windowed")
if v then
  checks[#checks + 1] = { label = "Victor's 20 kinds >= 1 GB/s on one core", pass = v.mb_per_s >= 1000,
    detail = sfmt("%.0f MB/s", v.mb_per_s) }
end
if w then
  notes[#notes + 1] = sfmt("full pack (%d rules): %.0f MB/s", #full:rules(), w.mb_per_s)
end
if rf then
  checks[#checks + 1] = { label = "full pack >= 20x the naive every-regex loop, identical findings",
    pass = rf >= 20 and same_full, detail = sfmt("%.1fx; %d findings, %s", rf, #fw,
      same_full and "identical" or "DIFFER") }
end
if rv then
  checks[#checks + 1] = { label = "Victor's 20 >= 20x the naive loop, identical findings", pass = rv >= 20 and same_v20,
    detail = sfmt("%.1fx; %d findings, %s", rv, #vw, same_v20 and "identical" or "DIFFER") }
end
local g = find("gitleaks.windowed")
if g then
  checks[#checks + 1] = { label = "imported gitleaks config >= 0.36 GB/s on one core (Vectorscan's speed here)",
    pass = g.mb_per_s >= 360, detail = sfmt("%.0f MB/s, %d rules", g.mb_per_s, #glk:rules()) }
  -- the same regexes through Vectorscan (bench/peers/hs_regexes.c): block mode, no captures
  local PEER = "build/peers/hs_regexes"
  local ok, why = H.build_peer(PEER, "bench/peers/hs_regexes.c", "libhs", "libvectorscan-dev")
  if ok then
    local dir = args.outdir or "build/bench"
    local ref, cpath = {}, dir .. "/secrets_corpus.txt"
    for i, r in ipairs(glk:rules()) do ref[i] = r.regex end
    local f = assert(io.open(dir .. "/secrets_gitleaks_regexes.txt", "wb"))
    f:write(tconcat(ref, "\n"), "\n")
    f:close()
    f = assert(io.open(cpath, "wb"))
    f:write(text)
    f:close()
    local out = io.popen(sfmt("%s %s/secrets_gitleaks_regexes.txt %s -n 5 2>&1", PEER, dir, cpath)):read("*a")
    local hm, hs_s, nre, nref = out:match("matches=(%d+) scan_s=([%d.]+) .* regexes=(%d+) refused=(%d+)")
    if hm then
      local hmb = #text / tonumber(hs_s) / MB
      ratios[#ratios + 1] = { label = "gitleaks config: native / Vectorscan (MB/s)", a = "gitleaks.windowed",
        b = "vectorscan", value = g.mb_per_s / hmb }
      checks[#checks + 1] = { label = "imported gitleaks config: faster than Vectorscan on the same regexes, same run",
        pass = g.mb_per_s >= hmb, detail = sfmt("%.0f vs %.0f MB/s (%.2fx); Vectorscan: %s regexes, %s refused, "
          .. "no captures, entropy or allowlists, %s match ends", g.mb_per_s, hmb, g.mb_per_s / hmb, nre, nref, hm) }
    else
      notes[#notes + 1] = "Vectorscan peer failed: " .. out:sub(1, 200)
    end
  else
    notes[#notes + 1] = "SKIP gitleaks config against Vectorscan: " .. why
  end
else
  notes[#notes + 1] = "gitleaks case skipped: run scripts/fetch-gitleaks-config.sh BUILD first."
end
local info = full:info()
notes[#notes + 1] = sfmt("corpus: %.1f MB of Python stdlib + /usr/include, 200 planted fake secrets; keyword method "
  .. "%s, %d distinct keywords, PCRE2 %s (JIT %s).", #text / MB, info.prefilter, info.keywords,
  secrets.pcre2_version(), info.jit and "on" or "off")
notes[#notes + 1] = "Reference, not measured here: Victor's Rust scan_secrets about 125 MB/s with its 20 patterns "
  .. "(Python 6 MB/s); Nosey Parker about 0.5 GB/s per core (published); Vectorscan about 0.36 GB/s on all "
  .. "gitleaks regexes (no captures; the anchors' figure, beside the same-run peer above)."
suite:finish { ratios = ratios, checks = checks, notes = notes }
