-- gitleaks_spec.lua: `victor-lua rules import-gitleaks` and victor.gitleaks (toml++ through the
-- native module). The config is spec/data/gitleaks/small.toml, written for this spec.
local proc = require "support.proc"
local rules = require "victor.rules"
local secrets = require "victor.secrets"
local gitleaks = require "victor.gitleaks"
local vl = proc.vl

local native = secrets.backend == "native"

describe("victor.gitleaks", function()
  if not native then
    it("needs the native module", function()
      local cfg, msg, code = gitleaks.parse("a = 1")
      assert.is_nil(cfg)
      assert.matches("^importing gitleaks needs the native module", msg)
      assert.equal("ENATIVE", code)
    end)
    return
  end

  it("parses TOML with toml++ and reports a syntax error with its position", function()
    assert.same({ a = 1, t = { b = { "x", "y" } } }, gitleaks.parse('a = 1\n[t]\nb = ["x", "y"]\n'))
    local cfg, msg, code = gitleaks.parse("a = \n", "x.toml")
    assert.is_nil(cfg)
    assert.matches("^x%.toml: line 1, column %d+: ", msg)
    assert.equal("EPARSE", code)
  end)

  it("converts rules, reports what it cannot convert, and the pack loads and scans", function()
    local f = assert(io.open("spec/data/gitleaks/small.toml", "rb"))
    local cfg = assert(gitleaks.parse(f:read("*a")))
    f:close()
    local pack, problems = gitleaks.convert(cfg, "spec")
    local ids = {}
    for i, r in ipairs(pack.rules) do ids[i] = r.id end
    assert.same({ "acme-api-token", "widget-key", "line-target" }, ids)
    assert.equal(3, #problems)
    assert.equal("rule 'pem-file' (#3): no regex (path-only rules are not supported): skipped", problems[1])
    assert.equal("rule 'bad-regex' (#4): rule 'bad-regex': offset 3: lookbehind assertion is not fixed length: "
      .. "skipped", problems[2])
    assert.equal("rule 'line-target' (#5) allowlists #1: allowlist regexTarget 'line' is applied to the secret",
      problems[3])
    local r1, r2 = pack.rules[1], pack.rules[2]
    assert.equal(1, r1.secret_group)
    assert.same({ "acme_" }, r1.keywords)
    assert.same({ paths = { "(^|/)vendor/" }, stopwords = { "example" } }, r1.allow)
    assert.same({ regexes = { "^0000" }, paths = { "(^|/)vendor/" }, stopwords = { "example" } }, r2.allow)
    local src = gitleaks.to_lua(pack)
    local loaded = assert(rules.load_string(src, "imported.lua"))
    local sc = assert(secrets.compile(loaded, { base = false }))
    local tok = "acme_" .. ("k3x9q2m7z1w8v4b6n5r0"):sub(1, 20)
    local found = sc:scan("x = '" .. tok .. "'\nwidget_key = \"Zq8Wm3Kx7Tp2Lr9V\"\n", { file = "src/a.py" })
    assert.equal(2, #found)
    assert.equal("acme-api-token", found[1].rule)
    assert.equal(tok, ("x = '" .. tok):sub(found[1].secret_start, found[1].secret_stop))
    assert.equal("widget-key", found[2].rule)
    assert.equal(0, #sc:scan("x = '" .. tok .. "'", { file = "vendor/a.py" }))
  end)
end)

describe("victor-lua rules import-gitleaks", function()
  if not native then return end
  it("prints the pack on stdout and the problems on stderr", function()
    local out, err, st = vl({ "rules", "import-gitleaks", "spec/data/gitleaks/small.toml", "--name", "mine" })
    assert.equal(0, st)
    assert.matches("name = %[%[mine%]%]", out)
    local pack = assert(rules.load_string(out, "out.lua"))
    assert.equal(3, #pack.rules)
    assert.matches("victor%-lua: rules: spec/data/gitleaks/small.toml: rule 'pem%-file' %(#3%): no regex", err)
    local _, err2, st2 = vl({ "rules", "import-gitleaks", "spec/data/gitleaks/nope.toml" })
    assert.equal(1, st2)
    assert.matches("^victor%-lua: rules: spec/data/gitleaks/nope.toml: No such file", err2)
  end)
end)
