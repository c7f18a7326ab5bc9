--- `victor-lua graph`: rank or analyse the nodes of an edge-list graph.
--
--   victor-lua graph pagerank FILE [--top N] [--damping D] [--tol T] [--max-iter N]
--                    [--undirected] [--no-weights] [--threads N] [--stats]
--   victor-lua graph betweenness FILE [--top N] [--sample K] [--seed S] [--undirected]
--   victor-lua graph components FILE [--strong] [--undirected]
--   victor-lua graph path FILE A B [--no-weights] [--undirected]
--
-- FILE ('-' or none: stdin) holds one edge `a b [weight]` per line; `#` starts a
-- comment. Ranks print as `rank<TAB>score<TAB>node`, best first (ties in order of
-- first appearance); components as `component<TAB>size<TAB>node node ...`; a path
-- as its nodes, one per line, then `# length L` (exit 1 when there is no path).
local argparse = require "argparse"
local cli = require "victor.cli"
local graph = require "victor.graph"

local M = { name = "graph", summary = "PageRank, betweenness, components and paths of an edge-list graph" }

local sfmt, tostring = string.format, tostring

M.DEFAULT_TOP = 20

local ALGOS = { pagerank = true, betweenness = true, components = true, path = true }

local function parser()
  local p = argparse("victor-lua graph", "Rank or analyse the nodes of a graph given as an edge list: one edge\n"
    .. "'a b [weight]' per line (blank-separated words; '#' starts a comment).")
    :add_help(false)
  p:epilog("Examples:\n"
    .. "  victor-lua graph pagerank imports.txt --top 10\n"
    .. "  victor-lua graph pagerank imports.txt --method gauss_seidel --json\n"
    .. "  victor-lua graph path imports.txt main log\n"
    .. "\n"
    .. "Algorithms:\n"
    .. "  pagerank     scores summing to 1; dangling nodes' rank is redistributed\n"
    .. "  betweenness  Brandes (unweighted shortest paths), normalised\n"
    .. "  components   weakly (or --strong: strongly) connected components\n"
    .. "  path A B     a shortest path (Dijkstra when the file has weights)\n"
    .. "Output: rank<TAB>score<TAB>node lines, best first (ties in order of first\n"
    .. "appearance). Exit status: 0 ok, 1 no path, 2 usage or input error.")
  p:argument("algorithm", "pagerank, betweenness, components or path."):args("?")
  p:argument("file", "Edge-list file ('-' or none: stdin)."):args("?")
  p:argument("nodes", "path: the two end nodes."):args("*")
  p:flag("-h --help", "Show this help.")
  p:option("--top", "Print the N best nodes (default " .. M.DEFAULT_TOP .. "; 0: all)."):argname("<N>")
  p:option("--damping", "PageRank damping factor in (0, 1) (default 0.85)."):argname("<D>")
  p:option("--tol", "PageRank: stop when the L1 change is below T (default 1e-6)."):argname("<T>")
  p:option("--max-iter", "PageRank: at most N iterations (default 100)."):argname("<N>")
  p:option("--threads", "PageRank threads (default: OpenMP's; results never depend on it)."):argname("<N>")
  p:flag("--json", "Print the result as JSON (an array of {rank, node, score}, of {component, "
    .. "size, nodes}, or {from, to, path, length}).")
  p:option("--method", "PageRank solver: power (parallel steps, the default) or gauss_seidel "
    .. "(serial in-place sweeps, about half as many)."):argname("<M>")
  p:option("--sample", "Betweenness from K sampled sources (scaled by n/K)."):argname("<K>")
  p:option("--seed", "Seed of --sample (default 0)."):argname("<S>")
  p:flag("--strong", "components: strongly connected components.")
  p:flag("--undirected", "Treat every edge as undirected.")
  p:flag("--no-weights", "Ignore the weight column.")
  p:flag("--stats", "Print graph size, iterations and residual to stderr.")
  return p
end

local num = cli.num_opt

local is_count = cli.is_count

local function print_ranked(g, scores, top, out, json)
  local n = g:nodes()
  if top == 0 or top > n then top = n end
  local ids, vals = g:top(scores, top)
  if json then
    local rows = {}
    for i = 1, #ids do rows[i] = { rank = i, node = tostring(ids[i]), score = vals[i] } end
    return cli.json_out(out, rows)
  end
  for i = 1, #ids do out(sfmt("%d\t%.9g\t%s\n", i, vals[i], tostring(ids[i]))) end
end

