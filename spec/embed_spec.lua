-- embed_spec.lua: the embedding API from C (spec/c/test_runtime.c) and the example
-- host program examples/embed/embed_host.c.
local proc = require "support.proc"
local q = proc.q

local host = proc.target(proc.build .. "/examples/embed-host")  -- qemu-aarch64 under make test-arm64
local job = "--path " .. q("examples/embed/?.lua") .. " "

local tmpfile = proc.tmpfile

local call = '{"name":"read_file","arguments":{"path":"/a"}}\n'

describe("embedding API", function()
  it("passes the C-level checks (allocation failure at every point, limits, errors)", function()
    if os.getenv("VL_VALGRIND") then pending("too slow under valgrind") return end
    local out, err, st = proc.run(proc.target(proc.build .. "/tests/test_runtime"))
    assert.equal(0, st, out .. err)
    assert.truthy(out:find("\n(%d+) passed, 0 failed\n$"), out)
  end)

  describe("example host", function()
    it("streams stdin lines through a Lua function and reports loops", function()
      local out, err, st = proc.run(host .. " " .. job .. "loopjob line", call:rep(3) .. '{"name":"ls"}\n')
      assert.equal(0, st, err)
      local lines = {}
      for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
      assert.equal(4, #lines)
      assert.truthy(lines[1]:find("^%x+ read_file$"))
      assert.equal(lines[1] .. " LOOP repeat-any x3", lines[3])
      assert.truthy(lines[4]:find("^%x+ ls$"))
    end)

    it("prints bad input as an error line and goes on", function()
      local out, _, st = proc.run(host .. " " .. job .. "loopjob line", "nope\n" .. call)
      assert.equal(0, st)
      assert.truthy(out:find("^error: not a tool call: "), out)
      assert.truthy(out:find("\n%x+ read_file\n$"), out)
    end)

    it("merges a user rule pack over the defaults by id", function()
      local pack = tmpfile([[return { name = "strict", version = "1", rules = {
        { id = "repeat-any", kind = "loop", threshold = 2 } } }]])
      local out, err, st = proc.run(host .. " --rules " .. q(pack) .. " " .. job .. "loopjob line", call:rep(2))
      os.remove(pack)
      assert.equal(0, st, err)
      assert.truthy(out:find(" LOOP repeat%-any x2\n$"), out)
    end)

    it("refuses an invalid or hostile pack with file, rule and field", function()
      local pack = tmpfile([[return { name = "bad", version = "1", rules = {
        { id = "repeat-any", kind = "loop", window = 1 } } }]])
      local out, err, st = proc.run(host .. " --rules " .. q(pack) .. " " .. job .. "loopjob line", call)
      assert.equal(2, st)
      assert.equal("", out)
      assert.truthy(err:find(pack .. ": rule 'repeat-any' (#1): field 'window': ", 1, true), err)
      assert.truthy(err:find("[ESCHEMA]", 1, true), err)
      local evil = tmpfile('os.execute("touch /tmp/victor-pwned") return {}')
      out, err, st = proc.run(host .. " --rules " .. q(evil) .. " " .. job .. "loopjob line", call)
      os.remove(pack)
      os.remove(evil)
      assert.equal("", out)
      assert.equal(2, st)
      assert.truthy(err:find("[ESANDBOX]", 1, true), err)
    end)

    it("sandboxes the job when asked", function()
      local out, _, st = proc.run(host .. " --sandbox --path " .. q("spec/data/embed/?.lua") ..
        " probe line", "x\n")
      assert.equal(0, st)
      assert.equal("io=nil os.execute=nil ffi=false\n", out)
      out = proc.run(host .. " --path " .. q("spec/data/embed/?.lua") .. " probe line", "x\n")
      assert.equal("io=table os.execute=function ffi=true\n", out)
    end)

    it("stops with status 2 when the job raises", function()
      local _, err, st = proc.run(host .. " --path " .. q("spec/data/embed/?.lua") .. " probe raise", "x\n")
      assert.equal(2, st)
      assert.truthy(err:find("^embed%-host: [^\n]*probe%.lua:%d+: job failed on x\nstack traceback:"), err)
    end)

    it("survives a memory limit without crashing", function()
      local out, err, st = proc.run(host .. " --memory 8000000 --path " .. q("spec/data/embed/?.lua") ..
        " probe bomb", "x\n")
      assert.equal(2, st)
      assert.equal("", out)
      assert.equal("embed-host: out of memory\n", err)
    end)
  end)
end)
