--- examples/rules.lua: the main victor-lua job, run by `make demo`.
--
--   victor-lua examples/rules.lua [--rules PACK.lua]... [--strict] [--transcript FILE]
--                                 [--stream FILE] [--imports FILE] [--tool-calls FILE]
--                                 [--repo DIR] [SESSION.jsonl]
--
-- Loads the active rule set (the built-in default pack merged with any --rules
-- packs), reads an agent session (one tool call per line as JSON, default: the
-- bundled examples/data/session.jsonl), signs every call in one batch, runs the
-- `loop` rules over the stream and prints a report. Each kernel adds a section:
-- victor.dedup removes the repeated blocks of a transcript (default: the bundled
-- examples/data/transcript.md), one-shot and streamed in 4 KiB chunks;
-- victor.classifier ranks the task categories of the transcript's user prompts;
-- victor.stream_filter splits a recorded model stream (default:
-- examples/data/model_stream.txt) into content and thinking as it arrives in small
-- deltas, and victor.thinking looks for reasoning loops in the thinking;
-- victor.graph ranks the modules of an import graph (default:
-- examples/data/imports.txt, victor-lua's own Lua modules) by PageRank;
-- victor.json_repair pulls the tool calls out of a model's almost-JSON output
-- (default: examples/data/tool_calls.txt) and repairs them; examples/tool_select.lua
-- picks tools for a few requests with victor.similarity's model-free embeddings;
-- victor.indexer parses a small source tree (default: examples/data/sample_repo) with
-- tree-sitter and prints its repo map (files ranked by PageRank over cross-file references).
-- victor.secrets scans a copy of the bundled examples/data/sample_repo with fake
-- secrets planted in it (walked with victor.walk, .gitignore honoured) and masks a
-- model response.
-- Exit status: 0, or with --strict 1 when something was found; 2 on bad input.
-- LuaJIT 2.1.0-beta3 (Debian) miscompiles nested `pairs`/`next` loops (LuaJIT issue #827:
-- a JIT-compiled loop can stop early or see a wrong key). The parser only specialises loops
-- whose iterator is spelled `pairs(...)` or `next`, so iterate through this alias instead.
local each_next = next
local argparse = require "argparse"
local cjson = require "cjson.safe"
local native = require "victor.native"
local host = require "victor.host"
local loopguard = require "victor.loopguard"
local signature = require "victor.signature"
local dedup = require "victor.dedup"
local stream_filter = require "victor.stream_filter"
local thinking = require "victor.thinking"
local graph = require "victor.graph"
local json_repair = require "victor.json_repair"
local classifier = require "victor.classifier"

local sfmt = string.format
local script_dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."

local parser = argparse("victor-lua examples/rules.lua", "Tool-call loop report for an agent session.")
parser:argument("session", "Session file, one JSON tool call per line (default: the bundled one).")
  :args("?")
parser:option("--rules", "Rule pack to merge over the defaults (repeatable)."):count("*")
parser:flag("--strict", "Exit with status 1 when a loop is found.")
parser:option("--transcript", "Markdown transcript to deduplicate (default: the bundled one).")
parser:option("--stream", "Recorded model output with thinking blocks (default: the bundled one).")
parser:option("--imports", "Import graph, 'module imported' per line (default: the bundled one).")
parser:option("--tool-calls", "Model output with almost-JSON tool calls (default: the bundled one).")
parser:option("--repo", "Source tree to index for the repo map (default: the bundled sample).")
local opts = parser:parse({ ... })
opts.session = opts.session or (script_dir .. "/data/session.jsonl")
opts.transcript = opts.transcript or (script_dir .. "/data/transcript.md")
opts.stream = opts.stream or (script_dir .. "/data/model_stream.txt")
opts.imports = opts.imports or (script_dir .. "/data/imports.txt")
opts.tool_calls = opts.tool_calls or (script_dir .. "/data/tool_calls.txt")
opts.repo = opts.repo or (script_dir .. "/data/sample_repo")

-- Bad input ends the job with status 2 and a one-line message: fail() unwinds to the
-- bottom of this file (the main chunk returns the status, so the runtime is closed
-- properly; os.exit would skip that).
local Failure = {}
local function fail(msg)
  error(setmetatable({ msg = msg }, Failure), 0)
end

local function main()

  for _, path in ipairs(opts.rules) do
    local ok, msg = host.add_pack(path)
    if not ok then fail(msg) end
  end
  local pack = host.rules()

  -- Read the session.
  local fh, err = io.open(opts.session, "rb")
  if not fh then fail(err) end
  local calls = {}
  local lineno = 0
  for line in fh:lines() do
    lineno = lineno + 1
    if line:find("%S") then
      local obj, e = cjson.decode(line)
      if type(obj) ~= "table" or type(obj.name) ~= "string" then
        fail(sfmt("%s:%d: not a tool call: %s", opts.session, lineno, tostring(e or line)))
      end
      local args = obj.arguments
      if type(args) == "string" then args = cjson.decode(args) end
      calls[#calls + 1] = { name = obj.name, arguments = args ~= cjson.null and args or nil, line = lineno,
                            turn = obj.turn }
    end
  end
  fh:close()

  -- Sign everything in one call.
  local buf, msg = signature.batch(calls)
  if not buf then fail(opts.session .. ": " .. msg) end
  local sigs = signature.split(buf)
  local distinct = {}
  for _, s in ipairs(sigs) do distinct[s] = true end
  local ndistinct = 0
  for _ in each_next, distinct do ndistinct = ndistinct + 1 end

  -- Loop rules: one detector per enabled `loop` rule (victor.loopguard).
  local guard = loopguard.new(pack)
  local loop_rules = guard:rules()
  local by_sig = {}
  for i, c in ipairs(calls) do by_sig[sigs[i]] = c end

  local findings = {}
  for i, c in ipairs(calls) do
    for _, f in ipairs(guard:observe(c.name, sigs[i]) or {}) do
      local names = {}
      for j, s in ipairs(f.report.signatures) do names[j] = by_sig[s] and by_sig[s].name or s end
      findings[#findings + 1] = { call = i, rule = f.rule, rep = f.report, names = names }
    end
  end

  -- Report.
  local ids = {}
  for _, r in ipairs(loop_rules) do ids[#ids + 1] = r.id end
  print("victor-lua job: tool-call loop detection")
  print(sfmt("  backend     signature=%s (xxHash %s)", native.backends().signature, native.versions().xxhash))
  print(sfmt("  rules       %s %s: %d loop rule(s): %s", pack.name, pack.version, #loop_rules,
    table.concat(ids, ", ")))
  print(sfmt("  session     %s: %d calls, %d distinct signatures (one batch call)", opts.session, #calls,
    ndistinct))
  print("")
  print("findings:")
  local last_reported = {}
  local shown = 0
  for _, f in ipairs(findings) do
    -- report each (rule, cycle) once, when it first reaches the threshold; a cycle
    -- and its rotations (A,B and B,A) are the same loop
    local sorted = { unpack(f.rep.signatures) }
    table.sort(sorted)
    local key = f.rule.id .. "\0" .. table.concat(sorted, ",")
    if not last_reported[key] then
      last_reported[key] = true
      shown = shown + 1
      local c = calls[f.call]
      local what = f.rep.cycle == 1 and sfmt("%s repeated %d times in a row", f.names[1], f.rep.count)
        or sfmt("cycle of %d calls [%s] repeated %d times", f.rep.cycle, table.concat(f.names, " -> "), f.rep.count)
      print(sfmt("  line %-3d turn %-3s rule '%s' (%s): %s", c.line, tostring(c.turn or "-"), f.rule.id,
        f.rule.action, what))
      print(sfmt("           signature %s", f.rep.signature))
    end
  end
  if shown == 0 then print("  none") end
  print("")

  -- Dedup: repeated paragraphs and tool results of the transcript, one-shot and
  -- streamed (the two outputs must be the same).
  do
    local tf, terr = io.open(opts.transcript, "rb")
    if not tf then fail(terr) end
    local text = tf:read("*a")
    tf:close()
    local out, st = dedup.dedup(text)
    if not out then fail(opts.transcript .. ": " .. st) end
    local dups = assert(dedup.find_duplicate_blocks(text))
    local s, parts = dedup.stream(), {}
    for i = 1, #text, 4096 do parts[#parts + 1] = assert(s:feed(text:sub(i, i + 4095))) end
    parts[#parts + 1] = assert(s:finish())
    s:close()
    local streamed = table.concat(parts) == out
    print(sfmt("dedup: %s (backend %s)", opts.transcript, native.backends().dedup))
    print(sfmt("  blocks      %d, %d removed as repeats", st.blocks, st.removed))
    print(sfmt("  bytes       %d -> %d (%.0f%% smaller)", st.bytes_in, st.bytes_out,
      st.bytes_in > 0 and 100 * (st.bytes_in - st.bytes_out) / st.bytes_in or 0))
    if dups[1] then
      local first = text:sub(dups[1].dup.start, dups[1].dup.stop):match("^[^\n]*")
      print(sfmt("  first       line %d repeats line %d: %s", dups[1].dup.line, dups[1].first.line,
        #first > 60 and first:sub(1, 57) .. "..." or first))
    end
    print(sfmt("  streamed    4 KiB chunks, same output as one-shot: %s", streamed and "yes" or "NO"))
    if not streamed then fail("streamed dedup differs from one-shot") end
    print("")
  end

  -- Prompts: each user turn of the transcript ("**user:** ..." up to a blank line),
  -- classified by the classifier rules of the active set (rules/classifier.lua).
  do
    local tf, terr = io.open(opts.transcript, "rb")
    if not tf then fail(terr) end
    local text = tf:read("*a")
    tf:close()
    print(sfmt("prompts: %s (backend %s)", opts.transcript, native.backends().patterns))
    local n = 0
    for prompt in (text .. "\n\n"):gmatch("%*%*user:%*%*%s*(.-)\n%s*\n") do
      n = n + 1
      prompt = prompt:gsub("%s+", " ")
      local r = assert(classifier.classify(prompt, { pack = pack }))
      print(sfmt("  prompt %-4d %s %.2f, budget %d: %s", n, r.type, r.confidence, r.budget,
        #prompt > 50 and prompt:sub(1, 47) .. "..." or prompt))
    end
    if n == 0 then print("  none") end
    print("")
  end

  -- Stream hygiene: the recorded model output arrives in deltas of 1 to 16 bytes (a
  -- fixed pattern); the filter hands back content and thinking separately, and the
  -- thinking goes to the loop detector as it comes.
  local nloops = 0
  do
    local sf, serr = io.open(opts.stream, "rb")
    if not sf then fail(serr) end
    local text = sf:read("*a")
    sf:close()
    local tags = thinking.tags(pack)
    local f = stream_filter.new { tags = tags }
    local det = thinking.detector { pack = pack }
    local content, thought, verdicts, entered = {}, {}, {}, 0
    local function take(c, t, ev)
      if not c then fail(opts.stream .. ": " .. t) end
      content[#content + 1], thought[#thought + 1] = c, t
      for _, e in ipairs(ev or {}) do if e.kind == "enter" then entered = entered + 1 end end
      local v = t ~= "" and det:feed(t)
      if v then verdicts[#verdicts + 1] = v end
    end
    local i, k, deltas = 1, 0, 0
    while i <= #text do
      k = k % 16 + 1
      take(f:feed(text:sub(i, i + k - 1)))
      i, deltas = i + k, deltas + 1
    end
    take(f:finish())
    f:close()
    local v = det:finish()
    if v then verdicts[#verdicts + 1] = v end
    content, thought = table.concat(content), table.concat(thought)
    local one_c, one_t = stream_filter.strip_thinking(text, { tags = tags })
    local same = one_c == content and one_t == thought
    print(sfmt("stream: %s (backend %s)", opts.stream, native.backends().stream_filter))
    print(sfmt("  deltas      %d (1-16 bytes), %d thinking block(s), %d tag pair(s) in the rules", deltas,
      entered, #tags))
    print(sfmt("  bytes       %d in: %d content, %d thinking", #text, #content, #thought))
    print(sfmt("  streamed    same as strip_thinking of the whole text: %s", same and "yes" or "NO"))
    if not same then fail("streamed filter differs from strip_thinking") end
    -- one line per loop: a loop that goes on is reported again with each copy
    local last = {}
    for _, r in ipairs(verdicts) do
      local key = r.reason .. "\0" .. r.span[1]
      if not last[key] then nloops = nloops + 1 end
      last[key] = r
    end
    for _, r in ipairs(verdicts) do
      local key = r.reason .. "\0" .. r.span[1]
      if last[key] == r then
        local phrase = (r.phrase or ""):gsub("%s+$", "")
        local shown_phrase = #phrase > 50 and phrase:sub(1, 47) .. "..." or phrase
        print(sfmt("  loop        %s, count %d%s: %s", r.reason, r.count,
          r.period and sfmt(", period %d bytes", r.period) or "", shown_phrase))
      end
    end
    if nloops == 0 then print("  loop        none") end
    print("")
  end

  -- Architecture: which modules matter, by PageRank over the import graph (an edge
  -- from a module to each module it imports; rank flows to what is imported).
  do
    local g, gerr = graph.from_file(opts.imports)
    if not g then fail(gerr) end
    local scores, iters = g:pagerank { tol = 1e-10 }
    local top_ids, vals = g:top(scores, 5)
    local groups = g:components { strong = true }
    local cycles = 0
    for _, grp in ipairs(groups) do if #grp > 1 then cycles = cycles + 1 end end
    local n = 0
    for _ in each_next, scores do n = n + 1 end
    print(sfmt("architecture: %s (backend %s)", opts.imports, native.backends().graph))
    print(sfmt("  graph       %d modules, PageRank in %d iterations, %d import cycle(s)", n, iters, cycles))
    for i, id in ipairs(top_ids) do print(sfmt("  rank %d      %.4f  %s", i, vals[i], id)) end
    g:close()
    print("")
  end

  -- Tool calls as a model writes them (fenced, in prose, single-quoted, Python
  -- literals, comments, trailing commas, cut off): every JSON value in the text,
  -- repaired, then decoded and signed like the session's calls.
  do
    local tf, terr = io.open(opts.tool_calls, "rb")
    if not tf then fail(terr) end
    local text = tf:read("*a")
    tf:close()
    local values = json_repair.extract_json_values(text)
    local valid, truncated, names, tc = 0, 0, {}, {}
    for _, v in ipairs(values) do
      if v.text == text:sub(v.start, v.stop) and json_repair.is_valid(v.text) then valid = valid + 1 end
      if v.truncated then truncated = truncated + 1 end
      local obj = cjson.decode(v.text)
      if type(obj) == "table" and type(obj.name) == "string" then
        names[#names + 1] = obj.name
        local args = obj.arguments
        tc[#tc + 1] = { name = obj.name, arguments = type(args) == "table" and args or nil }
      end
    end
    local sbuf, smsg = signature.batch(tc)
    if not sbuf then fail(opts.tool_calls .. ": " .. smsg) end
    local seen, nsig = {}, 0
    for _, sg in ipairs(signature.split(sbuf)) do
      if not seen[sg] then seen[sg], nsig = true, nsig + 1 end
    end
    print(sfmt("tool calls: %s (backend %s)", opts.tool_calls, native.backends().json_repair))
    print(sfmt("  found       %d JSON value(s) in the text: %d valid as written, %d repaired (%d cut off, closed)",
      #values, valid, #values - valid, truncated))
    print(sfmt("  calls       %s", table.concat(names, ", ")))
    print(sfmt("  signatures  %d distinct (one batch call)", nsig))
    print("")
  end

  -- Secret scan of a sample project: the bundled tree holds @@NAME@@ markers, and a
  -- copy in a temporary directory gets fake secrets generated here (so this
  -- repository holds none); then a model response is masked.
  do
    local secrets = require "victor.secrets"
    if secrets.backend ~= "native" then
      print("secrets: skipped (needs the native module)")
    else
      local walk = require "victor.walk"
      local src = script_dir .. "/data/sample_repo"
      local seed = 12345
      local function rnd(alphabet, n)
        local t = {}
        for i = 1, n do
          seed = seed * 16807 % 2147483647  -- MINSTD: exact in doubles
          local k = seed % #alphabet + 1
          t[i] = alphabet:sub(k, k)
        end
        return table.concat(t)
      end
      local AN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
      local body = {}
      for i = 1, 6 do body[i] = rnd(AN .. "+/", 64) end
      local fakes = {
        DB_PASSWORD = rnd(AN, 16),
        GITHUB_TOKEN = "gh" .. "p_" .. rnd(AN, 36),
        AWS_KEY_ID = "AK" .. "IA" .. rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
        STRIPE_KEY = "sk_" .. "live_" .. rnd(AN, 28),
        PRIVATE_KEY = "-----" .. "BEGIN OPENSSH PRIVATE KEY-----\n" .. table.concat(body, "\n")
          .. "\n-----" .. "END OPENSSH PRIVATE KEY-----",
      }
      local files = walk.files(src, { gitignore = false, hidden = true })
      if not files then fail(src .. ": cannot list the sample tree") end
      local tmp = os.tmpname()
      os.remove(tmp)
      local copies = {}
      for _, f in ipairs(files) do
        local rel = f.path:sub(#src + 2)
        local dst = tmp .. "/" .. rel
        os.execute("mkdir -p '" .. dst:match("^(.*)/[^/]*$") .. "'")
        local inf = assert(io.open(f.path, "rb"))
        local text = inf:read("*a"):gsub("@@([%u_]+)@@", function(k) return fakes[k] end)
        inf:close()
        local outf = assert(io.open(dst, "wb"))
        outf:write(text)
        outf:close()
        copies[#copies + 1] = rel
      end
      local sc = assert(secrets.compile())
      local kept, skipped = walk.files(tmp)
      local paths = {}
      for i, f in ipairs(kept or {}) do paths[i] = f.path end
      local res = assert(sc:scan_files(paths, { jobs = 2 }))
      local n, bytes = 0, 0
      for _, r in ipairs(res) do n, bytes = n + #r.findings, bytes + r.bytes end
      print(sfmt("secrets: %s, fakes planted in a copy (backend %s, %d rules, keywords by %s)", src,
        native.backends().secrets, #sc:rules(), sc:info().prefilter))
      print(sfmt("  scanned     %d of %d files (%d bytes; the others are dot-files or in .gitignore; %d skipped), "
        .. "%d finding(s)", #paths, #copies, bytes, #(skipped or {}), n))
      for _, r in ipairs(res) do
        for _, f in ipairs(r.findings) do
          print(sfmt("  finding     %s:%d:%d %s %s", r.path:sub(#tmp + 2), f.line, f.col, f.rule, f.severity))
        end
      end
      local reply = "Pushed with token " .. fakes.GITHUB_TOKEN .. " and set db_password = '"
        .. fakes.DB_PASSWORD .. "'."
      print(sfmt("  masked      %s", (secrets.mask(reply))))
      os.execute("rm -rf '" .. tmp .. "'")
    end
    print("")
  end

  -- Tool selection without a model: hashed n-gram embeddings of ~50 tool
  -- descriptions, cosine top-k for each request (examples/tool_select.lua).
  do
    local tool_select = dofile(script_dir .. "/tool_select.lua")
    print(sfmt("tool selection: %d tools, hashed n-gram embeddings (backend %s)", #tool_select.TOOLS,
      native.backends().similarity))
    for _, q in ipairs({ "show me what changed since the last commit", "run the unit tests",
                         "find where this function is defined" }) do
      local names, scores = tool_select.rank(q, 2)
      if not names then fail(scores) end
      print(sfmt("  %-42s -> %s (%.2f), %s (%.2f)", q, names[1], scores[1], names[2], scores[2]))
    end
    print("")
  end

  -- Repo map: tree-sitter symbols of a small source tree (no on-disk index written),
  -- files ranked by PageRank over "references an identifier defined there".
  do
    local indexer = require "victor.indexer"
    local res, ierr = indexer.index_codebase(opts.repo, { index = false, jobs = 2 })
    if not res then fail(ierr) end
    local st = res.stats
    print(sfmt("repo map: %s (backend %s)", opts.repo, native.backends().indexer))
    print(sfmt("  indexed     %d files, %d bytes, %d symbols, %d skipped", st.files, st.bytes, st.symbols, st.skipped))
    local text, ranked = indexer.repomap(res, { budget = 256 })
    print(sfmt("  top file    %s", ranked[1] and ranked[1].path:sub(#opts.repo + 2) or "-"))
    for line in text:gmatch("[^\n]+") do
      if line:sub(1, 1) ~= "#" then print("  " .. line:gsub("^" .. opts.repo:gsub("%p", "%%%0") .. "/", "")) end
    end
    indexer.close(res)
    print("")
  end

  print(sfmt("summary: %d call(s), %d loop finding(s) (%d distinct), %d reasoning loop(s)", #calls, #findings,
    shown, nloops))
  if opts.strict and (#findings > 0 or nloops > 0) then return 1 end
  return 0
end

local ok, status = pcall(main)
if ok then return status end
if getmetatable(status) == Failure then
  io.stderr:write("victor-lua: ", status.msg, "\n")
  return 2
end
error(status, 0)
