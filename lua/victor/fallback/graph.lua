--- victor.fallback.graph: the graph kernel in Lua (the same interface as the C
--- module victor.core.graph, with node ids 0-based and arrays 1-based).
--
-- It follows core/graph.h step by step, in the same order (CSR lists in input
-- order, PageRank's global sums per block of BLOCK nodes added in block order), so
-- its results equal the C kernel's to the last bit or within a few ulps. Serial.
-- Betweenness sampling uses SplitMix64 through LuaJIT's 64-bit integers.
local M = {}

local floor, abs, huge = math.floor, math.abs, math.huge
local type, setmetatable, tonumber = type, setmetatable, tonumber
local sbyte = string.byte

M.BLOCK = 2048
local BLOCK = M.BLOCK
local MAX_NODES = 2147483647

local Graph = {}
Graph.__index = Graph

local STATUS = {
  EINVAL = "invalid argument", ELIMIT = "limit exceeded", ENOMEM = "out of memory",
}

local function fail(code, bad)
  return nil, STATUS[code], code, bad
end

-- Value k (0-based) of an id array: a table 1..m, or a string of int32 (little-endian).
local function id_at(a, k)
  if type(a) == "string" then
    local b0, b1, b2, b3 = sbyte(a, 4 * k + 1, 4 * k + 4)
    local v = b0 + b1 * 256 + b2 * 65536 + b3 * 16777216
    if v >= 2147483648 then v = v - 4294967296 end
    return v
  end
  local v = a[k + 1]
  if type(v) ~= "number" then error("bad argument to 'new' (array of numbers expected)", 3) end
  if not (v >= 0 and v <= MAX_NODES) or v ~= floor(v) then return -1 end
  return v
end

local function arr_len(a, width)
  if type(a) == "string" then return floor(#a / width) end
  if type(a) == "table" then return #a end
  error("bad argument to 'new' (table or string expected, got " .. type(a) .. ")", 3)
end

--- Bytes the C kernel would hold for such a graph (vl_graph_bytes).
function M.bytes(n, m, directed, weighted)
  local entries = directed and m or 2 * m
  return (n + 1) * 8 * (directed and 2 or 1) + entries * (directed and 8 or 4) + (weighted and entries * 8 or 0)
end

--- new(n, src, dst, w|nil, directed, max_bytes) -> Graph | nil, msg, code, bad_edge
function M.new(n, src, dst, w, directed, max_bytes)
  if type(n) ~= "number" or not (n >= 0 and n <= MAX_NODES) or n ~= floor(n) then
    error("bad argument #1 to 'new' (node count out of range)", 2)
  end
  local m = arr_len(src, 4)
  if arr_len(dst, 4) ~= m then error("bad argument #3 to 'new' (src and dst differ in length)", 2) end
  local s, d, wt = {}, {}, nil
  local loops = 0
  if w ~= nil then wt = {} end
  for k = 0, m - 1 do
    local a, b = id_at(src, k), id_at(dst, k)
    local x
    if w ~= nil then
      if type(w) == "string" then error("bad argument #4 to 'new' (table expected)", 2) end
      x = w[k + 1]
      if type(x) ~= "number" then error("bad argument #4 to 'new' (array of numbers expected)", 2) end
    end
    if a < 0 or a >= n or b < 0 or b >= n or (x and not (x >= 0 and x <= 1.7e308)) then
      return fail("EINVAL", k + 1)
    end
    if a == b then loops = loops + 1 end
    s[k], d[k] = a, b
    if wt then wt[k] = x end
  end
  if max_bytes and max_bytes > 0 and M.bytes(n, m, directed, w ~= nil) > max_bytes then
    return fail("ELIMIT", 0)
  end
  local g = setmetatable({ n = n, m = m, directed = directed and true or false, weighted = wt ~= nil }, Graph)
  -- counting sort, as vl_graph_new: off[v] = end of v's list, then filled backwards
  local out_off, in_off = {}, nil
  for v = 0, n do out_off[v] = 0 end
  if directed then
    in_off = {}
    for v = 0, n do in_off[v] = 0 end
  end
  for k = 0, m - 1 do
    local a, b = s[k], d[k]
    out_off[a] = out_off[a] + 1
    if directed then in_off[b] = in_off[b] + 1
    elseif a ~= b then out_off[b] = out_off[b] + 1 end
  end
  for v = 0, n - 1 do
    out_off[v + 1] = out_off[v + 1] + out_off[v]
    if directed then in_off[v + 1] = in_off[v + 1] + in_off[v] end
  end
  local out_adj, in_adj, in_w = {}, nil, nil
  if directed then in_adj = {} end
  if wt then in_w = {} end
  if directed then
    -- out-lists in input order, then in-lists sorted by source (as vl_graph_new)
    local out_w = wt and {} or nil
    for k = m - 1, 0, -1 do
      local p = out_off[s[k]] - 1
      out_off[s[k]] = p
      out_adj[p] = d[k]
      if wt then out_w[p] = wt[k] end
    end
    for u = n - 1, 0, -1 do
      for k = out_off[u + 1] - 1, out_off[u], -1 do
        local v = out_adj[k]
        local p = in_off[v] - 1
        in_off[v] = p
        in_adj[p] = u
        if wt then in_w[p] = out_w[k] end
      end
    end
  else
    for k = m - 1, 0, -1 do
      local a, b = s[k], d[k]
      local p = out_off[a] - 1
      out_off[a] = p
      out_adj[p] = b
      if wt then in_w[p] = wt[k] end
      if a ~= b then
        p = out_off[b] - 1
        out_off[b] = p
        out_adj[p] = a
        if wt then in_w[p] = wt[k] end
      end
    end
  end
  g.out_off, g.out_adj = out_off, out_adj
  g.in_off, g.in_adj = in_off or out_off, in_adj or out_adj
  g.in_w = in_w
  g.entries = directed and m or 2 * m - loops
  g.size = (n + 1) * 8 * (directed and 2 or 1) + g.entries * (directed and 8 or 4) + (wt and g.entries * 8 or 0)
  return g
end

function Graph:close() self.closed = true end

function Graph:info()
  return { nodes = self.n, edges = self.m, directed = self.directed, weighted = self.weighted, bytes = self.size }
end

-- normalised copy (0-based) of a 1-based array, or nil when invalid
local function normalize(t, n)
  local s = 0
  for v = 1, n do
    local x = t[v]
    if type(x) ~= "number" then error("bad argument to 'pagerank' (array of numbers expected)", 3) end
    if not (x >= 0 and x <= 1.7e308) then return nil end
    s = s + x
  end
  if not (s > 0 and s <= 1.7e308) then return nil end
  local out = {}
  for v = 1, n do out[v - 1] = t[v] / s end
  return out
end

-- One node's new PageRank (core/graph.c's pull): the in-list in CSR order, then the
-- dangling share and the teleport.
local function pull(w, c, in_off, in_adj, in_w, weighted, d, dshare, qq, p, base, uni)
  local s = 0
  if weighted then
    for k = in_off[w], in_off[w + 1] - 1 do s = s + c[in_adj[k]] * in_w[k] end
  else
    for k = in_off[w], in_off[w + 1] - 1 do s = s + c[in_adj[k]] end
  end
  return d * s + dshare * (qq and qq[w] or uni) + (p and (1.0 - d) * p[w] or base)
end

-- Gauss-Seidel sweeps (core/graph.h): in place, node order, D from the start of a sweep
local function gauss_seidel(n, x, inv, in_off, in_adj, in_w, weighted, d, p, qq, max_iter, tol)
  local base, uni = (1.0 - d) / n, 1.0 / n
  local it, res, xo, c = 0, 0, {}, {}
  for v = 0, n - 1 do c[v] = x[v] * inv[v] end
  while it < max_iter do
    local dmass = 0
    for v = 0, n - 1 do
      if inv[v] == 0 then dmass = dmass + x[v] end
    end
    local dshare = d * dmass
    res = 0
    for w = 0, n - 1 do
      local nv = pull(w, c, in_off, in_adj, in_w, weighted, d, dshare, qq, p, base, uni)
      xo[w] = x[w]
      x[w] = nv
      c[w] = nv * inv[w]
    end
    local total = 0
    for v = 0, n - 1 do total = total + x[v] end
    for v = 0, n - 1 do
      x[v] = x[v] / total
      c[v] = x[v] * inv[v]
      res = res + abs(x[v] - xo[v])
    end
    it = it + 1
    if res < tol then break end
  end
  return it, res
end

--- pagerank(damping, tol, max_iter, weighted, pers, dangling, threads, gauss_seidel)
---   -> scores (1..n), iterations, residual
function Graph:pagerank(damping, tol, max_iter, weighted, pers, dang, _, gs)
  local n = self.n
  damping = damping or 0.85
  tol = tol or 1e-6
  max_iter = max_iter or 100
  weighted = weighted and self.weighted
  if not (damping > 0 and damping < 1) or tol ~= tol or tol < 0 or max_iter < 1 then return fail("EINVAL") end
  if n == 0 then return {}, 0, 0 end
  local p, q
  if pers then
    p = normalize(pers, n)
    if not p then return fail("EINVAL") end
  end
  if dang then
    q = normalize(dang, n)
    if not q then return fail("EINVAL") end
  end
  local out_off, in_off, in_adj, in_w = self.out_off, self.in_off, self.in_adj, self.in_w
  local inv, x, xn, contrib = {}, {}, {}, {}
  if not weighted then
    for v = 0, n - 1 do
      local deg = out_off[v + 1] - out_off[v]
      inv[v] = deg > 0 and 1.0 / deg or 0.0
    end
  else
    for v = 0, n - 1 do inv[v] = 0 end
    for v = 0, n - 1 do
      for k = in_off[v], in_off[v + 1] - 1 do
        local u = in_adj[k]
        inv[u] = inv[u] + in_w[k]
      end
    end
    for v = 0, n - 1 do inv[v] = inv[v] > 0 and 1.0 / inv[v] or 0.0 end
  end
  for v = 0, n - 1 do x[v] = 1.0 / n end
  local qq = q or p
  local d = damping
  local base = (1.0 - d) / n
  local uni = 1.0 / n
  local nb = floor((n + BLOCK - 1) / BLOCK)
  local it, res = 0, 0
  if gs then
    it, res = gauss_seidel(n, x, inv, in_off, in_adj, in_w, weighted, d, p, qq, max_iter, tol)
  end
  while not gs and it < max_iter do
    local dmass = 0
    for b = 0, nb - 1 do
      local lo = b * BLOCK
      local hi = lo + BLOCK > n and n or lo + BLOCK
      local s = 0
      for u = lo, hi - 1 do
        contrib[u] = x[u] * inv[u]
        if inv[u] == 0 then s = s + x[u] end
      end
      dmass = dmass + s
    end
    local dshare = d * dmass
    res = 0
    for b = 0, nb - 1 do
      local lo = b * BLOCK
      local hi = lo + BLOCK > n and n or lo + BLOCK
      local r = 0
      for w = lo, hi - 1 do
        local nv = pull(w, contrib, in_off, in_adj, in_w, weighted, d, dshare, qq, p, base, uni)
        r = r + abs(nv - x[w])
        xn[w] = nv
      end
      res = res + r
    end
    x, xn = xn, x
    it = it + 1
    if res < tol then break end
  end
  local total = 0
  for b = 0, nb - 1 do
    local lo = b * BLOCK
    local hi = lo + BLOCK > n and n or lo + BLOCK
    local s = 0
    for u = lo, hi - 1 do s = s + x[u] end
    total = total + s
  end
  local scores = {}
  for v = 0, n - 1 do scores[v + 1] = x[v] / total end
  return scores, it, res
end

local function find(parent, v)
  while parent[v] ~= v do
    local gp = parent[parent[v]]
    parent[v] = gp
    v = gp
  end
  return v
end

local function weak(self)
  local n, off, adj = self.n, self.out_off, self.out_adj
  local parent = {}
  for v = 0, n - 1 do parent[v] = v end
  for v = 0, n - 1 do
    for k = off[v], off[v + 1] - 1 do
      local a, b = find(parent, v), find(parent, adj[k])
      if a < b then parent[b] = a elseif b < a then parent[a] = b end
    end
  end
  local comp, nxt = {}, 0
  for v = 0, n - 1 do
    local r = find(parent, v)
    if r == v then
      comp[v + 1] = nxt + 1
      nxt = nxt + 1
    else
      comp[v + 1] = comp[r + 1]
    end
  end
  return comp, nxt
end

local function strong(self)
  local n, off, adj = self.n, self.out_off, self.out_adj
  local index, low, comp, stk, cs_node, cs_edge = {}, {}, {}, {}, {}, {}
  local counter, sp, ncomp = 0, 0, 0
  for v = 0, n - 1 do
    index[v] = -1
    comp[v] = -1
  end
  for s = 0, n - 1 do
    if index[s] == -1 then
      cs_node[0], cs_edge[0] = s, off[s]
      local csp = 1
      index[s], low[s] = counter, counter
      counter = counter + 1
      stk[sp] = s
      sp = sp + 1
      while csp > 0 do
        local u, k = cs_node[csp - 1], cs_edge[csp - 1]
        if k < off[u + 1] then
          local w = adj[k]
          cs_edge[csp - 1] = k + 1
          if index[w] == -1 then
            index[w], low[w] = counter, counter
            counter = counter + 1
            stk[sp] = w
            sp = sp + 1
            cs_node[csp], cs_edge[csp] = w, off[w]
            csp = csp + 1
          elseif comp[w] == -1 and index[w] < low[u] then
            low[u] = index[w]
          end
        else
          csp = csp - 1
          if low[u] == index[u] then
            local w
            repeat
              sp = sp - 1
              w = stk[sp]
              comp[w] = ncomp
            until w == u
            ncomp = ncomp + 1
          end
          if csp > 0 then
            local parent = cs_node[csp - 1]
            if low[u] < low[parent] then low[parent] = low[u] end
          end
        end
      end
    end
  end
  local map, nxt, out = {}, 0, {}
  for v = 0, n - 1 do
    local c = comp[v]
    if not map[c] then
      map[c] = nxt
      nxt = nxt + 1
    end
    out[v + 1] = map[c] + 1
  end
  return out, ncomp
end

--- components(strong) -> comp (1..n, 1-based ids), count
function Graph:components(want_strong)
  if self.n == 0 then return {}, 0 end
  if want_strong and self.directed then return strong(self) end
  return weak(self)
end

--- degree() -> in (1..n), out (1..n)
function Graph:degree()
  local i, o = {}, {}
  for v = 0, self.n - 1 do
    i[v + 1] = self.in_off[v + 1] - self.in_off[v]
    o[v + 1] = self.out_off[v + 1] - self.out_off[v]
  end
  return i, o
end

-- SplitMix64 on uint64_t cdata (wrapping arithmetic), as the C kernel's.
local ffi = require "ffi"
local bit = require "bit"
local bxor, rshift = bit.bxor, bit.rshift
local u64 = ffi.typeof("uint64_t")
local function k64(hi, lo) return u64(hi) * 4294967296 + lo end
local GAMMA, MIX1, MIX2 = k64(0x9E3779B9, 0x7F4A7C15), k64(0xBF58476D, 0x1CE4E5B9), k64(0x94D049BB, 0x133111EB)

local function splitmix64(state)
  state[1] = state[1] + GAMMA
  local z = state[1]
  z = bxor(z, rshift(z, 30)) * MIX1
  z = bxor(z, rshift(z, 27)) * MIX2
  return bxor(z, rshift(z, 31))
end

--- betweenness(normalized, samples, seed) -> bc (1..n)
function Graph:betweenness(normalized, samples, seed)
  local n = self.n
  local out_off, out_adj, in_off, in_adj = self.out_off, self.out_adj, self.in_off, self.in_adj
  local bc, sigma, delta, dist, order = {}, {}, {}, {}, {}
  samples = samples or 0
  local sampled = samples > 0 and samples < n
  for v = 0, n - 1 do
    bc[v], dist[v], sigma[v], delta[v] = 0, -1, 0, 0
  end
  local src, nsrc = nil, n
  if sampled then
    src = {}
    for v = 0, n - 1 do src[v] = v end
    local st = { u64(seed or 0) }
    for i = 0, samples - 1 do
      local j = i + tonumber(splitmix64(st) % (n - i))
      src[i], src[j] = src[j], src[i]
    end
    nsrc = samples
  end
  for i = 0, nsrc - 1 do
    local s = src and src[i] or i
    dist[s], sigma[s] = 0, 1
    order[0] = s
    local head, tail = 0, 1
    while head < tail do
      local u = order[head]
      head = head + 1
      local du = dist[u] + 1
      for k = out_off[u], out_off[u + 1] - 1 do
        local w = out_adj[k]
        if dist[w] < 0 then
          dist[w] = du
          order[tail] = w
          tail = tail + 1
        end
        if dist[w] == du then sigma[w] = sigma[w] + sigma[u] end
      end
    end
    for j = tail - 1, 1, -1 do
      local w = order[j]
      local c = (1.0 + delta[w]) / sigma[w]
      local dw = dist[w] - 1
      for k = in_off[w], in_off[w + 1] - 1 do
        local u = in_adj[k]
        if dist[u] == dw then delta[u] = delta[u] + sigma[u] * c end
      end
      bc[w] = bc[w] + delta[w]
    end
    for j = 0, tail - 1 do
      local w = order[j]
      dist[w], sigma[w], delta[w] = -1, 0, 0
    end
  end
  local scale = 1.0
  if normalized then
    if n > 2 then scale = 1.0 / ((n - 1) * (n - 2))
    else scale = self.directed and 1.0 or 0.5 end
  elseif not self.directed then
    scale = 0.5
  end
  if sampled then scale = scale * (n / samples) end
  local out = {}
  for v = 0, n - 1 do out[v + 1] = scale ~= 1.0 and bc[v] * scale or bc[v] end
  return out
end

-- Indexed binary heap on (key[v], v), as the C kernel's.
local function less(key, a, b)
  return key[a] < key[b] or (key[a] == key[b] and a < b)
end

--- shortest_path(a, b, weighted) (0-based) -> path (0-based), dist
function Graph:shortest_path(a, b, weighted)
  local n = self.n
  if not (a >= 0 and a < n and b >= 0 and b < n) then return fail("EINVAL") end
  local link = {}
  if not (weighted and self.weighted) then
    local off, adj = self.out_off, self.out_adj
    local queue, head, tail, found = { [0] = a }, 0, 1, a == b
    link[a] = a
    while head < tail and not found do
      local u = queue[head]
      head = head + 1
      for k = off[u], off[u + 1] - 1 do
        local w = adj[k]
        if link[w] == nil then
          link[w] = u
          if w == b then
            found = true
            break
          end
          queue[tail] = w
          tail = tail + 1
        end
      end
    end
    if not found then return {}, huge end
    local rev, l = {}, 0
    local v = b
    while v ~= a do
      l = l + 1
      rev[l] = v
      v = link[v]
    end
    l = l + 1
    rev[l] = a
    local path = {}
    for i = 1, l do path[i] = rev[l + 1 - i] end
    return path, l - 1
  end
  local off, adj, wt = self.in_off, self.in_adj, self.in_w
  local key, pos, h, size = {}, {}, {}, 0
  for v = 0, n - 1 do
    key[v] = huge
    pos[v] = -1
  end
  local function up(i)
    local v = h[i]
    while i > 0 do
      local p = floor((i - 1) / 2)
      if not less(key, v, h[p]) then break end
      h[i] = h[p]
      pos[h[i]] = i
      i = p
    end
    h[i] = v
    pos[v] = i
  end
  local function down(i)
    local v = h[i]
    while true do
      local c = 2 * i + 1
      if c >= size then break end
      if c + 1 < size and less(key, h[c + 1], h[c]) then c = c + 1 end
      if not less(key, h[c], v) then break end
      h[i] = h[c]
      pos[h[i]] = i
      i = c
    end
    h[i] = v
    pos[v] = i
  end
  key[b], link[b] = 0, b
  h[0], pos[b], size = b, 0, 1
  while size > 0 do
    local u = h[0]
    size = size - 1
    h[0] = h[size]
    pos[u] = -2
    if size > 0 then
      pos[h[0]] = 0
      down(0)
    end
    if u == a then break end
    for k = off[u], off[u + 1] - 1 do
      local x = adj[k]
      local nd = key[u] + wt[k]
      if pos[x] ~= -2 and nd < key[x] then
        key[x] = nd
        link[x] = u
        if pos[x] == -1 then
          h[size] = x
          pos[x] = size
          size = size + 1
        end
        up(pos[x])
      end
    end
  end
  if key[a] == huge then return {}, huge end
  local path, v = {}, a
  while v ~= b do
    path[#path + 1] = v
    v = link[v]
  end
  path[#path + 1] = b
  return path, key[a]
end

-- a ranks above b (1-based indices into s): higher score, then lower index; NaN last
local function ranks_above(s, a, b)
  local x, y = s[a], s[b]
  local na, nb = x ~= x, y ~= y
  if na ~= nb then return nb end
  if not na and x ~= y then return x > y end
  return a < b
end

--- top(scores (1..n), k) -> indices (1-based), best first
function M.top(scores, k)
  local n = #scores
  if k > n then k = n end
  local idx = {}
  for i = 1, n do idx[i] = i end
  table.sort(idx, function(a, b) return ranks_above(scores, a, b) end)
  local out = {}
  for i = 1, k do out[i] = idx[i] end
  return out
end

function M.max_threads() return 1 end

return M
