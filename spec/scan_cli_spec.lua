-- scan_cli_spec.lua: `victor-lua scan` (lua/victor/cmd/scan.lua). Fake secrets are built here.
local proc = require "support.proc"
local rng = require "support.rng"
local cjson = require "cjson"
local vl = proc.vl

local r = rng(777)
local AN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
local function rnd(n)
  local t = {}
  for i = 1, n do
    local k = r(#AN) + 1
    t[i] = AN:sub(k, k)
  end
  return table.concat(t)
end

local function write(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

describe("victor-lua scan", function()
  local dir = os.tmpname()
  os.remove(dir)
  local tok = "ghp_" .. rnd(36)
  local pw = rnd(14)
  setup(function()
    os.execute("mkdir -p " .. dir .. "/src " .. dir .. "/ignored " .. dir .. "/clean")
    write(dir .. "/src/app.py", "import os\n\nTOKEN = '" .. tok .. "'\n")
    write(dir .. "/src/db.py", "def f():\n    db_password = \"" .. pw .. "\"\n    password = get_password()\n")
    write(dir .. "/ignored/x.py", "k = '" .. "ghp_" .. rnd(36) .. "'\n")
    write(dir .. "/.gitignore", "ignored/\n")
    write(dir .. "/bin.dat", "\0\1\2 ghp_" .. rnd(36))
    write(dir .. "/clean/ok.py", "password = 'changeme'\nprint('hello')\n")
  end)
  teardown(function() os.execute("rm -rf " .. dir) end)

  it("prints file:line:col rule severity redacted and exits 1 on findings", function()
    local out, err, st = vl({ "scan", dir })
    assert.equal("", err)
    assert.equal(1, st)
    assert.equal(dir .. "/src/app.py:3:10 github-token high " .. tok:sub(1, 4) .. "********\n"
      .. dir .. "/src/db.py:2:20 generic-password medium db_password = \"********\"\n", out)
  end)

  it("exits 0 on a clean tree and 2 on a missing path", function()
    assert.same({ "", "", 0 }, { vl({ "scan", dir .. "/clean" }) })
    local _, err, st = vl({ "scan", dir .. "/nope" })
    assert.equal(2, st)
    assert.matches("^victor%-lua: scan: ", err)
  end)

  it("gives the same output for --jobs 1 and --jobs 2", function()
    assert.equal((vl({ "scan", "--jobs", "1", dir })), (vl({ "scan", "--jobs", "2", dir })))
  end)

  it("writes the same JSON and SARIF bytes on every run, keys sorted", function()
    -- each run is a new process: LuaJIT seeds its string hashes anew, so a table's key order
    -- (what cjson.encode follows) differs between runs; the output must not
    for _, fmt in ipairs({ "json", "sarif" }) do
      local first = vl({ "scan", "--format", fmt, dir })
      for _ = 1, 4 do assert.equal(first, (vl({ "scan", "--format", fmt, dir }))) end
      assert.truthy(first:find(fmt == "json" and '"findings":[{' or '"runs":[{', 1, true), first)
    end
    local cli = require "victor.cli"
    assert.equal('{"a":[2,3],"b":{"x":null,"y":"\\n"},"c":{},"d":1.5}',
      cli.json_encode({ d = 1.5, c = {}, b = { y = "\n", x = cjson.null }, a = { 2, 3 } }))
    assert.equal('{"1":true,"z":false}', cli.json_encode({ z = false, [1] = true }))
  end)

  it("writes JSON, and a baseline of its fingerprints silences them", function()
    local out, _, st = vl({ "scan", "--format", "json", dir })
    assert.equal(1, st)
    local doc = cjson.decode(out)
    assert.equal(2, #doc.findings)
    assert.equal("github-token", doc.findings[1].rule)
    assert.equal(16, #doc.findings[1].fingerprint)
    local base = proc.tmpfile(out)
    local out2, _, st2 = vl({ "scan", "--baseline", base, dir })
    assert.same({ "", 0 }, { out2, st2 })
    write(base, doc.findings[1].fingerprint .. "\n# comment\n")
    local out3, _, st3 = vl({ "scan", "--baseline", base, "--format", "json", dir })
    os.remove(base)
    assert.equal(1, st3)
    assert.equal(1, #cjson.decode(out3).findings)
    local clean = cjson.decode((vl({ "scan", "--format", "json", dir .. "/clean" })))
    assert.same({}, clean.findings)
  end)

  it("writes SARIF 2.1.0", function()
    local out, _, st = vl({ "scan", "--format", "sarif", dir })
    assert.equal(1, st)
    local doc = cjson.decode(out)
    assert.equal("2.1.0", doc.version)
    assert.matches("sarif%-2%.1%.0", doc["$schema"])
    local run = doc.runs[1]
    assert.equal("victor-lua", run.tool.driver.name)
    assert.is_string(run.tool.driver.version)
    assert.is_true(#run.tool.driver.rules >= 30)
    local res = run.results[1]
    assert.equal("github-token", res.ruleId)
    assert.equal("github-token", run.tool.driver.rules[res.ruleIndex + 1].id)
    assert.equal("error", res.level)
    assert.is_string(res.message.text)
    local loc = res.locations[1].physicalLocation
    assert.equal(dir:gsub("^/", "") .. "/src/app.py", loc.artifactLocation.uri:gsub("^/", ""))
    assert.same({ startLine = 3, startColumn = 10, endLine = 3, endColumn = 50, byteOffset = 20, byteLength = 40 },
      loc.region)
    assert.equal(16, #res.partialFingerprints["victorSecret/v1"])
    assert.equal("warning", run.results[2].level)
    local clean = vl({ "scan", "--format", "sarif", dir .. "/clean" })
    assert.matches('"results":%[%]', clean)
  end)

  it("--redact copies stdin to stdout with the secrets masked", function()
    local input = ("plain line\n"):rep(10000) .. "key " .. tok .. " end\n" .. ("tail\n"):rep(100)
    local out, err, st = vl({ "scan", "--redact" }, input)
    assert.same({ "", 0 }, { err, st })
    assert.equal(("plain line\n"):rep(10000) .. "key [REDACTED:github-token] end\n" .. ("tail\n"):rep(100), out)
    out = vl({ "scan", "--redact", "--style", "char" }, "x " .. tok .. "\n")
    assert.equal("x " .. ("*"):rep(40) .. "\n", out)
  end)

  it("takes extra rule packs and reports a bad one", function()
    local pack = proc.tmpfile('return { name = "p", version = "1", rules = { { id = "acme", kind = "secret", '
      .. 'regex = [[acme_[0-9]{6}]] } } }')
    local f = proc.tmpfile("x = acme_123456\n")
    local out, _, st = vl({ "scan", "--rules", pack, f })
    assert.equal(1, st)
    assert.equal(f .. ":1:5 acme high ********\n", out)
    write(pack, 'return { name = "p", version = "1", rules = { { id = "bad", kind = "secret", regex = "a(" } } }')
    local _, err, st2 = vl({ "scan", "--rules", pack, f })
    os.remove(pack)
    os.remove(f)
    assert.equal(2, st2)
    assert.equal("victor-lua: scan: rule 'bad': offset 2: missing closing parenthesis\n", err)
  end)
end)

describe("the demo job's secrets section", function()
  it("scans the bundled sample tree with planted fakes and masks a response", function()
    local out, err, st = vl({ "examples/rules.lua" })
    assert.equal(0, st, err)
    local sec = out:match("\nsecrets: (.-)\n\n")
    assert.is_string(sec, out)
    assert.truthy(sec:find("scanned     15 of 16 files", 1, true), sec)
    assert.truthy(sec:find("5 finding(s)", 1, true), sec)
    for _, l in ipairs({ "app/client.py:3:17 github-token high", "app/settings.py:4:34 database-url critical",
      "deploy/env.sh:2:26 aws-access-key high", "deploy/env.sh:3:22 stripe-key high",
      "keys/deploy_key:2:1 private-key critical" }) do
      assert.truthy(sec:find("  finding     " .. l, 1, true), l)
    end
    assert.truthy(sec:find("masked      Pushed with token [REDACTED:github-token] and set db_password = "
      .. "'[REDACTED:generic-password]'.", 1, true), sec)
  end)
end)
