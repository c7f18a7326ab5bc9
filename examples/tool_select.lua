--- examples/tool_select.lua: pick the tools that fit a request, with no model.
--
--   victor-lua examples/tool_select.lua [QUERY...] [--top K]
--
-- About fifty tool descriptions (the kind an agent exposes) are embedded once with
-- victor.similarity's hashing vectoriser (word and character n-grams into 512
-- dimensions, L2-normalised); a query is embedded the same way and the tools are
-- ranked by cosine (top_k, ties by tool order). `M.rank(query, k)` is what the main
-- job (examples/rules.lua) calls.
local sim = require "victor.similarity"

local M = {}

--- The tools: name and description.
M.TOOLS = {
  { "read_file", "Read a file from the workspace and return its contents" },
  { "write_file", "Create or overwrite a file with new contents" },
  { "edit_file", "Replace a range of lines or a snippet in an existing file" },
  { "append_file", "Append text to the end of a file" },
  { "delete_file", "Delete a file from the workspace" },
  { "move_file", "Rename or move a file to another path" },
  { "list_dir", "List the files and folders in a directory" },
  { "find_files", "Find files whose names match a glob pattern" },
  { "grep", "Search file contents for a regular expression and show matching lines" },
  { "code_search", "Semantic search over the code base for functions and classes" },
  { "symbols", "List the symbols (functions, classes, methods) defined in a file" },
  { "goto_definition", "Find where a symbol is defined" },
  { "find_references", "Find every reference to a symbol across the project" },
  { "repo_map", "Summarise the repository structure and its most important modules" },
  { "run_tests", "Run the test suite, or the tests matching a filter, and report failures" },
  { "run_command", "Run a shell command in the workspace and capture its output" },
  { "build", "Build the project with its build system and report compiler errors" },
  { "lint", "Run the linters and report style and correctness warnings" },
  { "format", "Format source files with the project's formatter" },
  { "type_check", "Run the type checker and report type errors" },
  { "git_status", "Show the working tree status: modified, staged and untracked files" },
  { "git_diff", "Show what changed: the differences between the working tree and the last commit" },
  { "git_commit", "Commit the staged changes with a message" },
  { "git_log", "Show the commit history of the repository or a file" },
  { "git_branch", "Create, list or switch branches" },
  { "git_blame", "Show which commit last changed each line of a file" },
  { "open_pull_request", "Open a pull request with a title and description" },
  { "review_pull_request", "Read a pull request's diff and comments" },
  { "web_search", "Search the web and return result titles and links" },
  { "fetch_url", "Download a web page and return its text" },
  { "read_docs", "Look up library documentation for a function or package" },
  { "install_package", "Install a dependency with the package manager" },
  { "update_package", "Upgrade a dependency to a newer version" },
  { "list_packages", "List the project's dependencies and their versions" },
  { "debug_start", "Start the debugger on a program with breakpoints" },
  { "debug_step", "Step through code in the debugger and inspect variables" },
  { "profile", "Profile a program and report where time is spent" },
  { "benchmark", "Run the benchmarks and compare timings" },
  { "coverage", "Measure test coverage and list uncovered lines" },
  { "create_issue", "Create an issue in the tracker with a title and body" },
  { "list_issues", "List open issues in the tracker" },
  { "comment_issue", "Add a comment to an issue" },
  { "ask_user", "Ask the user a clarifying question and wait for the answer" },
  { "remember", "Store a note in long-term memory for later sessions" },
  { "recall", "Retrieve notes stored in long-term memory" },
  { "plan", "Write a step-by-step plan for a task" },
  { "summarize", "Summarise a long text or conversation" },
  { "translate", "Translate text between natural languages" },
  { "explain_code", "Explain what a piece of code does in plain language" },
  { "generate_tests", "Write unit tests for a function or module" },
}

local embedded

--- The k tools that best fit query: names, scores and descriptions, best first.
---@param query string
---@param k? integer default 3
function M.rank(query, k)
  if not embedded then
    local texts = {}
    for i, t in ipairs(M.TOOLS) do texts[i] = t[1]:gsub("_", " ") .. ": " .. t[2] end
    embedded = assert(sim.hash_embed(texts, { dim = 512 }))
  end
  local q = assert(sim.hash_embed({ query }, { dim = 512 }))
  local idx, scores = sim.top_k(q, embedded, k or 3, { normalized = true })
  if not idx then return nil, scores end
  local names, descs = {}, {}
  for i, r in ipairs(idx) do names[i], descs[i] = M.TOOLS[r][1], M.TOOLS[r][2] end
  return names, scores, descs
end

-- Run as a script: rank the tools for the query given on the command line.
if arg and arg[0] and arg[0]:match("tool_select%.lua$") and not package.loaded["examples.tool_select"] then
  local words, k = {}, 3
  local i = 1
  while arg[i] do
    if arg[i] == "--top" then
      k = tonumber(arg[i + 1]) or k
      i = i + 2
    else
      words[#words + 1] = arg[i]
      i = i + 1
    end
  end
  local query = #words > 0 and table.concat(words, " ") or "show me what changed since the last commit"
  local names, scores, descs = M.rank(query, k)
  if not names then
    io.stderr:write("victor-lua: ", tostring(scores), "\n")
    return 2
  end
  print(("query: %s"):format(query))
  for j, name in ipairs(names) do print(("  %d  %.3f  %-18s %s"):format(j, scores[j], name, descs[j])) end
  return 0
end

return M
