-- secrets_spec.lua: victor.secrets (core/secrets.c through lua_secrets.c) and rules/secrets.lua.
-- Every fake secret is built here by concatenation from a seeded generator, so that this file
-- never holds a whole token that other scanners would flag.
local secrets = require "victor.secrets"
local rng = require "support.rng"
local chunks = require "support.chunks"

local native = secrets.backend == "native"

describe("victor.secrets without the native module", function()
  if native then
    it("is native here (the fallback pass checks the ENATIVE path)", function()
      assert.is_string(secrets.pcre2_version())
    end)
    return
  end
  it("says so clearly", function()
    local sc, msg, code = secrets.compile()
    assert.is_nil(sc)
    assert.matches("^victor.secrets needs the native module", msg)
    assert.equals("ENATIVE", code)
    assert.has_error(function() secrets.mask("x") end)
  end)
end)

if not native then return end

local r = rng(20261127)
local UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
local LO = "abcdefghijklmnopqrstuvwxyz"
local DG = "0123456789"
local AN = UP .. LO .. DG
local ANU = AN .. "_-"
local B64 = AN .. "+/"
local HEXL = "0123456789abcdef"
local B32 = UP .. "234567"

local function rnd(alpha, n)
  local t = {}
  for i = 1, n do
    local k = r(#alpha) + 1
    t[i] = alpha:sub(k, k)
  end
  return table.concat(t)
end

local function uuid()
  return rnd(HEXL, 8) .. "-" .. rnd(HEXL, 4) .. "-" .. rnd(HEXL, 4) .. "-" .. rnd(HEXL, 4) .. "-" .. rnd(HEXL, 12)
end

local BEGIN, END = "-----" .. "BEGIN ", "-----" .. "END "
local function pem(label)
  local lines = {}
  for i = 1, 6 do lines[i] = rnd(B64, 64) end
  return BEGIN .. label .. "-----\n" .. table.concat(lines, "\n") .. "\n" .. END .. label .. "-----\n"
end

-- rule id -> { true examples }, { false examples }
local CASES = {
  ["aws-access-key"] = { { "key = " .. "AK" .. "IA" .. rnd(B32, 16) .. "\n", "ASIA" .. rnd(B32, 16) },
    { "akia" .. rnd(LO, 16), "AK" .. "IA" .. "IOSFODNN7" .. "EXAMPLE", "XAKIA" .. rnd(B32, 16) } },
  ["aws-secret-key"] = { { 'aws_secret_access_key = "' .. rnd(B64, 40) .. '"', "AMAZON_KEY=" .. rnd(B64, 40) },
    { 'aws_secret_access_key = "' .. ("abcd"):rep(10) .. '"', 'aws_key = "' .. rnd(B64, 41) .. '"' } },
  ["openai-api-key"] = { { "sk-" .. rnd(AN, 20) .. "T3Blbk" .. "FJ" .. rnd(AN, 20) },
    { "sk-" .. rnd(AN, 48) } },
  ["openai-api-key-v2"] = { { "OPENAI=sk-proj-" .. rnd(ANU, 90) }, { "sk-proj-" .. rnd(ANU, 40) } },
  ["anthropic-api-key"] = { { "sk-ant-" .. "api03-" .. rnd(ANU, 93) }, { "sk-ant-" .. ("x"):rep(30) } },
  ["google-api-key"] = { { "AI" .. "za" .. rnd(ANU, 35) }, { "AI" .. "za" .. rnd(ANU, 36), "AIza" .. rnd(ANU, 20) } },
  ["github-token"] = { { "ghp_" .. rnd(AN, 36), "ghs_" .. rnd(AN, 36) },
    { "ghp_" .. rnd(AN, 30), "gho_" .. rnd(AN, 36) } },
  ["github-oauth"] = { { "gho_" .. rnd(AN, 36) }, { "gho_" .. ("x"):rep(36) } },
  ["slack-token"] = { { "xo" .. "xb-" .. rnd(DG, 11) .. "-" .. rnd(DG, 12) .. "-" .. rnd(AN, 24) },
    { "xoxb-123-456-abc" } },
  ["slack-webhook"] = { { "https://hooks.slack.com/services/T" .. rnd(UP .. DG, 8) .. "/B" .. rnd(UP .. DG, 8)
    .. "/" .. rnd(AN, 24) }, { "https://hooks.slack.com/services/" } },
  ["discord-token"] = { { 'discord_token = "M' .. rnd(AN, 23) .. "." .. rnd(AN, 6) .. "." .. rnd(ANU, 27) .. '"' },
    { 'token = "M' .. rnd(AN, 23) .. "." .. rnd(AN, 6) .. "." .. rnd(ANU, 27) .. '"' } },
  ["private-key"] = { { pem("RSA PRIVATE KEY"), pem("OPENSSH PRIVATE KEY"), pem("EC PRIVATE KEY"),
    pem("PRIVATE KEY"), pem("ENCRYPTED PRIVATE KEY"), pem("DSA PRIVATE KEY"), pem("PGP PRIVATE KEY BLOCK") },
    { pem("PUBLIC KEY"), BEGIN .. "RSA PRIVATE KEY-----\n..." } },
  ["database-url"] = { { "postgresql://app:" .. rnd(AN, 16) .. "@db.internal:5432/app",
    "mongodb+srv://u:" .. rnd(AN, 12) .. "@cluster0.example.net/x", "redis://:" .. rnd(AN, 12) .. "@cache:6379",
    "amqp://guest:" .. rnd(AN, 12) .. "@mq/", "mysql://root:" .. rnd(AN, 12) .. "@127.0.0.1/db",
    "postgres://u:" .. rnd(AN, 10) .. "@h/d", "mongodb://u:" .. rnd(AN, 10) .. "@h/d" },
    { "postgres://user:password@localhost/db", "postgresql://localhost/db", "mysql://root:${DB_PASS}@db/x" } },
  ["generic-api-key"] = { { 'api_key = "' .. rnd(AN, 32) .. '"', "client_secret: '" .. rnd(ANU, 40) .. "'" },
    { "api_key = get_api_key()", 'api_key = "your_api_key_here_0123"', 'api_key = "' .. ("ab"):rep(10) .. '"' } },
  ["generic-password"] = { { 'db_password = "' .. rnd(AN .. "!#%&", 14) .. '"', "PASSWORD='" .. rnd(AN, 12) .. "'" },
    { 'password = "changeme"', "password = get_password()", "secret: topsecretvalue",
      'password = "' .. ("x"):rep(12) .. '"', 'password = "%(pw)s"' } },
  ["jwt"] = { { "ey" .. "J" .. rnd(ANU, 20) .. ".eyJ" .. rnd(ANU, 30) .. "." .. rnd(ANU, 43) },
    { "eyJhbGciOi.eyJ", "eyJ" .. rnd(ANU, 20) .. ".abc." .. rnd(ANU, 20) } },
  ["stripe-key"] = { { "sk_" .. "live_" .. rnd(AN, 24), "rk_" .. "test_" .. rnd(AN, 30) },
    { "pk_" .. "live_" .. rnd(AN, 24) } },
  ["twilio-key"] = { { 'TWILIO_AUTH_TOKEN = "' .. rnd(HEXL, 32) .. '"', "twilio_key=SK" .. rnd(HEXL, 32) },
    { "AC" .. rnd(HEXL, 32), "sid = AC" .. rnd(HEXL, 32) } },
  ["sendgrid-key"] = { { "SG" .. "." .. rnd(ANU, 22) .. "." .. rnd(ANU, 43) }, { "SG." .. rnd(ANU, 10) } },
  ["heroku-api-key"] = { { 'HEROKU_API_KEY = "' .. uuid() .. '"' }, { 'id = "' .. uuid() .. '"' } },
  ["heroku-api-key-v2"] = { { "HR" .. "KU-" .. rnd(ANU, 60) }, { "HRKU-" .. rnd(ANU, 20) } },
  ["github-fine-grained-pat"] = { { "github_" .. "pat_" .. rnd(AN, 22) .. "_" .. rnd(AN, 59) },
    { "github_pat_" .. rnd(AN, 10) } },
  ["gitlab-token"] = { { "glp" .. "at-" .. rnd(ANU, 20), "glrt-" .. rnd(ANU, 24) }, { "glpat-short" } },
  ["slack-app-token"] = { { "xa" .. "pp-1-" .. rnd(UP .. DG, 11) .. "-" .. rnd(DG, 13) .. "-" .. rnd(HEXL, 64) },
    { "xapp-1-abc" } },
  ["gcp-service-account"] = { { '{"type": "service_account", "project_id": "p", "private_key_id": "'
    .. rnd(HEXL, 40) .. '"}' }, { '{"type": "authorized_user", "private_key_id": "' .. rnd(HEXL, 40) .. '"}' } },
  ["azure-storage-key"] = { { "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=" .. rnd(B64, 86) .. "==;" },
    { "AccountKey=" .. rnd(B64, 20) .. "==;" } },
  ["azure-ad-client-secret"] = { { 'secret = "' .. rnd(AN, 3) .. "8Q~" .. rnd(AN, 34) .. '"' }, { "abc8Q~short" } },
  ["huggingface-token"] = { { "hf_" .. rnd(AN, 34) }, { "hf_" .. ("x"):rep(34) } },
  ["npm-token"] = { { "//registry.npmjs.org/:_authToken=npm_" .. rnd(AN, 36) }, { "npm_" .. rnd(AN, 20) } },
  ["pypi-token"] = { { "pypi-AgEIcHlwaS5vcmc" .. rnd(ANU, 60) }, { "pypi-" .. rnd(ANU, 30) } },
}

local sc = assert(secrets.compile())

local function rules_of(list)
  local t = {}
  for _, f in ipairs(list) do t[f.rule] = (t[f.rule] or 0) + 1 end
  return t
end

local function strip(list)
  local out = {}
  for i, f in ipairs(list) do
    out[i] = { f.rule, f.start, f.stop, f.secret_start, f.secret_stop, f.line, f.col, f.fingerprint }
  end
  return out
end

describe("rules/secrets.lua", function()
  it("has a true and a false example for every rule", function()
    for _, rule in ipairs(sc:rules()) do
      local c = CASES[rule.id]
      assert.is_table(c, "no examples for " .. rule.id)
      assert.is_true(#c[1] >= 1 and #c[2] >= 1, rule.id)
    end
  end)

  for id, c in pairs(CASES) do
    it(id .. ": true examples fire, false ones do not", function()
      for i, text in ipairs(c[1]) do
        local found = assert(sc:scan("x = 1\n" .. text .. "\n", { file = "t.py" }))
        assert.is_true((rules_of(found)[id] or 0) >= 1, id .. " true example #" .. i .. ": " .. text)
        assert.same(strip(found), strip(sc:scan("x = 1\n" .. text .. "\n", { file = "t.py", naive = true })))
      end
      for i, text in ipairs(c[2]) do
        local found = assert(sc:scan(text, { file = "t.py" }))
        assert.is_nil(rules_of(found)[id], id .. " false example #" .. i .. ": " .. text)
      end
    end)
  end

  it("reports file, line, byte column, redacted match and a stable fingerprint", function()
    local tok = "ghp_" .. rnd(AN, 36)
    local text = "a\nbb\n  é = '" .. tok .. "'\n"
    local found = assert(sc:scan(text, { file = "src/x.py" }))
    assert.equals(1, #found)
    local f = found[1]
    assert.equals("github-token", f.rule)
    assert.equals("high", f.severity)
    assert.equals("src/x.py", f.file)
    assert.equals(3, f.line)
    assert.equals(9, f.col)  -- "  é = '" is 8 bytes
    assert.equals(text:find(tok, 1, true), f.secret_start)
    assert.equals(tok, text:sub(f.secret_start, f.secret_stop))
    assert.equals(tok:sub(1, 4) .. "********", f.redacted)
    assert.matches("^%x+$", f.fingerprint)
    assert.equals(16, #f.fingerprint)
    assert.equals(f.fingerprint, sc:scan("zzz" .. text, { file = "src/x.py" })[1].fingerprint)
    assert.not_equals(f.fingerprint, sc:scan(text, { file = "src/y.py" })[1].fingerprint)
  end)

  it("merges overlapping findings (openai v1 and v2 on one sk-proj- key)", function()
    local key = "sk-proj-" .. rnd(AN, 60) .. "T3Blbk" .. "FJ" .. rnd(AN, 30)
    local found = assert(sc:scan(key))
    assert.equals(1, #found)
    assert.equals(1, found[1].secret_start)
    assert.equals(#key, found[1].secret_stop)
  end)
end)

describe("victor.secrets.mask", function()
  local tok = "ghp_" .. rnd(AN, 36)
  local pw = rnd(AN, 14)
  local text = "token: " .. tok .. "\npassword = '" .. pw .. "'\nplain text\n"
  it("replaces the secrets with [REDACTED:rule]", function()
    local out, n = secrets.mask(text)
    assert.equals("token: [REDACTED:github-token]\npassword = '[REDACTED:generic-password]'\nplain text\n", out)
    assert.equals(2, n)
  end)
  it("or with a mask character per byte", function()
    assert.equals("token: " .. ("#"):rep(40) .. "\npassword = '" .. ("#"):rep(14) .. "'\nplain text\n",
      secrets.mask(text, { style = "char", char = "#" }))
  end)
  it("refuses bad options", function()
    assert.has_error(function() secrets.mask(text, { style = "x" }) end,
      "bad argument #2 to 'mask' (style must be 'rule' or 'char')")
    assert.has_error(function() secrets.mask(1) end, "bad argument #1 to 'mask' (string expected, got number)")
  end)

  it("streams: chunked redaction == one-shot for random chunkings", function()
    local parts = {}
    for i = 1, 40 do
      parts[#parts + 1] = rnd(LO .. " \n", r(200))
      local c = CASES[({ "github-token", "private-key", "database-url", "generic-password", "jwt" })[i % 5 + 1]]
      parts[#parts + 1] = " " .. c[1][1] .. " "
    end
    local big = table.concat(parts)
    local want = secrets.mask(big)
    for _, maxc in ipairs({ 1, 7, 64, 1000, 5000 }) do
      local rd = sc:redactor()
      local out = {}
      for _, piece in ipairs(chunks(r, big, maxc)) do out[#out + 1] = rd:feed(piece) end
      out[#out + 1] = rd:finish()
      assert.equals(want, table.concat(out), "max chunk " .. maxc)
    end
  end)
end)

describe("victor.secrets.compile", function()
  local function pack(rs) return { name = "t", version = "1", rules = rs } end

  it("names the rule and offset of an invalid regex", function()
    local s, msg, code = secrets.compile(pack({ { id = "bad-re", kind = "secret", regex = "ab(c" } }), { base = false })
    assert.is_nil(s)
    assert.equals("rule 'bad-re': offset 4: missing closing parenthesis", msg)
    assert.equals("EPARSE", code)
  end)

  it("bounds a catastrophic regex with ELIMIT for that rule; the scan goes on", function()
    local s = assert(secrets.compile(pack({
      { id = "cat", kind = "secret", regex = "(a+)+$", keywords = { "aaa" }, limits = { match = 10000 } },
      { id = "tok", kind = "secret", regex = "tok_[0-9]{4}" },
    }), { base = false }))
    local found, limited = s:scan(("a"):rep(40) .. "b tok_1234")
    assert.equals(1, #found)
    assert.equals("tok", found[1].rule)
    assert.same({ { rule = "cat", offset = 1, code = "ELIMIT" } }, limited)
  end)

  it("refuses a million keywords with ELIMIT", function()
    local kws = {}
    for i = 1, 1000000 do kws[i] = "k" .. i end
    local s, msg, code = secrets.compile(pack({ { id = "many", kind = "secret", regex = "x", keywords = kws } }),
      { base = false })
    assert.is_nil(s)
    assert.equals("1000000 keywords (at most 100000)", msg)
    assert.equals("ELIMIT", code)
  end)

  it("derives keywords from the regex, or runs a rule without any over the whole input", function()
    local s = assert(secrets.compile(pack({
      { id = "lit", kind = "secret", regex = [[(?i)\bmytok_[0-9]{4}]] },
      { id = "none", kind = "secret", regex = [[[0-9]{3}-[0-9]{3}]] },
    }), { base = false }))
    local info = s:info()
    assert.same({ "mytok_" }, info.rule_keywords.lit)
    assert.same({}, info.rule_keywords.none)
    assert.equals(1, info.whole)
    assert.same({ "lit", "none" }, { s:scan("MYTOK_1234 555-123")[1].rule, s:scan("MYTOK_1234 555-123")[2].rule })
  end)

  it("lets user packs override and add rules by id", function()
    local s = assert(secrets.compile(pack({
      { id = "generic-password", kind = "secret", enabled = false },
      { id = "acme-token", kind = "secret", regex = [[\b(acme_[a-z0-9]{12})\b]], secret_group = 1 },
    })))
    local found = s:scan("password = '" .. rnd(AN, 14) .. "' acme_" .. rnd(LO .. DG, 12))
    assert.same({ ["acme-token"] = 1 }, rules_of(found))
  end)

  it("applies allow regexes, stopwords and paths", function()
    local s = assert(secrets.compile(pack({
      { id = "t", kind = "secret", regex = [[tk_([a-z]{6})]], secret_group = 1,
        allow = { regexes = { "^zz" }, stopwords = { "BAD" }, paths = { [[\.md$]] } } },
    }), { base = false }))
    assert.equals(1, #s:scan("tk_abcdef"))
    assert.equals(0, #s:scan("tk_zzabcd"))
    assert.equals(0, #s:scan("tk_abadcd"))
    assert.equals(0, #s:scan("tk_abcdef", { file = "README.md" }))
  end)

  it("raises on misuse", function()
    assert.has_error(function() secrets.compile(1) end,
      "bad argument #1 to 'compile' (table, string or nil expected, got number)")
    assert.has_error(function() sc:scan("x", { bogus = 1 }) end, "bad argument #3 to 'scan' (unknown option 'bogus')")
  end)
end)

describe("Scanner:scan_files", function()
  local dir = os.tmpname()
  os.remove(dir)
  os.execute("mkdir -p " .. dir)
  local paths = {}
  for i = 1, 12 do
    local p = dir .. "/f" .. i .. ".txt"
    local f = assert(io.open(p, "wb"))
    f:write(("line\n"):rep(i), "k = ghp_", rnd(AN, 36), "\n", i % 3 == 0 and ("pw = '" .. rnd(AN, 12) .. "'") or "")
    f:close()
    paths[i] = p
  end
  paths[#paths + 1] = dir .. "/missing.txt"
  after_each(function() end)
  teardown(function() os.execute("rm -rf " .. dir) end)

  it("gives the same results, in path order, for 1 and 2 jobs; reports unreadable and large files", function()
    local a = assert(sc:scan_files(paths, { jobs = 1 }))
    local b = assert(sc:scan_files(paths, { jobs = 2 }))
    assert.same(a, b)
    assert.equals(#paths, #a)
    for i = 1, 12 do
      assert.equals(paths[i], a[i].path)
      assert.equals(i + 1, a[i].findings[1].line)
      assert.equals(paths[i], a[i].findings[1].file)
    end
    assert.equals("EIO", a[13].error)
    local c = assert(sc:scan_files({ paths[1] }, { max_file_size = 10 }))
    assert.equals("ELIMIT", c[1].error)
    -- same findings as scanning the text
    local f = assert(io.open(paths[3], "rb"))
    local text = f:read("*a")
    f:close()
    assert.same(strip(sc:scan(text, { file = paths[3] })), strip(a[3].findings))
  end)
end)

describe("windowed scan == naive scan", function()
  it("on random text with planted secrets", function()
    for round = 1, 20 do
      local parts = {}
      for _ = 1, 30 do
        parts[#parts + 1] = rnd(AN .. " \n=:'\"_-", r(300))
        local ids = {}
        for id in pairs(CASES) do ids[#ids + 1] = id end
        table.sort(ids)
        local c = CASES[ids[r(#ids) + 1]]
        parts[#parts + 1] = c[r(2) + 1][1]
      end
      local text = table.concat(parts)
      assert.same(strip(sc:scan(text, { file = "r" })), strip(sc:scan(text, { file = "r", naive = true })),
        "round " .. round)
    end
  end)

  -- what every match begins with (core/secrets_lead.h): {regex, keywords, want} with want nil
  -- (not proven: the rule's whole window) or {max, single}
  local GL_KW = { "access", "api", "auth", "key", "credential", "creds", "passwd", "password", "secret", "token" }
  local LEADS = {
    { [[(?i)[\w.-]{0,50}?(?:access|auth|(?-i:[Aa]pi|API)|credential|creds|key|passw(?:or)?d|secret|token)]]
      .. [[(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([\w.=-]{10,150})]],
      GL_KW, { 50, true, true } },
    { [[(?:ghu|ghs)_[0-9a-zA-Z]{36}]], { "ghu_", "ghs_" }, { 0, false, true } },
    -- jwt: "ey" inside its capture group, then an alphanumeric
    { [[\b(ey[a-zA-Z0-9]{17,}\.ey[a-zA-Z0-9\/\\_-]{17,})]], { "ey" }, { 0, false, true } },
    { [[SK[0-9a-fA-F]{32}]], { "sk" }, { 0, false, true } },      -- "sk", then a hex digit
    { [[(?i)[\w.-]{0,5}KEY=(\w+)]], { "key" }, { 5, true, true } },
    { [[[a-z]{0,5}x?key]], { "key" }, { 6, false, false } },          -- two classes in the lead do not shift
    { [[[\w.-]{0,50}?(?i:[\w.-]{0,50}?(?:cohere|CO_API_KEY)[ \t]{0,3})=]], { "cohere", "co_api_key" },
      { 100, true, true } },                                          -- one class, twice, through a plain group
    { [[(?:[a-z]{0,3}(?:[0-9]{0,2}))key]], { "key" }, { 5, false, false } },
    { [[\b[\w]{0,5}key]], { "key" }, { 5, false, false } },           -- an assertion in the lead
    { [[[\w.-]{0,50}+key]], { "key" }, { 50, false, false } },         -- possessive
    { [[.{0,4}key]], { "key" }, { 4, false, false } },                 -- a class with non-ASCII bytes
    { [[\x41{0,3}(?:key|tok)(?=x)]], { "key", "tok" }, { 3, false, false } }, -- 'A' alone: wider once folded
    { [[[a-z_.]{0,5}key]], { "key" }, { 5, false, false } },            -- [a-z] without (?i) is not [A-Za-z]
    { [[[^a-z]{0,3}key]], { "key" }, { 3, false, false } },             -- negated: complemented, then folded
    { [[[\w]{0,5}(?:[A-Za-z_]{0,2})key]], { "key" }, { 7, false, false } },
    { [=[(?:key|tok(?:en)?)\s{0,2}[=:]]=], { "key", "tok" }, { 0, false, true } },   -- a tail: [=:] must follow
    { [=[(?:key|tok(?:en)?)\s*[=:]]=], { "key", "tok" }, { 0, false, false } },      -- unbounded before it
    { [[[a-z]*key]], { "key" }, nil },                          -- unbounded lead
    { [[a|[0-9]{0,3}key]], { "key" }, nil },                    -- a top-level alternative without it
    { [[(?:key|other)=x]], { "key" }, nil },                    -- an alternative without a keyword
    { [[(?x) key]], { "key" }, nil },                           -- extended syntax: not read
    { [[\Qkey\E]], { "key" }, nil },
    { [[[a-z]{0,3}(key)\1]], { "key" }, nil },                  -- a backreference while still exact
    { [[\Gkey]], { "key" }, nil },
    { [=[[[:alpha:]]{0,3}key]=], { "key" }, nil },                -- POSIX classes: not read
    { [[(?#(x)key]], { "key" }, nil },                          -- comments: not read
    { [[\N{U+0041}?key]], { "key" }, nil },
  }

  it("proves what every match begins with, or leaves the rule its window", function()
    for i, c in ipairs(LEADS) do
      local s = assert(secrets.compile({ name = "t", version = "1", rules = {
        { id = "r", kind = "secret", regex = c[1], keywords = c[2], limits = { window = 128 } } } }, { base = false }))
      local got = s:info().rule_leads.r
      local want = c[3] and { max = c[3][1], single = c[3][2], tail = c[3][3] } or nil
      assert.same(want, got, "case " .. i .. ": " .. c[1])
    end
  end)

  it("on random rules with a lead before their keywords (gitleaks' generic shape)", function()
    local KW = { "key", "tok", "pw" }
    local LEADS_RE = { "[\\w.-]{0,%d}?", "[\\w.-]{0,%d}", "[\\w.-]{0,%d}+", "\\b[a-z_]{0,%d}", "[a-z]{0,%d}[.-]?",
      "(?i)[A-Z_]{1,%d}", "(?i:[\\w.-]{0,%d}?)", "[a-z_.]{0,%d}(?:[a-z_.]{0,3}?)", "[a-z]{0,%d}(?:[a-z_]{0,2})" }
    local TAILS = { "(?:key|tok|p[Ww])", "(?:(?i:KEY)|tok(?:en)?|pw)", "(?i)(?:key|tok)" }
    local found = 0
    for round = 1, 60 do
      local rs = {}
      for k = 1, 3 do
        local lead = LEADS_RE[r(#LEADS_RE) + 1]:format(r(12) + 1)
        rs[k] = { id = "g" .. k, kind = "secret", keywords = KW, limits = { window = 16 },
          regex = lead .. TAILS[r(#TAILS) + 1] .. "[ \\t\\w.-]{0,4}[\\s'\"]{0,2}(?:=|:)['\"]{0,1}([\\w.=-]{3,12})" }
      end
      local s = assert(secrets.compile({ name = "t", version = "1", rules = rs }, { base = false }))
      local parts = {}
      for _ = 1, 150 do  -- identifier runs around keywords, assignments, noise
        local w = KW[r(#KW) + 1]
        parts[#parts + 1] = rnd("ab._-", r(9)) .. (r(2) == 0 and w:upper() or w) .. rnd("ab_", r(3))
          .. ({ " = ", "=", ":", " : '", "" })[r(5) + 1] .. rnd("abc09._-", r(14) + 1)
          .. rnd(" \n'\"", 1) .. rnd("ab_.-= :'\"\n09KEY", r(6))
      end
      local text = table.concat(parts)
      local got = strip(s:scan(text, { file = "r" }))
      assert.same(got, strip(s:scan(text, { file = "r", naive = true })),
        "round " .. round .. ": " .. rs[1].regex .. " | " .. rs[2].regex .. " | " .. rs[3].regex)
      found = found + #got
    end
    assert.is_true(found > 1000, found .. " findings in all")
  end)

  it("the pair filter and the Aho-Corasick keyword method give the same findings and lines", function()
    local ac = assert(secrets.compile(nil, { use_ac = true }))
    assert.equals("aho-corasick", ac:info().prefilter)
    assert.equals("pairs", sc:info().prefilter)
    local ids = {}
    for id in pairs(CASES) do ids[#ids + 1] = id end
    table.sort(ids)
    for round = 1, 10 do
      local parts = {}
      for _ = 1, 60 do
        parts[#parts + 1] = rnd(LO .. "\n  =_", r(2000))
        parts[#parts + 1] = CASES[ids[r(#ids) + 1]][1][1]
      end
      local text = table.concat(parts)
      local want = strip(sc:scan(text))
      assert.same(want, strip(ac:scan(text)), "round " .. round)
      for _, f in ipairs(sc:scan(text)) do
        local before = text:sub(1, f.secret_start - 1)
        local _, nls = before:gsub("\n", "")
        assert.equals(nls + 1, f.line)
        assert.equals(#before - (before:match(".*()\n") or 0) + 0, f.col - 1 + 0)
      end
    end
  end)
end)
