-- cli_spec.lua: the victor-lua command line (core/main.c + lua/victor/cli.lua).
local proc = require "support.proc"
local vl, q = proc.vl, proc.q

local tmpfile = proc.tmpfile

describe("victor-lua CLI", function()
  it("prints versions with -v / --version and the version command", function()
    for _, a in ipairs({ "-v", "--version" }) do
      local out, err, st = vl({ a })
      assert.equal(0, st)
      assert.equal("", err)
      assert.truthy(out:find("^victor%-lua 0%.1%.0 %(LuaJIT 2%.1[^;]*; xxHash [^;]+; " ..
        "kernels: signature=%a+ dedup=%a+ stream_filter=%a+ graph=%a+ json_repair=%a+ similarity=%a+ " ..
        "walk=%a+ patterns=%a+ indexer=%a+ secrets=%a+%)\n$"), out)
    end
    local out, _, st = vl({ "version" })
    assert.equal(0, st)
    assert.truthy(out:find("^victor%-lua 0%.1%.0 "))
    out = vl({ "-v" }, nil, "VICTOR_NO_NATIVE=1")
    assert.truthy(out:find("kernels: signature=fallback", 1, true), out)
    assert.truthy(out:find("xxHash pure-Lua XXH3", 1, true), out)
  end)

  it("prints help with the commands", function()
    local out, _, st = vl({ "-h" })
    assert.equal(0, st)
    assert.truthy(out:find("usage: victor-lua [options] [script.lua | - [args...]]", 1, true))
    for _, c in ipairs({ "help", "version", "rules", "sig", "dedup" }) do
      assert.truthy(out:find("\n  " .. c .. " ", 1, true), c)
    end
    out, _, st = vl({ "help" })
    assert.equal(0, st)
    assert.truthy(out:find("commands:", 1, true))
    out, _, st = vl({ "help", "sig" })
    assert.equal(0, st)
    assert.truthy(out:find("Usage: victor-lua sig", 1, true))
  end)

  it("rejects bad usage with exit status 2", function()
    local _
    local out, err, st = vl({})
    assert.equal(2, st)
    assert.equal("", out)
    assert.truthy(err:find("usage: victor-lua", 1, true))
    _, err, st = vl({ "--bogus" })
    assert.equal(2, st)
    assert.truthy(err:find("victor-lua: unknown option --bogus", 1, true))
    _, err, st = vl({ "-e" })
    assert.equal(2, st)
    assert.truthy(err:find("victor-lua: -e needs a CODE argument", 1, true))
    _, err, st = vl({ "nosuchcommand" })
    assert.equal(2, st)
    assert.equal("victor-lua: unknown command 'nosuchcommand' (see 'victor-lua help')\n", err)
  end)

  it("runs -e code, -l modules and scripts with arg set as luajit does", function()
    local out, _, st = vl({ "-e", "print(1 + 1)" })
    assert.equal(0, st)
    assert.equal("2\n", out)
    out = vl({ "-l", "victor.signature", "-e", "print(type(victor))" })
    assert.equal("nil\n", out)   -- a dotted module name sets _G["victor.signature"]
    out = vl({ "-l", "cjson", "-e", "print(cjson.encode({1}))" })
    assert.equal("[1]\n", out)
    local script = tmpfile("print(arg[0] == ..., #arg, arg[1], arg[2], select('#', ...))\nreturn tonumber(arg[2])")
    local o2, _, st2 = vl({ script, "x", "7" })
    assert.equal(7, st2)
    assert.equal("false\t2\tx\t7\t2\n", o2)
    os.remove(script)
    out, _, st = vl({ "-", "a" }, "print(arg[1], arg[0])")
    assert.equal(0, st)
    assert.equal("a\t-\n", out)
    -- the words before the script get negative indices, as luajit does it
    out, _, st = vl({ "-e", "x = 1", "-" }, "print(arg[-3], arg[-2], arg[-1], arg[0], x)")
    assert.equal(0, st)
    assert.equal(proc.bin .. "\t-e\tx = 1\t-\t1\n", out)
  end)

  it("finds every kernel and the Lua modules with no paths set", function()
    local out, _, st = vl({ "-e", [[
      package.path = ""  -- nothing on disk: everything must be built in
      local n = require "victor.native"
      local s = require "victor.signature"
      print(n.is_available(), n.backends().signature, s.of("t", {}))
    ]] })
    assert.equal(0, st)
    assert.equal("true\tnative\t148daa02858cc950\n", out)
  end)

  it("reports script errors with a traceback and exit status 2", function()
    local script = tmpfile("local function f() error('boom') end\nf()\n")
    local out, err, st = vl({ script })
    os.remove(script)
    local _
    assert.equal(2, st)
    assert.equal("", out)
    assert.truthy(err:find("^victor%-lua: [^\n]*:1: boom\nstack traceback:\n"), err)
    _, err, st = vl({ "/nonexistent/x.lua" })
    assert.equal(2, st)
    assert.truthy(err:find("victor-lua: cannot open /nonexistent/x.lua", 1, true), err)
    _, err, st = vl({ "-e", "x = = 1" })
    assert.equal(2, st)
    assert.truthy(err:find("victor-lua: (command line):1: unexpected symbol near '='", 1, true), err)
  end)

  it("dispatches a command even where a directory of that name exists (rules/)", function()
    local out, err, st = vl({ "rules", "check", "rules/default.lua" })
    assert.equal(0, st, err)
    assert.equal("rules/default.lua: ok (2 rules)\n", out)
    out, err, st = vl({ "rules", "check", "rules/default.lua", "spec/data/rules/bad.lua" })
    assert.equal(1, st)
    assert.equal("rules/default.lua: ok (2 rules)\n", out)
    assert.equal("victor-lua: spec/data/rules/bad.lua: rule 'x' (#2): field 'window': expected integer in 2..1024, "
      .. "got 1\n", err)
  end)

  describe("sig", function()
    it("prints the signature of one call, 64 or 128 bits, or its canonical form", function()
      local out, _, st = vl({ "sig", "read_file", '{"path":"/test.py"}' })
      assert.equal(0, st)
      assert.equal("e0b351af9a73140e\n", out)
      out = vl({ "sig", "--bits", "128", "read_file", '{"path":"/test.py"}' })
      assert.equal("d07c7623fa45b330743887987fd9eb72\n", out)
      out = vl({ "sig", "--canonical", "t", '{"b":[1,null],"a":true}' })
      assert.equal("s1:t{s1:ats1:b[i1;n]}\n", out)
      out = vl({ "sig", "t" })
      assert.equal("148daa02858cc950\n", out)
      -- an empty table as the first table a fresh process signs (no key scratch yet)
      out = vl({ "sig", "t", "[]" })
      assert.equal("148daa02858cc950\n", out)
    end)

    it("rejects bad arguments with exit status 2", function()
      local _, err, st = vl({ "sig", "t", "{bad" })
      assert.equal(2, st)
      assert.truthy(err:find("victor-lua: sig: ARGS is not a JSON object", 1, true), err)
      _, err, st = vl({ "sig", "--bits", "32", "t" })
      assert.equal(2, st)
      assert.truthy(err:find("victor-lua: sig: argument for option '--bits' must be one of", 1, true), err)
      _, err, st = vl({ "sig" })
      assert.equal(2, st)
      assert.truthy(err:find("a tool NAME or --jsonl FILE is required", 1, true))
    end)

    it("detects loops in JSONL with the default rules and exits 1", function()
      local lines = {}
      for i = 1, 3 do lines[i] = '{"name":"read_file","arguments":{"path":"/a"}}' end
      local out, err, st = vl({ "sig", "--jsonl", "-" }, table.concat(lines, "\n") .. "\n")
      assert.equal(1, st)
      assert.equal("", err)
      assert.truthy(out:find("loop: line 3: rule 'repeat-any' (warn): cycle of 1 call(s) repeated 3 times", 1,
        true), out)
      out, err, st = vl({ "sig", "--jsonl", "-" }, '{"name":"a"}\n{"name":"b","arguments":"{\\"x\\":1}"}\n')
      assert.equal(0, st)
      assert.equal("", err)
      local sig = require "victor.signature"
      assert.equal(sig.of("a") .. "  a\n" .. sig.of("b", { x = 1 }) .. "  b\n", out)
      local _, err2, st2 = vl({ "sig", "--jsonl", "-" }, '{"name":"a"}\nnot json\n')
      assert.equal(2, st2)
      assert.truthy(err2:find("victor-lua: line 2: invalid JSON", 1, true), err2)
    end)
  end)

  describe("dedup", function()
    -- A log with repeats (deterministic), for line mode against awk.
    local function log_text(n)
      local t, x = {}, 7
      for i = 1, n do
        x = (x * 1103515245 + 12345) % 2147483648
        t[i] = ("%s level=%d msg=event-%d"):format(i % 3 == 0 and "WARN" or "INFO", x % 4, x % 97)
      end
      return table.concat(t, "\n") .. "\n"
    end

    it("line mode equals mawk '!seen[$0]++' on a generated file (streamed in chunks)", function()
      local text = log_text(30000) .. "last line without newline"
      assert.is_true(#text > 3 * 65536)  -- more than one 64 KiB chunk
      local path = tmpfile(text)
      local want, _, ast = proc.run("mawk '!seen[$0]++' " .. q(path))
      assert.equal(0, ast)
      local out, err, st = vl({ "dedup", "--lines", path })
      assert.equal(0, st, err)
      assert.equal("", err)
      assert.equal(want, out)
      local out2, err2, st2 = vl({ "dedup", "--lines", "--stats", "-" }, text)
      assert.equal(0, st2)
      assert.equal(want, out2)
      local removed = select(2, require("victor.dedup").dedup_lines(text)).removed
      assert.equal(("victor-lua: dedup: 30001 lines, %d removed, %d bytes in, %d bytes out\n"):format(removed, #text,
        #want), err2)
      os.remove(path)
    end)

    it("--null, --counts", function()
      local out, _, st = vl({ "dedup", "--null" }, "a\0b\0a\0c")
      assert.equal(0, st)
      assert.equal("a\0b\0c\0", out)
      out, _, st = vl({ "dedup", "--lines", "--counts" }, "x\ny\nx\nx\n")
      assert.equal(0, st)
      assert.equal("      3 x\n      1 y\n", out)
    end)

    it("block mode equals the one-shot dedup", function()
      local D = require "victor.dedup"
      local A = "A paragraph that is long enough to be a real block of text, repeated.\n"
      local parts = {}
      for i = 1, 3000 do
        parts[i] = (i % 4 == 0 and A) or (i % 7 == 0 and "```lua\nprint(1)\n```\n") or
          ("paragraph %d with some words, long enough to count as a block\n"):format(i % 500)
      end
      local text = table.concat(parts, "\n") .. "\n```\nunclosed fence\n"
      local want, wst = D.dedup(text)
      local path = tmpfile(text)
      local out, err, st = vl({ "dedup", "--stats", path })
      assert.equal(0, st, err)
      assert.equal(want, out)
      assert.equal(("victor-lua: dedup: %d blocks, %d removed, %d -> %d bytes\n"):format(wst.blocks, wst.removed,
        #text, #want), err)
      out = vl({ "dedup", "--min-block-length", "0" }, text)
      assert.equal(D.dedup(text, { min_block_length = 0 }), out)
      os.remove(path)
    end)

    it("--near T equals the one-shot dedup { near = T }", function()
      local D = require "victor.dedup"
      local words = {}
      for i = 1, 60 do words[i] = ("w%d"):format(i * 7919 % 1000) end
      local base = table.concat(words, " ")
      words[30] = "edited"
      local edited = table.concat(words, " ")
      local text = base .. "\n\nunrelated short block\n\n" .. edited .. "\n\n" .. base .. "\n"
      for _, t in ipairs({ 0, 3, 10, 64 }) do
        local want, wst = D.dedup(text, { near = t })
        local out, err, st = vl({ "dedup", "--stats", "--near", tostring(t) }, text)
        assert.equal(0, st, err)
        assert.equal(want, out)
        assert.equal(("victor-lua: dedup: %d blocks, %d removed (%d near), %d -> %d bytes\n"):format(wst.blocks,
          wst.removed, wst.near_removed, #text, #want), err)
      end
      -- the one-word edit of a 60-word paragraph is a near repeat at T = 10, not at T = 0
      assert.equal(base .. "\n\nunrelated short block\n", vl({ "dedup", "--near", "10" }, text))
      assert.equal(base .. "\n\nunrelated short block\n\n" .. edited .. "\n", vl({ "dedup", "--near", "0" }, text))
    end)

    it("prints help and rejects bad usage with exit status 2", function()
      local out, _, st = vl({ "dedup", "--help" })
      assert.equal(0, st)
      assert.truthy(out:find("Usage: victor-lua dedup", 1, true), out)
      assert.truthy(out:find("--lines", 1, true))
      out = vl({ "help", "dedup" })
      assert.truthy(out:find("Usage: victor-lua dedup", 1, true))
      local cases = {
        { { "dedup", "/nonexistent/file" }, "victor-lua: dedup: /nonexistent/file: No such file or directory\n" },
        { { "dedup", "--min-block-length", "x" },
          "victor-lua: dedup: --min-block-length must be a non-negative integer, got 'x'\n" },
        { { "dedup", "--lines", "--min-block-length", "3" },
          "victor-lua: dedup: --min-block-length applies to blocks, not --lines\n" },
        { { "dedup", "--counts" }, "victor-lua: dedup: --counts needs --lines\n" },
        { { "dedup", "--near", "65" }, "victor-lua: dedup: --near must be an integer from 0 to 64, got '65'\n" },
        { { "dedup", "--near", "x" }, "victor-lua: dedup: --near must be an integer from 0 to 64, got 'x'\n" },
        { { "dedup", "--lines", "--near", "3" }, "victor-lua: dedup: --near applies to blocks, not --lines\n" },
        { { "dedup", "--bogus" }, "victor-lua: dedup: unknown option '--bogus'\n" },
        { { "dedup", "a", "b" }, "victor-lua: dedup: too many arguments\n" },
      }
      proc.usage_errors(cases)
    end)
  end)

  it("runs the demo job on its bundled data", function()
    local out, err, st = vl({ "examples/rules.lua" })
    assert.equal(0, st, err)
    assert.truthy(out:find("victor-lua job: tool-call loop detection", 1, true))
    assert.truthy(out:find("rule 'repeat-any' (warn): read_file repeated 3 times in a row", 1, true), out)
    assert.truthy(out:find("cycle of 4 calls [edit_file -> run_tests -> edit_file -> run_tests] repeated 3 times",
      1, true), out)
    assert.truthy(out:find("rule 'read-churn' (warn): cycle of 2 calls [grep -> read_file] repeated 4 times", 1,
      true), out)
    assert.truthy(out:find("\ndedup: examples/data/transcript%.md %(backend %a+%)\n"), out)
    assert.truthy(out:find("  blocks      17, 4 removed as repeats\n", 1, true), out)
    assert.truthy(out:find("  bytes       1358 -> 955 (30% smaller)\n", 1, true), out)
    assert.truthy(out:find("  first       line 28 repeats line 6: **assistant:** I will read", 1, true), out)
    assert.truthy(out:find("  streamed    4 KiB chunks, same output as one-shot: yes\n", 1, true), out)
    assert.truthy(out:find("\nsummary: 36 call%(s%), 6 loop finding%(s%) %(4 distinct%), 2 reasoning loop%(s%)\n$"),
      out)
    local _, err3, st3 = vl({ "examples/rules.lua", "--transcript", "/nonexistent.md" })
    assert.equal(2, st3)
    assert.truthy(err3:find("victor-lua: /nonexistent.md: No such file or directory", 1, true), err3)
    local _, _, st2 = vl({ "examples/rules.lua", "--strict" })
    assert.equal(1, st2)
  end)

  it("loads the kernels as a Lua C module into a stock luajit", function()
    if os.getenv("VL_SAN") then pending("an ASan-built module needs an ASan host") return end
    local cmd = "LUA_CPATH=" .. q(proc.build .. "/lib/?.so;;") .. " luajit -e " ..
      q('local s = require "victor.core.signature"; print(s.of("t", {}), s.xxhash_version())')
    local out, err, st = proc.run(cmd)
    assert.equal(0, st, err)
    assert.truthy(out:find("^148daa02858cc950\t%d+%.%d+%.%d+\n$"), out)
  end)

  it("completes commands and options in bash (completion/victor-lua.bash)", function()
    if proc.exec then pending("VL_EXEC: the completion script runs the binary itself (no binfmt_misc here)") return end
    local function complete(words, cword)
      local script = "source completion/victor-lua.bash; COMP_WORDS=(" .. words .. "); COMP_CWORD=" .. cword
        .. "; _victor_lua; echo \"${COMPREPLY[*]}\""
      local out = proc.run("bash -c " .. proc.q(script))
      return out
    end
    local bin = proc.q(proc.bin)
    assert.equal("graph\n", complete(bin .. " gr", 1))
    assert.equal("--threads --tol --top\n", complete(bin .. " graph --t", 2))
    assert.truthy(complete(bin .. " dedup --", 2):find("--min-block-length", 1, true))
  end)

  it("prints JSON with --json (version, similar, rules kinds, loops)", function()
    local cjson = require "cjson"
    local v = cjson.decode((vl({ "version", "--json" })))
    assert.equal("0.1.0", v.victor_lua)
    assert.truthy((vl({ "version" })):find("graph=" .. v.kernels.graph .. " ", 1, true))
    local out, _, st = vl({ "similar", "read files", "--json" }, "read a file\ncommit to git\n\nlist files\n")
    assert.equal(0, st)
    local rows = cjson.decode(out)
    assert.equal(2, #rows)
    assert.same({ 1, "read a file" }, { rows[1].line, rows[1].text })
    assert.same({ 4, "list files" }, { rows[2].line, rows[2].text })
    assert.equal("[]\n", (vl({ "similar", "zebra", "--json", "--min-score", "0.5" }, "read a file\n")))
    local kinds = cjson.decode((vl({ "rules", "kinds", "--json" })))
    assert.equal("string", kinds.secret.fields.regex.type)
    assert.equal(3, kinds.loop.fields.threshold.default)
    out, _, st = vl({ "loops", "examples/data/model_stream.txt", "--json" })
    assert.equal(1, st)
    rows = cjson.decode(out)
    assert.equal("circular_phrase", rows[1].reason)
    assert.same({ line = 4, column = 1, byte = 186 }, rows[1].start)
  end)

  it("gives every command a --help with examples", function()
    for _, c in ipairs(require("victor.cli").COMMANDS) do
      local out, err, st = vl({ c, "--help" })
      assert.equal(0, st, c .. ": " .. err)
      assert.truthy(out:find("\nExamples:\n  [^\n]*victor%-lua"), c)
    end
  end)
end)
