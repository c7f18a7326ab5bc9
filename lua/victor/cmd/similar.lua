--- `victor-lua similar`: rank the lines of a file (or stdin) by similarity to a
--- query, with the model-free hashing vectoriser of victor.similarity.
--
--   victor-lua similar QUERY [FILE|-] [--top K] [--min-score S] [--dim N]
--
-- Each non-blank line and the query are embedded by similarity.hash_embed (words,
-- word pairs and character 3..5-grams, signed hashing, L2-normalised); the output
-- is the best K lines, best first, as "score<TAB>line number<TAB>line". Lines with
-- no words are skipped.
local argparse = require "argparse"
local cli = require "victor.cli"
local similarity = require "victor.similarity"

local M = { name = "similar", summary = "rank lines by similarity to a query (hashing vectoriser, cosine top-k)" }

local sfmt, tonumber = string.format, tonumber

local function parser()
  local p = argparse("victor-lua similar", "Rank the lines of FILE by cosine similarity to QUERY, using a model-free\n"
    .. "hashing vectoriser (lowercased words, word pairs and character 3..5-grams\nhashed into --dim buckets).")
    :add_help(false)
  p:epilog("Output: score<TAB>line number<TAB>line, best first (ties by line number).\n"
    .. "Exit status: 0 ok, 2 usage or input/output error.")
  p:argument("query", "The query text.")
  p:argument("file", "Input file ('-' or none: stdin)."):args("?")
  p:flag("-h --help", "Show this help.")
  p:option("--top", "How many lines to print (default 10)."):argname("<K>")
  p:option("--min-score", "Print only lines scoring at least S (-1..1; default 0)."):argname("<S>")
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
  local lines, where = {}, {}
  local n = 0
  for line in fh:lines() do
    n = n + 1
    if line:find("[%w_\128-\255]") then
      lines[#lines + 1] = line
      where[#lines] = n
    end
  end
  if fh ~= io.stdin then fh:close() end
  local opts = { dim = dim }
  local q = similarity.hash_embed(a.query, opts)
  if #lines == 0 then return 0 end
  -- hash_embed rows are unit length (or zero, if every feature cancelled: such a
  -- line scores 0 instead of failing), so the rows need no norms
  local idx, scores = similarity.top_k(q, similarity.hash_embed(lines, opts), top,
    { min_score = min_score, normalized = true })
  if not idx then
    if scores:find("query 1 is a zero vector", 1, true) then return usage("the query has no words") end
    return usage(scores)
  end
  for i = 1, #idx do out(sfmt("%.4f\t%d\t%s\n", scores[i], where[idx[i]], lines[idx[i]])) end
  return 0
end

return M
