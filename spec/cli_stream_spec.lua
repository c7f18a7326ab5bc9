-- cli_stream_spec.lua: `victor-lua filter` and `victor-lua loops` (lua/victor/cmd/).
local proc = require "support.proc"
local vl, q = proc.vl, proc.q
local stream_filter = require "victor.stream_filter"
local thinking = require "victor.thinking"

local tmpfile = proc.tmpfile

local slurp = proc.read_file

describe("victor-lua filter", function()
  local text = "Intro <think>plan A\nplan B</think>Answer: 42. <THINKING>shout</THINKING> <reasoning>r" ..
    "</reasoning>tail <|begin_of_thought|>t<|end_of_thought|> x <think>never closed"

  it("removes the thinking blocks of the rule set's tags, as strip_thinking does", function()
    local want, want_th = stream_filter.strip_thinking(text, { tags = thinking.tags() })
    local th = os.tmpname()
    local out, err, st = vl({ "filter", "--thinking-to", th }, text)
    assert.equal(0, st, err)
    assert.equal("", err)
    assert.equal(want, out)
    assert.equal(want_th, slurp(th))
    assert.equal("Intro Answer: 42. <THINKING>shout</THINKING> tail  x ", out)
    out = vl({ "filter", "--case-insensitive" }, text)
    assert.equal("Intro Answer: 42.  tail  x ", out)
    os.remove(th)
  end)

  it("reads a file argument and flushes a held partial tag at the end", function()
    local path = tmpfile("a <think>b</think> c <thi")
    local out, _, st = vl({ "filter", path })
    assert.equal(0, st)
    assert.equal("a  c <thi", out)
    os.remove(path)
  end)

  it("takes extra tag pairs from --rules packs", function()
    local pack = tmpfile([[
return { name = "mine", version = "1", rules = {
  { id = "tag-scratch", kind = "thinking_tag", open = "<scratch>", close = "</scratch>" },
} }
]])
    local out, err, st = vl({ "filter", "--rules", pack }, "a<scratch>x</scratch>b<think>y</think>c")
    assert.equal(0, st, err)
    assert.equal("abc", out)
    os.remove(pack)
  end)

  it("stops with exit status 1 once the thinking passes --max-thinking", function()
    local out, err, st = vl({ "filter", "--max-thinking", "5" }, "x<think>123456789</think>y")
    assert.equal(1, st)
    assert.equal("victor-lua: filter: thinking passed 5 bytes at input byte 14: stopped\n", err)
    assert.equal("x", out:sub(1, 1))
  end)

  it("writes each decided byte before the input ends", function()
    -- the writer sends a text and a partial tag, then waits 5 s before the rest; the
    -- decided bytes must come out while it waits
    local cmd = "( printf 'hello <thi'; sleep 5; printf 'nk>x</think>!' ) | " .. proc.run_bin .. " filter | " ..
      "{ t0=$(date +%s); head -c 6; echo; echo $(( $(date +%s) - t0 )); cat >/dev/null; }"
    local out = proc.run("sh -c " .. q(cmd))
    local got, secs = out:match("^(.-)\n(%d+)\n$")
    assert.equal("hello ", got)
    assert.truthy(tonumber(secs) < 4, "the first bytes waited for the end of the input: " .. out)
  end)

  it("rejects bad usage with exit status 2", function()
    local cases = {
      { { "filter", "--max-thinking", "x" },
        "victor-lua: filter: --max-thinking must be a non-negative integer, got 'x'\n" },
      { { "filter", "/nonexistent/in" }, "victor-lua: filter: /nonexistent/in: No such file or directory\n" },
      { { "filter", "--thinking-to", "/nonexistent/dir/t" },
        "victor-lua: filter: /nonexistent/dir/t: No such file or directory\n" },
      { { "filter", "--bogus" }, "victor-lua: filter: unknown option '--bogus'\n" },
    }
    proc.usage_errors(cases)
    local out, _, st = vl({ "filter", "--help" })
    assert.equal(0, st)
    assert.truthy(out:find("Usage: victor-lua filter", 1, true))
  end)
end)

