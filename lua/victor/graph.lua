--- victor.graph: a CSR graph with PageRank (plain, weighted, personalised),
--- connected components, degrees, betweenness, shortest paths and top-n.
--
-- Semantics are in the design note of core/graph.h. In short: dangling mass is
-- redistributed (uniformly, or by `dangling` / `personalization`), the scores sum
-- to 1, convergence is the L1 residual < tol, and the result is bit-identical for
-- any thread count. Duplicate edges and self-loops are kept (a multigraph).
--
-- Node ids. A graph built by from_edges / from_file / parse maps its node ids
-- (strings or integers, anything but nil and NaN) to indices 1..n in order of first
-- appearance (opts.nodes first, when given), and results are keyed by node id.
-- With opts.n = N the ids are the integers 1..N themselves (dense mode: results
-- are arrays). from_arrays takes 0-based int32 arrays (FFI cdata or Lua tables)
-- and is dense (node v is index v + 1).
--
-- Errors: misuse raises `bad argument #n to 'f' (...)`; bad data (ids out of
-- range, negative or NaN weights, a graph over max_bytes, an unreadable or
-- malformed file, a personalisation summing to 0) returns nil, msg, code.
local native = require "victor.native"

local impl = native.load("graph") or require "victor.fallback.graph"

local M = {}

local type, error, sfmt, floor, tostring = type, error, string.format, math.floor, tostring
local setmetatable, getmetatable, huge, tonumber = setmetatable, getmetatable, math.huge, tonumber
local each_next = next

M.backend = native.load("graph") and "native" or "fallback"
M.DEFAULT_MAX_BYTES = 4 * 1024 * 1024 * 1024
M.DEFAULT_DAMPING = 0.85
M.DEFAULT_TOL = 1e-6
M.DEFAULT_MAX_ITER = 100

local args = require "victor.args"
local argerror, is_count, check_opts = args.argerror, args.is_count, args.check_opts

local function typename(v)
  return v == nil and "nil" or type(v)
end


local Graph = {}
Graph.__index = Graph
M.Graph = Graph

-- Wrap a backend graph. names[i] = id of index i (nil in dense mode), index = id -> i.
local function wrap(g, n, names, index)
  return setmetatable({ _g = g, _n = n, _names = names, _index = index }, Graph)
end

local function build(n, m, src, dst, w, directed, max_bytes, names, index, describe)
  local g, msg, code, bad = impl.new(n, src, dst, w, directed, max_bytes)
  if not g then
    if code == "ELIMIT" then
      return nil, sfmt("a graph of %d nodes and %d edges is over max_bytes %d", n, m, max_bytes), code
    end
    if code == "EINVAL" and bad and bad > 0 then return nil, describe(bad), code end
    return nil, msg, code
  end
  return wrap(g, n, names, index)
end

local GRAPH_OPTS = { directed = "boolean", n = "count", nodes = "table", max_bytes = "count", weighted = "boolean" }

-- The weight of an edge entry, checked: a number, or nil for an unweighted edge.
local function weight_msg(w)
  if w ~= w then return "weight is NaN" end
  if w < 0 then return "weight " .. tostring(w) .. " is negative" end
  return "weight " .. tostring(w) .. " is not finite"
end

