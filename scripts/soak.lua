-- soak.lua: stream SOAK_GB gigabytes (default 1) through the stream filter, the dedup
-- stream and the JSON repair stream, printing resident memory every SOAK_EVERY MB;
-- exits 1 when RSS grows by more than SOAK_MAX_GROWTH_MB (default 64) over its value
-- after the first 64 MB (issue 11, item 4). Run by `make soak` (not part of `make test`).
--   SOAK_GB=10 make soak
local sf = require "victor.stream_filter"
local dedup = require "victor.dedup"
local jr = require "victor.json_repair"

local gb = tonumber(os.getenv("SOAK_GB") or "1")
local every = tonumber(os.getenv("SOAK_EVERY") or "256") * 2 ^ 20
local max_growth = tonumber(os.getenv("SOAK_MAX_GROWTH_MB") or "64")
local total = gb * 2 ^ 30

local function rss_mb()
  local f = io.open("/proc/self/status", "r")
  if not f then return 0 end
  local s = f:read("*a")
  f:close()
  return (tonumber(s:match("VmRSS:%s*(%d+)")) or 0) / 1024
end

-- one chunk per stream: varied content, so every stream keeps working (held bytes,
-- new dedup keys that force evictions, repaired JSON values)
local function chunks(i)
  local think = ("visible text %d <think>hidden reasoning %d</think> more text\n"):format(i, i):rep(40)
  local lines = {}
  for k = 1, 60 do lines[k] = ("line %d of block %d: %s\n"):format(k % 7, i % 997, ("x"):rep(k % 40)) end
  local blocks = table.concat(lines) .. "\n"
  local js = {}
  for k = 1, 30 do js[k] = ('{"id": %d, "name": \'n%d\', "tags": [1, 2, 3,], ok: true\n'):format(i * 30 + k, k) end
  return think, blocks, table.concat(js)
end

local f = sf.new()
local d = dedup.stream({ max_entries = 4096 })
local j = jr.stream({ ndjson = true, max_input = 2 ^ 52 })
local fed, next_report, base = 0, every, nil
local out_bytes = 0
local t0 = os.clock()
local i = 0
print(("soak: %g GB through stream_filter, dedup stream, json_repair stream (RSS bound: +%d MB)"):format(gb,
  max_growth))
while fed < total do
  i = i + 1
  local a, b, c = chunks(i)
  local o1, o2 = f:feed(a)
  local o3 = assert(d:feed(b))
  local o4, msg = j:feed(c)
  if not o4 then error("json_repair stream: " .. tostring(msg)) end
  out_bytes = out_bytes + #(o1 or "") + #(o2 or "") + #o3 + #o4
  fed = fed + #a + #b + #c
  if not base and fed >= 64 * 2 ^ 20 then
    collectgarbage()
    base = rss_mb()
  end
  if fed >= next_report then
    next_report = next_report + every
    local r = rss_mb()
    print(("%8.0f MB fed  RSS %6.1f MB  (%.0f MB/s)"):format(fed / 2 ^ 20, r, fed / 2 ^ 20 / (os.clock() - t0)))
    if base and r - base > max_growth then
      print(("FAIL: RSS grew %.1f MB over %.1f MB"):format(r - base, base))
      os.exit(1)
    end
  end
end
f:finish()
d:finish()
j:finish()
collectgarbage()
local r = rss_mb()
print(("done: %.0f MB in, %.0f MB out, RSS %.1f MB (after 64 MB: %.1f MB), %.0f s CPU"):format(fed / 2 ^ 20,
  out_bytes / 2 ^ 20, r, base or r, os.clock() - t0))
if base and r - base > max_growth then
  print(("FAIL: RSS grew %.1f MB"):format(r - base))
  os.exit(1)
end
print("PASS: flat RSS")