describe("victor-lua loops", function()
  it("reports the loops thinking.scan finds, with line:column spans, exit 1", function()
    local text = "Start.\n" .. ("Let me check the config file again.\n"):rep(4) .. "Done.\n"
    local reports = thinking.scan(text)
    assert.truthy(#reports > 0)
    local out, err, st = vl({ "loops" }, text)
    assert.equal(1, st, err)
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equal(#reports, #lines)
    assert.equal('2:1-3:36: stall, count 2, phrase "let me"\n' ..
      '2:1-5:36: exact_repeat, count 4, period 36 bytes, phrase "Let me check the config file again."\n', out)
  end)

  it("streams: the reports over chunk boundaries are those of thinking.scan of the whole text", function()
    local parts, n, i = {}, 0, 0
    local function step()
      i = i + 1
      parts[#parts + 1] = ("Step %d: the parser reads token %d and moves on.\n"):format(i, i * 7)
      n = n + #parts[#parts]
    end
    local function loop()
      for _ = 1, 4 do
        parts[#parts + 1] = ("Let me look at the lexer state for item %d again.\n"):format(i)
        n = n + #parts[#parts]
      end
    end
    while n < 65536 - 120 do step() end
    loop()  -- across the first 64 KiB chunk end
    while n < 100000 do step() end
    loop()
    for _ = 1, 500 do step() end
    local text = table.concat(parts)
    local want = thinking.scan(text)
    assert.equal(4, #want)  -- a stall and an exact repeat for each loop
    assert.truthy(want[1].span[1] < 65536 and want[2].span[2] > 65536)
    local out, err, st = vl({ "loops" }, text)
    assert.equal(1, st, err)
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equal(#want, #lines)
    for k, r in ipairs(want) do
      local before = text:sub(1, r.span[1] - 1)
      local line = select(2, before:gsub("\n", "")) + 1
      local col = r.span[1] - (before:match(".*()\n") or 0)
      assert.truthy(lines[k]:find(("^%d:%d%%-"):format(line, col)), lines[k])
      assert.truthy(lines[k]:find(r.reason, 1, true), lines[k])
    end
  end)

  it("exits 0 on a transcript without loops, and looks inside thinking blocks with --thinking", function()
    local clean = "Step 1: read.\nStep 2: write.\nStep 3: test.\n"
    local out, _, st = vl({ "loops" }, clean)
    assert.equal(0, st)
    assert.equal("", out)
    local looped = "Answer <think>" .. ("I should verify the result once more.\n"):rep(5) .. "</think> ok"
    out, _, st = vl({ "loops", "--thinking" }, looped)
    assert.equal(1, st)
    assert.truthy(out:find("1:1%-5:%d+: exact_repeat, count 5, period 38 bytes"), out)
  end)

  it("rejects bad usage with exit status 2", function()
    local cases = {
      { { "loops", "--repeats", "1" }, "victor-lua: loops: --repeats must be an integer of at least 2, got '1'\n" },
      { { "loops", "/nonexistent/in" }, "victor-lua: loops: /nonexistent/in: No such file or directory\n" },
    }
    proc.usage_errors(cases)
  end)
end)

describe("the demo job's stream section", function()
  it("filters the bundled model stream in small deltas and finds its reasoning loops", function()
    local out, err, st = vl({ "examples/rules.lua" })
    assert.equal(0, st, err)
    assert.truthy(out:find("\nstream: examples/data/model_stream%.txt %(backend %a+%)\n"), out)
    assert.truthy(out:find("  deltas      156 (1-16 bytes), 2 thinking block(s), 8 tag pair(s) in the rules\n", 1,
      true), out)
    assert.truthy(out:find("  bytes       1293 in: 491 content, 766 thinking\n", 1, true), out)
    assert.truthy(out:find("  streamed    same as strip_thinking of the whole text: yes\n", 1, true), out)
    assert.truthy(out:find("  loop        circular_phrase, count 3, period 68 bytes: let me check\n", 1, true), out)
    assert.truthy(out:find("  loop        exact_repeat, count 4, period 68 bytes: Let me check the file again", 1,
      true), out)
    local _, err2, st2 = vl({ "examples/rules.lua", "--stream", "/nonexistent.txt" })
    assert.equal(2, st2)
    assert.truthy(err2:find("victor-lua: /nonexistent.txt: No such file or directory", 1, true), err2)
  end)
end)

describe("the demo job's prompts section", function()
  it("classifies the user prompts of the bundled transcript", function()
    local out, err, st = vl({ "examples/rules.lua" })
    assert.equal(0, st, err)
    assert.truthy(out:find("\nprompts: examples/data/transcript%.md %(backend %a+%)\n"), out)
    assert.truthy(out:find("  prompt 1    action 1.00, budget 15: The loader times out on slow disks. Please rais...\n",
      1, true), out)
  end)
end)

describe("the demo job's architecture section", function()
  it("ranks the bundled import graph by PageRank", function()
    local out, err, st = vl({ "examples/rules.lua" })
    assert.equal(0, st, err)
    assert.truthy(out:find("\narchitecture: examples/data/imports%.txt %(backend %a+%)\n"), out)
    assert.truthy(out:find("  graph       24 modules, PageRank in %d+ iterations, 0 import cycle%(s%)\n"), out)
    assert.truthy(out:find("  rank 1      0.1146  victor.native\n", 1, true), out)
    local _, err2, st2 = vl({ "examples/rules.lua", "--imports", "/nonexistent.txt" })
    assert.equal(2, st2)
    assert.truthy(err2:find("victor-lua: /nonexistent.txt", 1, true), err2)
  end)
end)

describe("the demo job's tool-call section", function()
  it("extracts and repairs the bundled almost-JSON tool calls, then signs them", function()
    local out, err, st = vl({ "examples/rules.lua" })
    assert.equal(0, st, err)
    assert.truthy(out:find("\ntool calls: examples/data/tool_calls%.txt %(backend %a+%)\n"), out)
    assert.truthy(out:find("  found       6 JSON value(s) in the text: 2 valid as written, 4 repaired (1 cut off, " ..
      "closed)\n", 1, true), out)
    assert.truthy(out:find("  calls       read_file, grep, run_tests, edit_file, list_dir, write_file\n", 1, true), out)
    assert.truthy(out:find("  signatures  6 distinct (one batch call)\n", 1, true), out)
  end)
end)

describe("the demo job's repo map section", function()
  it("indexes the bundled sample tree and prints its repo map", function()
    local out, err, st = vl({ "examples/rules.lua" })
    assert.equal(0, st, err)
    assert.truthy(out:find("\nrepo map: examples/data/sample_repo %(backend %a+%)\n"), out)
    assert.truthy(out:find("  indexed     13 files, 4022 bytes, 110 symbols, 0 skipped\n", 1, true), out)
    assert.truthy(out:find("  top file    app/models.py\n  app/models.py:\n  │ DEFAULT_CURRENCY = \"EUR\"\n", 1, true),
      out)
    assert.truthy(out:find("\n  app/service.py:\n  │ def build_inventory(path):\n  │ def report(path):\n", 1, true),
      out)
    local _, err2, st2 = vl({ "examples/rules.lua", "--repo", "/nonexistent/dir" })
    assert.equal(2, st2)
    assert.truthy(err2:find("victor-lua: cannot open '/nonexistent/dir'", 1, true), err2)
  end)
end)

describe("examples/tool_select.lua", function()
  it("ranks the tools for a request, alone and in the demo job", function()
    local out, err, st = vl({ "examples/tool_select.lua", "run", "the", "unit", "tests", "--top", "2" })
    assert.equal(0, st, err)
    assert.truthy(out:find("^query: run the unit tests\n  1  0%.%d+  run_tests "), out)
    assert.truthy(out:find("\n  2  0%.%d+  generate_tests "), out)
    out, err, st = vl({ "examples/rules.lua" })
    assert.equal(0, st, err)
    assert.truthy(out:find("\ntool selection: 50 tools, hashed n%-gram embeddings %(backend %a+%)\n"), out)
    assert.truthy(out:find("show me what changed since the last commit -> git_diff (", 1, true), out)
    assert.truthy(out:find("find where this function is defined        -> goto_definition (", 1, true), out)
  end)
end)

describe("victor-lua similar", function()
  it("ranks lines by hashed n-gram cosine to the query, best first", function()
    local text = "read a file from disk\n\nrun the unit tests\ncommit the changes to git\n"
    local out, err, st = vl({ "similar", "run the tests", "--top", "2" }, text)
    assert.equal(0, st, err)
    local first = out:match("^[^\n]*\n")
    assert.truthy(first and first:find("^0%.%d+\t3\trun the unit tests\n$"), out)
    local n = select(2, out:gsub("\n", ""))
    assert.equal(2, n)
    out = vl({ "similar", "run the tests", "--min-score", "0.99" }, text)
    assert.equal("", out)
  end)

  it("rejects bad usage with exit status 2", function()
    proc.usage_errors({
      { { "similar", "q", "--top", "x" }, "victor-lua: similar: --top must be a non-negative integer\n" },
      { { "similar", "q", "--dim", "0" }, "victor-lua: similar: --dim must be an integer 1..16777216\n" },
      { { "similar", "q", "/nonexistent/in" }, "victor-lua: similar: /nonexistent/in: No such file or directory\n" },
      { { "similar" }, "victor-lua: similar: missing argument 'query'\n" },
    })
  end)
end)

describe("victor-lua similar on long input", function()
  it("scores batch by batch and prints what one top_k over every line gives", function()
    local sim = require "victor.similarity"
    local words = { "parse", "token", "lexer", "file", "read", "write", "test", "commit", "branch", "merge" }
    local lines = {}
    for i = 1, 10000 do
      lines[i] = ("%s the %s of %s number %d"):format(words[i % 10 + 1], words[i * 3 % 10 + 1], words[i * 7 % 10 + 1],
        i % 13)
    end
    local query = "read the token of file"
    local idx, scores = sim.top_k(sim.hash_embed(query), sim.hash_embed(lines), 25, { normalized = true })
    local want = {}
    for i = 1, #idx do want[i] = ("%.4f\t%d\t%s\n"):format(scores[i], idx[i], lines[idx[i]]) end
    local out, err, st = vl({ "similar", query, "--top", "25" }, table.concat(lines, "\n") .. "\n")
    assert.equal(0, st, err)
    assert.equal(table.concat(want), out)
  end)
end)