--- Build a graph from a Lua list of edges { {a, b [, w]}, ... }.
--- opts: directed (default true), n (dense ids 1..n), nodes (ids in index order,
--- isolated ones included), weighted (default: when any edge has a weight; a
--- missing weight is then 1), max_bytes (default 4 GiB).
---@param edges table
---@param opts table|nil
---@return table|nil graph
---@return string? msg
---@return string? code
function M.from_edges(edges, opts)
  local fname = "from_edges"
  if type(edges) ~= "table" then argerror(1, fname, "table expected, got " .. typename(edges)) end
  opts = check_opts(opts, GRAPH_OPTS, 2, fname)
  if opts.n and opts.nodes then argerror(2, fname, "n and nodes are exclusive") end
  local directed = opts.directed ~= false
  local m = #edges
  local weighted = opts.weighted
  if weighted == nil then
    weighted = false
    for i = 1, m do
      local e = edges[i]
      if type(e) == "table" and e[3] ~= nil then
        weighted = true
        break
      end
    end
  end
  local src, dst, w = {}, {}, weighted and {} or nil
  local names, index, n
  local dense = opts.n ~= nil
  if dense then
    n = opts.n
  else
    names, index, n = {}, {}, 0
    if opts.nodes then
      for i, id in ipairs(opts.nodes) do
        if id ~= id then argerror(2, fname, "nodes[" .. i .. "] is NaN") end
        if index[id] == nil then
          n = n + 1
          names[n], index[id] = id, n
        end
      end
    end
  end
  for i = 1, m do
    local e = edges[i]
    if type(e) ~= "table" then argerror(1, fname, "edge " .. i .. " is not a table") end
    local a, b, x = e[1], e[2], e[3]
    if a == nil or b == nil or a ~= a or b ~= b then
      argerror(1, fname, "edge " .. i .. " needs two node ids")
    end
    local ia, ib
    if dense then
      if type(a) ~= "number" or type(b) ~= "number" then
        return nil, sfmt("edge %d: node ids must be integers 1..%d", i, n), "EINVAL"
      end
      ia, ib = a, b
      if not (a >= 1 and a <= n and a == floor(a)) or not (b >= 1 and b <= n and b == floor(b)) then
        return nil, sfmt("edge %d: node id %s out of range 1..%d",
          i, tostring((a >= 1 and a <= n and a == floor(a)) and b or a), n), "EINVAL"
      end
    else
      ia = index[a]
      if not ia then
        n = n + 1
        names[n], index[a], ia = a, n, n
      end
      ib = index[b]
      if not ib then
        n = n + 1
        names[n], index[b], ib = b, n, n
      end
    end
    src[i], dst[i] = ia - 1, ib - 1
    if w then
      if x == nil then x = 1 end
      if type(x) ~= "number" then argerror(1, fname, "edge " .. i .. ": weight must be a number") end
      if not (x >= 0 and x < huge) then return nil, sfmt("edge %d: %s", i, weight_msg(x)), "EINVAL" end
      w[i] = x
    end
  end
  return build(n, m, src, dst, w, directed, opts.max_bytes or M.DEFAULT_MAX_BYTES, names, index, function(bad)
    return sfmt("edge %d: bad node id or weight", bad)
  end)
end

local ffi_ok, ffi = pcall(require, "ffi")

--- Build a dense graph from flat 0-based arrays: src and dst are int32_t cdata
--- (with m edges) or Lua tables (1..m); weights (opts.weights) double cdata or a
--- table. opts: directed, max_bytes, weights, m (edge count, needed for cdata).
---@param n integer
---@return table|nil graph
---@return string? msg
---@return string? code
function M.from_arrays(n, src, dst, opts)
  local fname = "from_arrays"
  if not is_count(n) or n > 2147483647 then argerror(1, fname, "node count must be an integer 0..2^31-1") end
  opts = check_opts(opts, { directed = "boolean", max_bytes = "count", m = "count", weights = "any" }, 4, fname)
  local m = opts.m
  local w = opts.weights
  local function conv(a, i, width, ctype)
    if type(a) == "table" then
      if m and #a < m then argerror(i, fname, "array shorter than m") end
      if m and #a > m then
        local t = {}
        for k = 1, m do t[k] = a[k] end
        return t
      end
      return a
    end
    if type(a) ~= "cdata" or not ffi_ok then argerror(i, fname, "table or cdata expected, got " .. typename(a)) end
    if not m then argerror(4, fname, "m is required with cdata arrays") end
    local p = ffi.cast(ctype, a)
    if M.backend == "native" and ctype == "const int32_t *" then return ffi.string(p, width * m) end
    local t = {}
    for k = 0, m - 1 do t[k + 1] = tonumber(p[k]) end
    return t
  end
  local s = conv(src, 2, 4, "const int32_t *")
  local d = conv(dst, 3, 4, "const int32_t *")
  local ws = w ~= nil and conv(w, 4, 8, "const double *") or nil
  return build(n, m or #s, s, d, ws, opts.directed ~= false, opts.max_bytes or M.DEFAULT_MAX_BYTES, nil, nil,
    function(bad) return sfmt("edge %d: node id out of range 0..%d or bad weight", bad, n - 1) end)
end

