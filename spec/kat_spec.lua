-- kat_spec.lua: the C known-answer tests of the pure-C kernels (spec/c/test_kat.c), the
-- program `make test-windows` also runs under wine64 as build/windows/test_kat.exe.
local proc = require "support.proc"

describe("pure-C kernels (C API)", function()
  it("pass their known-answer tests", function()
    local out, err, st = proc.run(proc.target(proc.build .. "/tests/test_kat"))
    assert.equal(0, st, out .. err)
    assert.truthy(out:find("\ntest_kat: (%d+) passed, 0 failed\n$"), out)
  end)
end)
