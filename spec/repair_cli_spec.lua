-- repair_cli_spec.lua: `victor-lua repair` (lua/victor/cmd/repair.lua).
local proc = require "support.proc"
local vl = proc.vl

describe("victor-lua repair", function()
  it("repairs stdin or a file, streaming, with a final newline", function()
    local out, err, st = vl({ "repair" }, "Here:\n```json\n{'a': 1, b: [True,],}\n```\nThanks")
    assert.same({ '{"a": 1, "b": [true]}\n', "", 0 }, { out, err, st })
    local path = proc.tmpfile('{"a": [1, 2')
    out, err, st = vl({ "repair", path })
    os.remove(path)
    assert.same({ '{"a": [1, 2]}\n', "", 0 }, { out, err, st })
    out = vl({ "repair", "-" }, '{"valid": true}\n')
    assert.equal('{"valid": true}\n', out)
  end)

  it("equals victor.json_repair.repair on input larger than one chunk", function()
    local json_repair = require "victor.json_repair"
    local parts = {}
    for i = 1, 20000 do parts[i] = "{'k" .. i .. "': [None, 'v', " .. i .. ",],}" end
    local input = "[" .. table.concat(parts, "\n") .. "\n"
    local out, err, st = vl({ "repair" }, input)
    assert.equal("", err)
    assert.equal(0, st)
    assert.equal(json_repair.repair(input) .. "\n", out)
  end)

  it("applies --compact, --ensure-ascii, --ndjson and --max-depth", function()
    assert.equal('{"a":[1,2]}\n', (vl({ "repair", "--compact" }, "{ 'a' : [ 1 , 2 , ] }")))
    assert.equal('["\\u00e9"]\n', (vl({ "repair", "--ensure-ascii" }, '["\195\169"]')))
    assert.equal('[{"a":1},{"b":2},3]\n', (vl({ "repair", "--ndjson" }, '{"a":1}\n{"b":2}\n3\n')))
    local out, err, st = vl({ "repair", "--max-depth", "2" }, "[[[1]]]")
    assert.same({ "", "victor-lua: repair: nesting deeper than max_depth 2 at byte 3 (ELIMIT)\n", 1 }, { out, err, st })
  end)

  it("extracts every embedded value, one per line", function()
    local out, err, st = vl({ "repair", "--extract" }, "Use {'a': 1} and then [1, 2,] and {\"b\": {\"c\": tr")
    assert.same({ '{"a":1}\n[1,2]\n{"b":{"c":"tr"}}\n', "", 0 }, { out, err, st })
    out, err, st = vl({ "repair", "--extract" }, "no json here")
    assert.same({ "", "", 1 }, { out, err, st })
  end)

  it("exits 1 when no value can be recovered", function()
    local out, err, st = vl({ "repair" }, "just prose")
    assert.same({ "", "victor-lua: repair: no JSON value found at byte 1 (EPARSE)\n", 1 }, { out, err, st })
  end)

  it("rejects bad usage with exit status 2", function()
    proc.usage_errors({
      { { "repair", "--max-depth", "0" }, "victor-lua: repair: --max-depth must be a positive integer, got '0'" },
      { { "repair", "--extract", "--ndjson" }, "victor-lua: repair: --extract and --ndjson exclude each other" },
      { { "repair", "/nonexistent/file" }, "victor-lua: repair: /nonexistent/file" },
      { { "repair", "--bogus" }, "" },
    })
  end)
end)