--- Parse an edge list: one edge `a b [w]` per line (fields separated by blanks),
--- `#` starts a comment, blank lines are skipped. Node ids are the words as
--- strings. opts as from_edges (n is not allowed).
---@param text string
---@return table|nil graph
---@return string? msg
---@return string? code
function M.parse(text, opts, name)
  local fname = "parse"
  if type(text) ~= "string" then argerror(1, fname, "string expected, got " .. typename(text)) end
  opts = check_opts(opts, GRAPH_OPTS, 2, fname)
  if opts.n then argerror(2, fname, "unknown option 'n'") end
  local edges, ne, lineno = {}, 0, 0
  local find, sub, tonum = string.find, string.sub, tonumber
  local pos, len = 1, #text
  name = name or "input"
  while pos <= len do
    local nl = find(text, "\n", pos, true) or len + 1
    lineno = lineno + 1
    local line = sub(text, pos, nl - 1)
    pos = nl + 1
    local hash = find(line, "#", 1, true)
    if hash then line = sub(line, 1, hash - 1) end
    local _, _, a, b, rest = find(line, "^%s*(%S+)%s+(%S+)%s*(.-)%s*$")
    if a then
      local x
      if rest ~= "" then
        if find(rest, "%s") then return nil, sfmt("%s:%d: expected 'a b [weight]'", name, lineno), "EPARSE" end
        x = tonum(rest)
        if not x then return nil, sfmt("%s:%d: bad weight '%s'", name, lineno, rest), "EPARSE" end
        if not (x >= 0 and x < huge) then
          return nil, sfmt("%s:%d: %s", name, lineno, weight_msg(x)), "EINVAL"
        end
      end
      ne = ne + 1
      edges[ne] = { a, b, x }
    elseif find(line, "%S") then
      return nil, sfmt("%s:%d: expected 'a b [weight]'", name, lineno), "EPARSE"
    end
  end
  return M.from_edges(edges, opts)
end

--- Read an edge-list file (see parse).
---@param path string
---@return table|nil graph
---@return string? msg
---@return string? code
function M.from_file(path, opts)
  if type(path) ~= "string" then argerror(1, "from_file", "string expected, got " .. typename(path)) end
  local fh, msg = io.open(path, "rb")
  if not fh then return nil, msg, "EIO" end
  local text = fh:read("*a")
  fh:close()
  if not text then return nil, path .. ": read failed", "EIO" end
  return M.parse(text, opts, path)
end

-- ---- Graph methods ----------------------------------------------------------

local function check_self(self, fname)
  if getmetatable(self) ~= Graph then
    error(sfmt("calling '%s' on bad self (Graph expected, got %s)", fname, typename(self)), 3)
  end
  if not self._g then error("Graph is closed", 3) end
end

--- Number of nodes.
function Graph:nodes()
  check_self(self, "nodes")
  return self._n
end

--- {nodes=, edges=, directed=, weighted=, bytes=}
function Graph:info()
  check_self(self, "info")
  return self._g:info()
end

--- The node id of index i (1..n), and the index of a node id.
function Graph:id(i) return self._names and self._names[i] or i end
function Graph:index(id)
  if self._index then return self._index[id] end
  if type(id) == "number" and id >= 1 and id <= self._n and id == floor(id) then return id end
  return nil
end

--- Free the graph now (also done by the garbage collector). Idempotent.
function Graph:close()
  if self._g then self._g:close() end
  self._g = nil
end

-- An array (1..n) keyed by node index -> a table keyed by node id.
function Graph:_keyed(arr)
  local names = self._names
  if not names then return arr end
  local t = {}
  for i = 1, self._n do t[names[i]] = arr[i] end
  return t
end

-- A table keyed by node id -> an array 1..n (missing ids are 0).
local function by_index(self, t, i, fname, what)
  local a = {}
  for k = 1, self._n do a[k] = 0 end
  for id, v in each_next, t do
    local k = self:index(id)
    if not k then argerror(i, fname, what .. ": unknown node '" .. tostring(id) .. "'") end
    if type(v) ~= "number" then argerror(i, fname, what .. ": values must be numbers") end
    if not (v >= 0 and v < huge) then argerror(i, fname, what .. ": values must be finite and >= 0") end
    a[k] = v
  end
  return a
end

local PR_OPTS = { damping = "number", tol = "number", max_iter = "count", weights = "boolean",
  personalization = "table", dangling = "table", threads = "count", method = "method" }
local PR_KINDS = {
  method = function(v)
    if v ~= "power" and v ~= "gauss_seidel" then return "method must be 'power' or 'gauss_seidel'" end
  end,
}

