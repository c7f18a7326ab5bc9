--- `victor-lua similar`: rank the lines of a file (or stdin) by similarity to a
--- query, with the model-free hashing vectoriser of victor.similarity.
--
--   victor-lua similar QUERY [FILE|-] [--top K] [--min-score S] [--dim N]
--
-- Each non-blank line and the query are embedded by similarity.hash_embed (words,
-- word pairs and character 3..5-grams, signed hashing, L2-normalised); the output
-- is the best K lines, best first, as "score<TAB>line number<TAB>line". Lines with
-- no words are skipped. The input is scored M.BATCH lines at a time, so memory does
-- not grow with its length.
local argparse = require "argparse"
local cli = require "victor.cli"
local similarity = require "victor.similarity"

local M = { name = "similar", summary = "rank lines by similarity to a query (hashing vectoriser, cosine top-k)" }

local sfmt, tonumber = string.format, tonumber

M.BATCH = 4096  -- lines embedded and scored at a time

local function parser()
  local p = argparse("victor-lua similar", "Rank the lines of FILE by cosine similarity to QUERY, using a model-free\n"
    .. "hashing vectoriser (lowercased words, word pairs and character 3..5-grams\nhashed into --dim buckets).")
    :add_help(false)
  p:epilog("Examples:\n"
    .. "  victor-lua similar \"run the tests\" tools.txt --top 3\n"
    .. "  victor-lua similar \"parse json\" notes.txt --json\n"
    .. "\n"
    .. "Output: score<TAB>line number<TAB>line, best first (ties by line number).\n"
    .. "Exit status: 0 ok, 2 usage or input/output error.")
  p:argument("query", "The query text.")
  p:argument("file", "Input file ('-' or none: stdin)."):args("?")
  p:flag("-h --help", "Show this help.")
  p:option("--top", "How many lines to print (default 10)."):argname("<K>")
  p:option("--min-score", "Print only lines scoring at least S (-1..1; default 0)."):argname("<S>")
  p:flag("--json", "Print a JSON array of {score, line, text} instead of tab-separated lines.")
  p:option("--dim", "Hash buckets (default " .. similarity.HASH_DIM .. ")."):argname("<N>")
  return p
end

function M.run(argv, out, err)
  out = out or function(s) io.stdout:write(s) end
  err = err or function(s) io.stderr:write(s) end
  local a, status = cli.parse_args(parser(), argv, "similar", out, err)
  if not a then return status end
  local function usage(msg)
    err("victor-lua: similar: " .. msg .. "\n")
    return 2
  end
  local top, min_score, dim = tonumber(a.top or "10"), tonumber(a.min_score or "0"), tonumber(a.dim or "")
  if not top or top < 0 or top ~= math.floor(top) then return usage("--top must be a non-negative integer") end
  if not min_score then return usage("--min-score must be a number") end
  if a.dim and (not dim or dim < 1 or dim > 16777216 or dim ~= math.floor(dim)) then
    return usage("--dim must be an integer 1..16777216")
  end
  local fh = cli.open_input(a.file, "similar", err)
  if not fh then return 2 end
  local opts = { dim = dim }
  local q = similarity.hash_embed(a.query, opts)
  -- Lines are embedded and scored BATCH at a time, and the best `top` so far are kept
  -- (score descending, line number ascending, as top_k orders within a batch), so
  -- memory is one batch of rows whatever the input's length.
  local best, lines, where, n = {}, {}, {}, 0
  local function score_batch()
    if #lines == 0 then return true end
    -- hash_embed rows are unit length (or zero, if every feature cancelled: such a
    -- line scores 0 instead of failing), so the rows need no norms
    local idx, scores = similarity.top_k(q, similarity.hash_embed(lines, opts), top,
      { min_score = min_score, normalized = true })
    if not idx then
      return nil, scores:find("query 1 is a zero vector", 1, true) and "the query has no words" or scores
    end
    for i = 1, #idx do best[#best + 1] = { scores[i], where[idx[i]], lines[idx[i]] } end
    table.sort(best, function(x, y) if x[1] ~= y[1] then return x[1] > y[1] end return x[2] < y[2] end)
    for i = #best, top + 1, -1 do best[i] = nil end
    lines, where = {}, {}
    return true
  end
  for line in fh:lines() do
    n = n + 1
    if line:find("[%w_\128-\255]") then
      lines[#lines + 1] = line
      where[#lines] = n
      if #lines == M.BATCH then
        local ok, msg = score_batch()
        if not ok then return usage(msg) end
      end
    end
  end
  if fh ~= io.stdin then fh:close() end
  local ok, msg = score_batch()
  if not ok then return usage(msg) end
  if a.json then
    local rows = {}
    for i, r in ipairs(best) do rows[i] = { score = r[1], line = r[2], text = r[3] } end
    cli.json_out(out, rows)
    return 0
  end
  for _, r in ipairs(best) do out(sfmt("%.4f\t%d\t%s\n", r[1], r[2], r[3])) end
  return 0
end

return M
