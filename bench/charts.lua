--- bench/charts.lua: the benches' same-run ratios as charts (gnuplot; SVG and PNG).
--
-- Usage: luajit bench/charts.lua OUTDIR [COPYDIR]   (what `make bench-report` runs)
-- Reads every OUTDIR/*.json written by a bench (bench/harness.lua's format) and draws,
-- per kernel, one horizontal bar per named ratio (native against the pure-Lua
-- fallback, against peers, against the bandwidth baseline, 2 threads against 1 ...)
-- on a log scale with the line x = 1 (bars right of it: the first-named side is
-- faster). Writes OUTDIR/charts/<kernel>.{svg,png} (and copies them into COPYDIR, e.g.
-- docs/bench, when given). Needs gnuplot (Debian: apt-get install gnuplot-nox).
local cjson = require "cjson"

local sfmt = string.format

local outdir, copydir = arg[1], arg[2]
if not outdir then
  io.stderr:write("usage: luajit bench/charts.lua OUTDIR [COPYDIR]\n")
  os.exit(2)
end
local function ok(cmd)
  local r = os.execute(cmd)
  return r == true or r == 0
end
if not ok("command -v gnuplot >/dev/null 2>&1") then
  io.stderr:write("bench/charts.lua: gnuplot not found (apt-get install gnuplot-nox)\n")
  os.exit(2)
end

local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local names = {}
local p = io.popen("ls -1 " .. q(outdir) .. " 2>/dev/null")
for name in p:lines() do
  if name:match("%.json$") then names[#names + 1] = name end
end
p:close()
table.sort(names)

local chartdir = outdir .. "/charts"
assert(ok("mkdir -p " .. q(chartdir)))
local made = 0
for _, name in ipairs(names) do
  local f = assert(io.open(outdir .. "/" .. name))
  local okj, data = pcall(cjson.decode, f:read("*a"))
  f:close()
  local ratios = okj and type(data) == "table" and data.ratios or {}
  local rows = {}
  for _, r in ipairs(ratios) do
    if type(r.value) == "number" and r.value > 0 and r.value == r.value then rows[#rows + 1] = r end
  end
  if #rows > 0 then
    local kernel = data.kernel or name:gsub("%.json$", "")
    local dat = sfmt("%s/%s.dat", chartdir, kernel)
    local d = assert(io.open(dat, "w"))
    for i = #rows, 1, -1 do -- gnuplot draws row 0 at the bottom: the first ratio on top
      local label = rows[i].label:gsub('"', "'")
      if #label > 78 then label = label:sub(1, 75) .. "..." end
      d:write(sfmt('"%s" %.6g\n', label, rows[i].value))
    end
    d:close()
    local lo, hi, width = 1, 1, 10
    for _, r in ipairs(rows) do
      lo, hi = math.min(lo, r.value), math.max(hi, r.value)
      width = math.max(width, math.min(#r.label, 78))
    end
    local gp = {
      "set encoding utf8",
      "set logscale x 10",
      sfmt("set xrange [%g:%g]", lo / 2, hi * 2),
      sfmt("set yrange [-0.7:%d]", #rows - 0.3),
      "set ytics nomirror font ',9'",
      "set grid xtics",
      "set style fill solid 0.6 border -1",
      "unset key",
      sfmt("set title %q", kernel .. ": same-run ratios"),
      "set xlabel 'ratio (log scale; > 1: the first-named side is faster)'",
      "set arrow from 1, graph 0 to 1, graph 1 nohead lw 2 dt 2",
      sfmt("set lmargin %d", math.floor(width * 0.85) + 2),
    }
    local plot = sfmt("plot %q using (($2 < 1) ? $2 : 1):0:(($2 < 1) ? $2 : 1):(($2 > 1) ? $2 : 1):"
      .. "($0 - 0.35):($0 + 0.35):ytic(1) with boxxyerror lc rgb '#4477aa', "
      .. "'' using ((($2 > 1) ? $2 : 1) * 1.15):0:(sprintf('%%.3gx', $2)) with labels left font ',8'", dat)
    local height = 120 + 22 * #rows
    for _, term in ipairs({ { "svg", sfmt("set terminal svg size 1200,%d dynamic noenhanced", height) },
      { "png", sfmt("set terminal pngcairo size 1200,%d noenhanced", height) } }) do
      local script = table.concat(gp, "\n") .. "\n" .. term[2] .. "\n"
        .. sfmt("set output %q\n", sfmt("%s/%s.%s", chartdir, kernel, term[1])) .. plot .. "\n"
      local gpf = sfmt("%s/%s.%s.gp", chartdir, kernel, term[1])
      local g = assert(io.open(gpf, "w"))
      g:write(script)
      g:close()
      if not ok("gnuplot " .. q(gpf)) then
        io.stderr:write("bench/charts.lua: gnuplot failed on " .. gpf .. "\n")
        os.exit(1)
      end
    end
    made = made + 1
    print(sfmt("%s/%s.svg (%d ratios)", chartdir, kernel, #rows))
    if copydir then
      assert(ok(sfmt("mkdir -p %s && cp %s %s %s/", q(copydir), q(chartdir .. "/" .. kernel .. ".svg"),
        q(chartdir .. "/" .. kernel .. ".png"), q(copydir))))
    end
  end
end
if made == 0 then
  io.stderr:write("bench/charts.lua: no ratios in " .. outdir .. "/*.json (run make bench first)\n")
  os.exit(1)
end