--- PageRank. opts: damping (0.85, in (0, 1)), tol (1e-6: L1 residual), max_iter
--- (100), weights (default true: use the edge weights when the graph has them),
--- personalization / dangling (tables node id -> weight >= 0; missing ids are 0),
--- threads (0: OpenMP's default), method ("power": parallel Jacobi steps, the default;
--- "gauss_seidel": serial in-place sweeps, fewer of them, same fixed point; see
--- core/graph.h). Returns scores keyed by node id (an array in
--- dense mode), the iteration count and the final residual (>= tol: max_iter hit);
--- nil, msg, "EINVAL" when a distribution sums to 0.
---@param opts table|nil
---@return table|nil scores
---@return integer|string iterations_or_msg
---@return number|string residual_or_code
function Graph:pagerank(opts)
  local fname = "pagerank"
  check_self(self, fname)
  opts = check_opts(opts, PR_OPTS, 1, fname, PR_KINDS)
  local d = opts.damping or M.DEFAULT_DAMPING
  if not (d > 0 and d < 1) then argerror(1, fname, "damping must be in (0, 1)") end
  local tol = opts.tol or M.DEFAULT_TOL
  if tol ~= tol or tol < 0 then argerror(1, fname, "tol must be >= 0") end
  local max_iter = opts.max_iter or M.DEFAULT_MAX_ITER
  if max_iter < 1 or max_iter > 2147483647 then argerror(1, fname, "max_iter must be >= 1") end
  local p = opts.personalization and by_index(self, opts.personalization, 1, fname, "personalization")
  local q = opts.dangling and by_index(self, opts.dangling, 1, fname, "dangling")
  local scores, it, res = self._g:pagerank(d, tol, max_iter, opts.weights ~= false, p or nil, q or nil,
    opts.threads or 0, opts.method == "gauss_seidel")
  if not scores then
    if res == "EINVAL" then
      return nil, (p and "personalization" or "dangling") .. " vector sums to 0", "EINVAL"
    end
    return nil, it, res
  end
  return self:_keyed(scores), it, res
end

--- Connected components. opts.strong: strongly connected (directed graphs; default
--- false: weakly). Returns the components (arrays of node ids in index order,
--- ordered by their first node) and a table node id -> component number.
function Graph:components(opts)
  local fname = "components"
  check_self(self, fname)
  opts = check_opts(opts, { strong = "boolean" }, 1, fname)
  local comp, count = self._g:components(opts.strong or false)
  if not comp then return nil, count end
  local groups = {}
  for c = 1, count do groups[c] = {} end
  for i = 1, self._n do
    local g = groups[comp[i]]
    g[#g + 1] = self:id(i)
  end
  return groups, self:_keyed(comp)
end

--- In- and out-degree keyed by node id (undirected: both the degree; a self-loop counts 1).
function Graph:degree()
  check_self(self, "degree")
  local i, o = self._g:degree()
  return self:_keyed(i), self:_keyed(o)
end

--- Betweenness centrality (Brandes, unweighted). opts: normalized (true), sample
--- (k sources drawn with seed; scaled by n/k), seed (0).
function Graph:betweenness(opts)
  local fname = "betweenness"
  check_self(self, fname)
  opts = check_opts(opts, { normalized = "boolean", sample = "count", seed = "count" }, 1, fname)
  local bc = self._g:betweenness(opts.normalized ~= false, opts.sample or 0, opts.seed or 0)
  return self:_keyed(bc)
end

--- Shortest path from a to b: the array of node ids a .. b and its length (edge
--- count, or weight sum with weights); nil when b is unreachable. opts.weights
--- (default true: Dijkstra on a weighted graph).
function Graph:shortest_path(a, b, opts)
  local fname = "shortest_path"
  check_self(self, fname)
  local ia, ib = self:index(a), self:index(b)
  if not ia then argerror(1, fname, "unknown node '" .. tostring(a) .. "'") end
  if not ib then argerror(2, fname, "unknown node '" .. tostring(b) .. "'") end
  opts = check_opts(opts, { weights = "boolean" }, 3, fname)
  local path, dist = self._g:shortest_path(ia - 1, ib - 1, opts.weights ~= false)
  if not path then return nil, dist end
  if #path == 0 then return nil end
  local out = {}
  for i = 1, #path do out[i] = self:id(path[i] + 1) end
  return out, dist
end

--- The n best nodes by score: an array of node ids, best first, ties by node
--- index ascending (the order of first appearance), and the array of their scores.
---@param scores table keyed by node id (as pagerank returns)
---@param n integer
function Graph:top(scores, n)
  local fname = "top"
  check_self(self, fname)
  if type(scores) ~= "table" then argerror(1, fname, "table expected, got " .. typename(scores)) end
  if not is_count(n) then argerror(2, fname, "non-negative integer expected") end
  local arr = {}
  for i = 1, self._n do
    local v = scores[self:id(i)]
    arr[i] = type(v) == "number" and v or -huge
  end
  local idx = impl.top(arr, n)
  local ids, vals = {}, {}
  for k = 1, #idx do
    ids[k] = self:id(idx[k])
    vals[k] = arr[idx[k]]
  end
  return ids, vals
end

--- Threads OpenMP would use (1 for the fallback or a serial build).
function M.max_threads()
  return impl.max_threads()
end

return M
