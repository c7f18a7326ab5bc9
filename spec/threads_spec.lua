-- threads_spec.lua: compiled objects shared read-only by 8 threads, each with its own
-- runtime (spec/c/test_threads.c; `make test-tsan` runs it under ThreadSanitizer).
local proc = require "support.proc"

describe("thread safety", function()
  it("8 threads with their own runtimes over a shared automaton, scanner, graph, index and queries", function()
    if os.getenv("VL_VALGRIND") then pending("too slow under valgrind") return end
    local out, err, st = proc.run(proc.target(proc.build .. "/tests/test_threads"))
    assert.equal(0, st, out .. err)
    assert.truthy(out:find("\n(%d+) passed, 0 failed\n$"), out)
  end)
end)