function M.run(argv, out, err)
  out = out or function(s) io.stdout:write(s) end
  err = err or function(s) io.stderr:write(s) end
  local p = parser()
  local a, status = cli.parse_args(p, argv, "graph", out, err)
  if not a then return status end
  local function usage(msg)
    err("victor-lua: graph: " .. msg .. "\n")
    return 2
  end
  if not a.algorithm then return usage("missing algorithm (pagerank, betweenness, components, path)") end
  if not ALGOS[a.algorithm] then
    return usage(sfmt("unknown algorithm '%s' (pagerank, betweenness, components, path)", a.algorithm))
  end
  local nodes = a.nodes or {}
  if a.algorithm == "path" then
    if #nodes ~= 2 then return usage("path needs FILE A B") end
  elseif #nodes > 0 then
    return usage("unexpected argument '" .. nodes[1] .. "'")
  end
  local opts = {}
  local top, msg = num(a, "top", is_count, "a non-negative integer")
  if msg then return usage(msg) end
  opts.damping, msg = num(a, "damping", function(v) return v > 0 and v < 1 end, "a number in (0, 1)")
  if msg then return usage(msg) end
  opts.tol, msg = num(a, "tol", function(v) return v >= 0 end, "a number >= 0")
  if msg then return usage(msg) end
  opts.max_iter, msg = num(a, "max_iter", function(v) return v >= 1 and is_count(v) end, "a positive integer")
  if msg then return usage(msg) end
  opts.threads, msg = num(a, "threads", is_count, "a non-negative integer")
  if msg then return usage(msg) end
  if a.method and a.method ~= "power" and a.method ~= "gauss_seidel" then
    return usage(sfmt("--method must be power or gauss_seidel, got '%s'", a.method))
  end
  opts.method = a.method
  local sample, seed
  sample, msg = num(a, "sample", is_count, "a non-negative integer")
  if msg then return usage(msg) end
  seed, msg = num(a, "seed", is_count, "a non-negative integer")
  if msg then return usage(msg) end

  local fh = cli.open_input(a.file, "graph", err)
  if not fh then return 2 end
  local text = fh:read("*a")
  if fh ~= io.stdin then fh:close() end
  if not text then return usage("read error") end
  local name = (a.file == nil or a.file == "-") and "stdin" or a.file
  local g, perr, code = graph.parse(text, { directed = not a.undirected, weighted = a.no_weights and false or nil },
    name)
  if not g then
    err(sfmt("victor-lua: graph: %s (%s)\n", perr, code))
    return 2
  end
  local info = g:info()
  if a.stats then
    err(sfmt("victor-lua: graph: %d nodes, %d edges, %s%s, %d bytes (%s)\n", info.nodes, info.edges,
      info.directed and "directed" or "undirected", info.weighted and ", weighted" or "", info.bytes, graph.backend))
  end
  top = top or M.DEFAULT_TOP
  if a.algorithm == "pagerank" then
    local scores, it, res = g:pagerank(opts)
    if not scores then
      err(sfmt("victor-lua: graph: %s (%s)\n", it, res))
      return 2
    end
    print_ranked(g, scores, top, out, a.json)
    if a.stats then err(sfmt("victor-lua: graph: pagerank: %d iterations, residual %.3g\n", it, res)) end
  elseif a.algorithm == "betweenness" then
    print_ranked(g, g:betweenness { sample = sample, seed = seed }, top, out, a.json)
  elseif a.algorithm == "components" then
    local groups = g:components { strong = a.strong }
    local rows = {}
    for i, grp in ipairs(groups) do
      local names = {}
      for k, id in ipairs(grp) do names[k] = tostring(id) end
      if a.json then
        rows[i] = { component = i, size = #grp, nodes = names }
      else
        out(sfmt("%d\t%d\t%s\n", i, #grp, table.concat(names, " ")))
      end
    end
    if a.json then cli.json_out(out, rows) end
    if a.stats then err(sfmt("victor-lua: graph: %d components\n", #groups)) end
  else
    for i = 1, 2 do
      if not g:index(nodes[i]) then return usage(sfmt("node '%s' is not in the graph", nodes[i])) end
    end
    local path, len = g:shortest_path(nodes[1], nodes[2], { weights = not a.no_weights })
    if not path then
      err(sfmt("victor-lua: graph: no path from '%s' to '%s'\n", nodes[1], nodes[2]))
      return 1
    end
    if a.json then
      local names = {}
      for k, id in ipairs(path) do names[k] = tostring(id) end
      cli.json_out(out, { from = nodes[1], to = nodes[2], path = names, length = len })
    else
      for _, id in ipairs(path) do out(tostring(id) .. "\n") end
      out(sfmt("# length %.17g\n", len))
    end
  end
  return 0
end

return M
