-- graph_spec.lua: victor.graph on both backends (core/graph.h): known answers,
-- native == fallback on random graphs, thread-count invariance, exact errors.
-- The networkx figures were computed with networkx 3.6 (_pagerank_python, tol 1e-15;
-- betweenness_centrality); the others by hand (see each case).
local native = require "victor.native"
local graph = require "victor.graph"
local proc = require "support.proc"

local backends = require "support.backends"("graph")

local abs = math.abs

local function close_to(want, got, eps, what)
  assert(abs(want - got) <= eps, string.format("%s: want %.17g, got %.17g", what or "", want, got))
end

-- a seeded random edge list over n nodes (MINSTD)
local function random_edges(seed, n, m, weighted)
  local s = seed
  local function r(k)
    s = s * 48271 % 2147483647
    return s % k
  end
  local e = {}
  for i = 1, m do
    -- a skewed target (power-law-ish) and a uniform source
    local dst = r(n)
    if r(2) == 0 then dst = r(r(n) + 1) end
    e[i] = { r(n) + 1, dst + 1, weighted and (r(8) + 0.5) or nil }
  end
  return e
end

local function sum(t)
  local s = 0
  for _, v in ipairs(t) do s = s + v end
  return s
end

describe("victor.graph", function()
  it("reports the backend victor.native chose", function()
    assert.equal(native.backends().graph, graph.backend)
    if os.getenv("VICTOR_NO_NATIVE") == "1" then assert.equal("fallback", graph.backend) end
  end)

  for _, b in ipairs(backends) do
    local G = b.mod
    describe(b.name .. " backend", function()
      it("computes PageRank with dangling mass redistributed (networkx's answer)", function()
        local g = assert(G.from_edges({ { "a", "b" }, { "b", "c" }, { "c", "a" }, { "c", "d" } }))
        local s, it, res = g:pagerank { tol = 1e-14, max_iter = 1000 }
        close_to(0.21376215407628998, s.a, 1e-12, "a")
        close_to(0.264622288706058, s.b, 1e-12, "b")
        close_to(0.3078534031413619, s.c, 1e-12, "c")
        close_to(0.21376215407628998, s.d, 1e-12, "d")
        assert.is_true(it > 10 and res < 1e-14)
        close_to(1, s.a + s.b + s.c + s.d, 1e-12, "sum")
      end)

      it("has hand-computed answers: cycle, single node, a dangling node", function()
        local s = G.from_edges({ { 1, 2 }, { 2, 3 }, { 3, 1 } }, { n = 3 }):pagerank { tol = 1e-15 }
        for i = 1, 3 do close_to(1 / 3, s[i], 1e-14) end
        s = G.from_edges({}, { nodes = { "only" } }):pagerank()
        assert.equal(1, s.only)
        -- a -> b: x_a = (1-d)/2 + d x_b / 2, x_a + x_b = 1  =>  x_a = 0.5 / 1.425
        s = G.from_edges({ { "a", "b" } }):pagerank { tol = 1e-15, max_iter = 1000 }
        close_to(0.5 / 1.425, s.a, 1e-12, "a")
        close_to(1 - 0.5 / 1.425, s.b, 1e-12, "b")
      end)

      it("personalises the teleport and the dangling distribution", function()
        -- a <-> b, p = {a = 1}: x_a = 0.15 + 0.85 x_b, x_b = 0.85 x_a
        local g = G.from_edges({ { "a", "b" }, { "b", "a" } })
        local s = g:pagerank { personalization = { a = 1 }, tol = 1e-15, max_iter = 1000 }
        close_to(0.15 / 0.2775, s.a, 1e-12, "a")
        close_to(0.85 * 0.15 / 0.2775, s.b, 1e-12, "b")
        -- a -> b, b dangling, its mass all to a: symmetric, 0.5 each
        s = G.from_edges({ { "a", "b" } }):pagerank { dangling = { a = 1 }, tol = 1e-15, max_iter = 1000 }
        close_to(0.5, s.a, 1e-12)
        close_to(0.5, s.b, 1e-12)
        -- personalization zeros: a node with p = 0 and no in-edges gets 0
        s = G.from_edges({ { "x", "y" }, { "y", "x" }, { "z", "x" } })
          :pagerank { personalization = { x = 1, y = 1 } }
        assert.equal(0, s.z)
        local ok, msg, code = g:pagerank { personalization = { a = 0 } }
        assert.is_nil(ok)
        assert.equal("personalization vector sums to 0", msg)
        assert.equal("EINVAL", code)
      end)

      it("uses edge weights (hand-computed) and ignores them on request", function()
        -- a -> b (3), a -> c (1), b -> a, c -> a: x_a = 0.135 / 0.2775
        local g = G.from_edges({ { "a", "b", 3 }, { "a", "c", 1 }, { "b", "a" }, { "c", "a" } })
        assert.is_true(g:info().weighted)
        local s = g:pagerank { tol = 1e-15, max_iter = 1000 }
        local xa = 0.135 / 0.2775
        close_to(xa, s.a, 1e-12, "a")
        close_to(0.05 + 0.6375 * xa, s.b, 1e-12, "b")
        close_to(0.05 + 0.2125 * xa, s.c, 1e-12, "c")
        s = g:pagerank { weights = false, tol = 1e-15, max_iter = 1000 }
        close_to(s.b, s.c, 1e-15)
        -- a duplicate edge counts as a weight of 2
        local d = G.from_edges({ { "a", "b" }, { "a", "b" }, { "a", "c" }, { "b", "a" }, { "c", "a" } })
        local w = G.from_edges({ { "a", "b", 2 }, { "a", "c", 1 }, { "b", "a", 1 }, { "c", "a", 1 } })
        local sd, sw = d:pagerank { tol = 1e-15 }, w:pagerank { tol = 1e-15 }
        for _, k in ipairs({ "a", "b", "c" }) do close_to(sw[k], sd[k], 1e-14, k) end
      end)

      it("sums to 1 and reports iterations and the L1 residual", function()
        for seed = 1, 6 do
          local g = G.from_edges(random_edges(seed, 200, 600, seed % 2 == 0), { n = 200, directed = seed % 3 ~= 0 })
          local s, it, res = g:pagerank()
          close_to(1, sum(s), 1e-9, "sum")
          assert.is_true(res < 1e-6 and it >= 1 and it <= 100)
          local _, it2, res2 = g:pagerank { max_iter = 2 }
          assert.equal(2, it2)
          assert.is_true(res2 >= 1e-6)
        end
      end)

      it("solves the same PageRank by Gauss-Seidel sweeps, in fewer of them", function()
        local sweeps, steps = 0, 0
        for seed = 1, 6 do
          local g = G.from_edges(random_edges(seed, 500, 2000, seed % 2 == 0), { n = 500, directed = seed % 3 ~= 0 })
          local p = seed > 3 and { [1] = 2, [9] = 1 } or nil
          local sp, ip = g:pagerank { tol = 1e-13, max_iter = 1000, personalization = p }
          local sg, ig, rg = g:pagerank { tol = 1e-13, max_iter = 1000, personalization = p, method = "gauss_seidel" }
          assert.is_true(rg < 1e-13)
          -- seed 1 mixes slowly: both need ~140; the others: GS about half
          assert.is_true(ig <= ip + 1, string.format("gauss-seidel %d sweeps, power %d steps", ig, ip))
          sweeps, steps = sweeps + ig, steps + ip
          for v = 1, 500 do close_to(sp[v], sg[v], 1e-11, "node " .. v) end
          close_to(1, sum(sg), 1e-12, "sum")
        end
        assert.is_true(sweeps < 0.75 * steps, string.format("%d sweeps, %d steps", sweeps, steps))
        local g = G.from_edges({ { "a", "b" }, { "b", "c" }, { "c", "a" }, { "c", "d" } })
        local s = g:pagerank { tol = 1e-15, max_iter = 1000, method = "gauss_seidel" }
        close_to(0.21376215407628998, s.a, 1e-12, "a")
        close_to(0.3078534031413619, s.c, 1e-12, "c")
        local _, it = g:pagerank { max_iter = 3, method = "gauss_seidel", tol = 0 }
        assert.equal(3, it)
      end)

      it("finds weak and strong components (numbered by first node)", function()
        local g = G.from_edges({ { "a", "b" }, { "b", "a" }, { "b", "c" }, { "d", "e" }, { "e", "d" }, { "f", "f" } },
          { nodes = { "a", "b", "c", "d", "e", "f", "g" } })
        local groups, comp = g:components()
        assert.same({ { "a", "b", "c" }, { "d", "e" }, { "f" }, { "g" } }, groups)
        assert.same({ a = 1, b = 1, c = 1, d = 2, e = 2, f = 3, g = 4 }, comp)
        groups = g:components { strong = true }
        assert.same({ { "a", "b" }, { "c" }, { "d", "e" }, { "f" }, { "g" } }, groups)
        -- undirected: strong = weak
        local u = G.from_edges({ { 1, 2 }, { 3, 4 } }, { n = 5, directed = false })
        local _, c1 = u:components { strong = true }
        assert.same({ 1, 1, 2, 2, 3 }, c1)
      end)

      it("handles a million-node chain without recursion", function()
        local n = 1000000
        local ok, ffi = pcall(require, "ffi")
        assert(ok)
        local src, dst = ffi.new("int32_t[?]", n), ffi.new("int32_t[?]", n)
        for i = 0, n - 1 do
          src[i], dst[i] = i, (i + 1) % n  -- one big cycle: Tarjan's deepest case
        end
        local g = assert(G.from_arrays(n, src, dst, { m = n - 1 }))  -- a chain: 0 -> 1 -> ... -> n-1
        local groups = g:components { strong = true }
        assert.equal(n, #groups)
        g = assert(G.from_arrays(n, src, dst, { m = n }))
        groups = g:components { strong = true }
        assert.equal(1, #groups)
        assert.equal(n, #groups[1])
        groups = g:components()
        assert.equal(1, #groups)
      end)

      it("gives degrees (a duplicate edge counts twice)", function()
        local g = G.from_edges({ { "a", "b" }, { "a", "b" }, { "b", "c" } })
        local i, o = g:degree()
        assert.same({ a = 0, b = 2, c = 1 }, i)
        assert.same({ a = 2, b = 1, c = 0 }, o)
        local u = G.from_edges({ { "a", "b" }, { "b", "c" }, { "c", "c" } }, { directed = false })
        i, o = u:degree()
        assert.same({ a = 1, b = 2, c = 2 }, i)
        assert.same(i, o)
      end)

      it("computes betweenness of a path, a star and networkx's 4-node graph", function()
        local p = G.from_edges({ { "a", "b" }, { "b", "c" } }, { directed = false })
        assert.same({ a = 0, b = 1, c = 0 }, p:betweenness())
        assert.same({ a = 0, b = 1, c = 0 }, p:betweenness { normalized = false })
        local dp = G.from_edges({ { "a", "b" }, { "b", "c" } })
        assert.same({ a = 0, b = 0.5, c = 0 }, dp:betweenness())
        local star = G.from_edges({ { 1, 2 }, { 1, 3 }, { 1, 4 }, { 1, 5 } }, { n = 5, directed = false })
        assert.same({ 1, 0, 0, 0, 0 }, star:betweenness())
        assert.same({ 6, 0, 0, 0, 0 }, star:betweenness { normalized = false })
        local g = G.from_edges({ { 0, 1 }, { 1, 2 }, { 2, 0 }, { 2, 3 } })
        local bc = g:betweenness()
        close_to(1 / 6, bc[0], 1e-15)
        close_to(1 / 3, bc[1], 1e-15)
        close_to(0.5, bc[2], 1e-15)
        assert.equal(0, bc[3])
        -- sampling every source is the exact answer; a sample is seeded
        local r = G.from_edges(random_edges(3, 60, 200), { n = 60 })
        assert.same(r:betweenness(), r:betweenness { sample = 60 })
        assert.same(r:betweenness { sample = 10, seed = 5 }, r:betweenness { sample = 10, seed = 5 })
      end)

      it("finds shortest paths, BFS or Dijkstra", function()
        local g = G.from_edges({ { "a", "b", 1 }, { "b", "d", 1 }, { "a", "c", 0.5 }, { "c", "e", 0.5 },
          { "e", "d", 0.5 } })
        local path, dist = g:shortest_path("a", "d")
        assert.same({ "a", "c", "e", "d" }, path)
        assert.equal(1.5, dist)
        path, dist = g:shortest_path("a", "d", { weights = false })
        assert.same({ "a", "b", "d" }, path)
        assert.equal(2, dist)
        assert.is_nil(g:shortest_path("d", "a"))
        assert.same({ "a" }, (g:shortest_path("a", "a")))
        local u = G.from_edges({ { 1, 2 }, { 2, 3 } }, { n = 3, directed = false })
        assert.same({ 3, 2, 1 }, (u:shortest_path(3, 1)))
      end)

      it("ranks the top n with ties by node order", function()
        local g = G.from_edges({ { "a", "b" }, { "c", "d" } })
        local ids, vals = g:top({ a = 0.1, b = 0.4, c = 0.4, d = 0.1 }, 3)
        assert.same({ "b", "c", "a" }, ids)
        assert.same({ 0.4, 0.4, 0.1 }, vals)
        assert.same({}, (g:top({ a = 1 }, 0)))
        assert.equal(4, #g:top({}, 10))
      end)

      it("reads edge lists (a b [w], # comments)", function()
        local g = assert(G.parse("# deps\nmain util\nmain io 2\n\n  util io # trailing\n"))
        local info = g:info()
        assert.equal(3, info.nodes)
        assert.equal(3, info.edges)
        assert.is_true(info.weighted)
        local p = os.tmpname()
        local f = assert(io.open(p, "wb"))
        f:write("a b\nb c\n")
        f:close()
        g = assert(G.from_file(p))
        os.remove(p)
        assert.same({ "a", "b", "c" }, (g:shortest_path("a", "c")))
        local ok, msg, code = G.parse("a b\nlonely\n")
        assert.is_nil(ok)
        assert.equal("input:2: expected 'a b [weight]'", msg)
        assert.equal("EPARSE", code)
        ok, msg, code = G.parse("a b -1\n", nil, "deps.txt")
        assert.is_nil(ok)
        assert.equal("deps.txt:1: weight -1 is negative", msg)
        assert.equal("EINVAL", code)
        _, msg, code = G.parse("a b x\n")
        assert.equal("input:1: bad weight 'x'", msg)
        assert.equal("EPARSE", code)
        ok, _, code = G.from_file("/nonexistent/graph.txt")
        assert.is_nil(ok)
        assert.equal("EIO", code)
      end)

      it("returns nil, msg, code for bad data", function()
        local function bad(want_msg, want_code, ...)
          local ok, msg, code = ...
          assert.is_nil(ok)
          assert.equal(want_msg, msg)
          assert.equal(want_code, code)
        end
        bad("edge 2: node id 5 out of range 1..3", "EINVAL", G.from_edges({ { 1, 2 }, { 2, 5 } }, { n = 3 }))
        bad("edge 1: node id 0 out of range 1..3", "EINVAL", G.from_edges({ { 0, 2 } }, { n = 3 }))
        bad("edge 1: weight -1 is negative", "EINVAL", G.from_edges({ { "a", "b", -1 } }))
        bad("edge 2: weight is NaN", "EINVAL", G.from_edges({ { "a", "b", 1 }, { "a", "b", 0 / 0 } }))
        bad("edge 1: weight inf is not finite", "EINVAL", G.from_edges({ { "a", "b", math.huge } }))
        bad("a graph of 3 nodes and 2 edges is over max_bytes 10", "ELIMIT",
          G.from_edges({ { 1, 2 }, { 2, 3 } }, { n = 3, max_bytes = 10 }))
        bad("edge 2: node id out of range 0..2 or bad weight", "EINVAL", G.from_arrays(3, { 0, 1 }, { 1, 3 }))
        -- the empty graph is no error: no scores
        local e = assert(G.from_edges({}))
        local s, it = e:pagerank()
        assert.same({}, s)
        assert.equal(0, it)
        assert.same({}, (e:components()))
      end)

      it("raises the standard argument errors on misuse", function()
        local g = G.from_edges({ { "a", "b" } })
        local function raises(want, f, ...)
          local ok, err = pcall(f, ...)
          assert.is_false(ok)
          assert.equal(want, err:gsub("^[^:]*:%d+: ", ""))
        end
        raises("bad argument #1 to 'from_edges' (table expected, got nil)", G.from_edges)
        raises("bad argument #1 to 'from_edges' (edge 1 needs two node ids)", G.from_edges, { { "a" } })
        raises("bad argument #2 to 'from_edges' (unknown option 'wat')", G.from_edges, {}, { wat = 1 })
        raises("bad argument #1 to 'pagerank' (damping must be in (0, 1))", g.pagerank, g, { damping = 1 })
        raises("bad argument #1 to 'pagerank' (damping must be in (0, 1))", g.pagerank, g, { damping = 0 })
        raises("bad argument #1 to 'pagerank' (damping must be in (0, 1))", g.pagerank, g, { damping = 0 / 0 })
        raises("bad argument #1 to 'pagerank' (method must be 'power' or 'gauss_seidel')", g.pagerank, g,
          { method = "jacobi" })
        raises("bad argument #1 to 'pagerank' (tol must be >= 0)", g.pagerank, g, { tol = -1 })
        raises("bad argument #1 to 'pagerank' (max_iter must be a non-negative integer)", g.pagerank, g,
          { max_iter = 1.5 })
        raises("bad argument #1 to 'pagerank' (personalization: unknown node 'zz')", g.pagerank, g,
          { personalization = { zz = 1 } })
        raises("bad argument #1 to 'pagerank' (personalization: values must be finite and >= 0)", g.pagerank, g,
          { personalization = { a = -1 } })
        raises("bad argument #2 to 'shortest_path' (unknown node 'q')", g.shortest_path, g, "a", "q")
        raises("calling 'pagerank' on bad self (Graph expected, got table)", g.pagerank, {})
        g:close()
        g:close()
        raises("Graph is closed", g.pagerank, g)
      end)

      it("equals the other backend on random graphs (within 1e-12)", function()
        if #backends < 2 then return end
        local other = backends[b.name == "native" and 2 or 1].mod
        for seed = 1, 8 do
          local e = random_edges(seed * 7, 3000, 12000, seed % 2 == 0)
          local opts = { n = 3000, directed = seed % 4 ~= 1 }
          local g1, g2 = G.from_edges(e, opts), other.from_edges(e, opts)
          local s1, i1, r1 = g1:pagerank { tol = 1e-10 }
          local s2, i2, r2 = g2:pagerank { tol = 1e-10 }
          assert.equal(i1, i2)
          close_to(r1, r2, 1e-12)
          for v = 1, 3000 do close_to(s1[v], s2[v], 1e-12) end
          local p = { [1] = 1, [7] = 3, [30] = 0.5 }
          s1 = g1:pagerank { personalization = p, dangling = { [2] = 1 } }
          s2 = g2:pagerank { personalization = p, dangling = { [2] = 1 } }
          for v = 1, 3000 do close_to(s1[v], s2[v], 1e-12) end
          s1, i1 = g1:pagerank { tol = 1e-10, method = "gauss_seidel" }
          s2, i2 = g2:pagerank { tol = 1e-10, method = "gauss_seidel" }
          assert.equal(i1, i2)
          for v = 1, 3000 do close_to(s1[v], s2[v], 1e-12) end
          for _, strong in ipairs({ false, true }) do
            local _, c1 = g1:components { strong = strong }
            local _, c2 = g2:components { strong = strong }
            assert.same(c1, c2)
          end
          local so = { n = 300, directed = opts.directed }
          local sm = G.from_edges(random_edges(seed, 300, 900), so)
          local sm2 = other.from_edges(random_edges(seed, 300, 900), so)
          local b1, b2 = sm:betweenness(), sm2:betweenness()
          for v = 1, 300 do close_to(b1[v], b2[v], 1e-12) end
          assert.same({ sm:shortest_path(1, 300) }, { sm2:shortest_path(1, 300) })
        end
      end)

      if b.name == "native" then
        it("gives bit-identical PageRank for every thread count", function()
          local e = random_edges(99, 20000, 100000, true)
          local g = G.from_edges(e, { n = 20000 })
          local s1 = g:pagerank { threads = 1 }
          for _, t in ipairs({ 2, 3, 4 }) do
            local st = g:pagerank { threads = t }
            for v = 1, 20000 do
              if st[v] ~= s1[v] then error(string.format("threads %d: node %d differs", t, v)) end
            end
          end
        end)

        it("gives the same bits under OMP_NUM_THREADS=1 and 2 (subprocess)", function()
          -- a stock luajit cannot load the sanitizer build's victor.so
          if os.getenv("VL_SAN") or os.getenv("VL_VALGRIND") then return end
          local script = proc.tmpfile([[
            local G = require "victor.graph"
            local s = 1
            local e = {}
            for i = 1, 60000 do
              s = s * 48271 % 2147483647
              local a = s % 15000 + 1
              s = s * 48271 % 2147483647
              e[i] = { a, s % (a % 97 + 1) + 1 }
            end
            local sc = G.from_edges(e, { n = 15000 }):pagerank()
            local out = {}
            for v = 1, 15000 do out[v] = string.format("%a", sc[v]) end
            io.write(G.backend, " ", table.concat(out, ","))
          ]])
          local env = "LUA_PATH='./lua/?.lua;./" .. proc.build .. "/gen/lua/?.lua;;' LUA_CPATH='./" .. proc.build ..
            "/lib/?.so;;'"
          -- (this also checks that the process exits cleanly with idle OpenMP workers:
          -- victor.so is linked -z nodelete so that lua_close cannot unload libgomp)
          local o1, e1, st1 = proc.run("env OMP_NUM_THREADS=1 " .. env .. " luajit " .. script)
          local o2, e2, st2 = proc.run("env OMP_NUM_THREADS=2 " .. env .. " luajit " .. script)
          os.remove(script)
          assert.equal(0, st1, e1)
          assert.equal(0, st2, e2)
          assert.truthy(o1:find("^native "), o1:sub(1, 200))
          assert.is_true(#o1 > 15000 and o1 == o2, "the outputs of 1 and 2 threads differ")
        end)
      end
    end)
  end
end)
