-- graph_cli_spec.lua: `victor-lua graph` (lua/victor/cmd/graph.lua).
local proc = require "support.proc"
local vl, tmpfile = proc.vl, proc.tmpfile

local EDGES = "# a small import graph\nmain util\nmain io 2\nutil io\n\nio log\ncli main  # entry point\n"

describe("victor-lua graph", function()
  local file
  setup(function() file = tmpfile(EDGES) end)
  teardown(function() os.remove(file) end)

  it("ranks nodes by PageRank", function()
    local out, err, st = vl({ "graph", "pagerank", file, "--top", "3" })
    assert.equal(0, st)
    assert.equal("", err)
    assert.equal("1\t0.33236848\tlog\n2\t0.28925423\tio\n3\t0.160030083\tmain\n", out)
    -- all nodes, from stdin, with stats
    out, err, st = vl({ "graph", "pagerank", "--top", "0", "--stats" }, EDGES)
    assert.equal(0, st)
    local n = select(2, out:gsub("\n", ""))
    assert.equal(5, n)
    assert.truthy(err:find("victor-lua: graph: 5 nodes, 5 edges, directed, weighted, ", 1, true), err)
    assert.truthy(err:find("pagerank: %d+ iterations, residual "), err)
    -- same scores whatever the thread count
    local o1 = vl({ "graph", "pagerank", file, "--threads", "1", "--tol", "1e-12" })
    local o2 = vl({ "graph", "pagerank", file, "--threads", "2", "--tol", "1e-12" })
    assert.equal(o1, o2)
    -- --json: the same ranking as an array of {rank, node, score}
    local cjson = require "cjson"
    local j = cjson.decode((vl({ "graph", "pagerank", file, "--top", "2", "--json" })))
    assert.equal(2, #j)
    assert.same({ 1, "log" }, { j[1].rank, j[1].node })
    assert.is_true(math.abs(j[1].score - 0.33236848) < 1e-8)
    j = cjson.decode((vl({ "graph", "components", file, "--json", "--strong" })))
    assert.equal(#j, select(2, vl({ "graph", "components", file, "--strong" }):gsub("\n", "")))
    assert.equal(1, j[1].component)
    j = cjson.decode((vl({ "graph", "path", file, "cli", "log", "--json" })))
    assert.equal("cli", j.from)
    assert.equal("log", j.path[#j.path])
    -- the Gauss-Seidel solver reaches the same scores
    assert.equal(o1, (vl({ "graph", "pagerank", file, "--method", "gauss_seidel", "--tol", "1e-12" })))
    out, err, st = vl({ "graph", "pagerank", file, "--method", "jacobi" })
    assert.equal(2, st)
    assert.equal("", out)
    assert.truthy(err:find("--method must be power or gauss_seidel, got 'jacobi'", 1, true), err)
  end)

  it("prints components, betweenness and paths", function()
    local out, _, st = vl({ "graph", "components", file })
    assert.equal(0, st)
    assert.equal("1\t5\tmain util io log cli\n", out)
    out = vl({ "graph", "components", file, "--strong" })
    assert.equal("1\t1\tmain\n2\t1\tutil\n3\t1\tio\n4\t1\tlog\n5\t1\tcli\n", out)
    out, _, st = vl({ "graph", "betweenness", file, "--top", "2" })
    assert.equal(0, st)
    assert.equal("1\t0.25\tmain\n2\t0.25\tio\n", out)
    out, _, st = vl({ "graph", "path", file, "cli", "log", "--no-weights" })
    assert.equal(0, st)
    assert.equal("cli\nmain\nio\nlog\n# length 3\n", out)
    local err
    out, err, st = vl({ "graph", "path", file, "log", "cli" })
    assert.equal(1, st)
    assert.equal("", out)
    assert.equal("victor-lua: graph: no path from 'log' to 'cli'\n", err)
  end)

  it("reports usage and input errors with exit status 2", function()
    local cases = {
      { { "graph", "rank", file },
        "victor-lua: graph: unknown algorithm 'rank' (pagerank, betweenness, components, path)\n" },
      { { "graph", "pagerank", file, "--damping", "1" },
        "victor-lua: graph: --damping must be a number in (0, 1), got '1'\n" },
      { { "graph", "pagerank", file, "--top", "x" },
        "victor-lua: graph: --top must be a non-negative integer, got 'x'\n" },
      { { "graph", "path", file, "cli" }, "victor-lua: graph: path needs FILE A B\n" },
      { { "graph", "path", file, "cli", "nope" }, "victor-lua: graph: node 'nope' is not in the graph\n" },
      { { "graph", "pagerank", "/nonexistent/edges.txt" },
        "victor-lua: graph: /nonexistent/edges.txt: No such file or directory\n" },
    }
    for _, c in ipairs(cases) do
      local out, err, st = vl(c[1])
      assert.equal(2, st)
      assert.equal("", out)
      assert.equal(c[2], err)
    end
    local out, err, st = vl({ "graph", "pagerank" }, "a b\nlonely\n")
    assert.equal(2, st)
    assert.equal("", out)
    assert.equal("victor-lua: graph: stdin:2: expected 'a b [weight]' (EPARSE)\n", err)
    out, err, st = vl({ "graph", "pagerank" }, "a b -2\n")
    assert.equal(2, st)
    assert.equal("", out)
    assert.equal("victor-lua: graph: stdin:1: weight -2 is negative (EINVAL)\n", err)
    out, err, st = vl({ "graph", "--help" })
    assert.equal("", err)
    assert.equal(0, st)
    assert.truthy(out:find("Usage: victor-lua graph", 1, true))
  end)
end)
