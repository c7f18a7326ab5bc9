--- victor_nvim: a small Neovim plugin on victor-lua's kernels (Neovim runs LuaJIT, so the
--- victor modules and the C module victor.so load into it unchanged).
---
---   :VictorSymbols          the current buffer's definitions (tree-sitter) in the quickfix list
---   :VictorSimilar {query}  the buffer's lines most similar to a query (hashed n-gram cosine)
---   :VictorSig              the XXH3 tool-call signature of the buffer's JSON arguments
---   on save                 secrets found in the buffer become warnings (vim.diagnostic),
---                           when the secret scanner is built in
---
--- Setup (init.lua), with a checkout built by `make` (or PREFIX after `make install`):
---   vim.opt.rtp:append("/path/to/victor-lua/examples/nvim")
---   require("victor_nvim").setup { root = "/path/to/victor-lua" }       -- or { prefix = "/usr/local" }
local M = {}

local api = vim.api

--- Extend package.path/cpath so that require "victor.*" finds the modules: a checkout's
--- lua/ + build/ (opts.root) or an installation prefix (opts.prefix).
local function add_paths(opts)
  if opts.root then
    package.path = opts.root .. "/lua/?.lua;" .. opts.root .. "/build/gen/lua/?.lua;" .. package.path
    package.cpath = opts.root .. "/build/lib/?.so;" .. package.cpath
  elseif opts.prefix then
    package.path = opts.prefix .. "/share/lua/5.1/?.lua;" .. package.path
    package.cpath = opts.prefix .. "/lib/lua/5.1/?.so;" .. package.cpath
  end
end

local function buffer_text(buf)
  return table.concat(api.nvim_buf_get_lines(buf, 0, -1, false), "\n") .. "\n"
end

--- Definitions of a buffer as quickfix items (language from the file name, shebang or
--- modeline); nil, msg when the language is unknown or the indexer is unavailable.
function M.symbols(buf)
  local indexer = require "victor.indexer"
  local text = buffer_text(buf)
  local lang = indexer.detect(api.nvim_buf_get_name(buf), text)
  if not lang then return nil, "unknown language" end
  local syms, info = indexer.extract_symbols(text, lang)
  if not syms then return nil, info end
  local items = {}
  for _, s in ipairs(syms) do
    if not s.ref then
      items[#items + 1] = { bufnr = buf, lnum = s.line, col = s.column,
        text = s.kind .. " " .. (s.scope and s.scope ~= "" and s.scope .. "." or "") .. s.name }
    end
  end
  return items
end

--- The k lines of a buffer most similar to query: { {lnum, score, text}, ... }.
function M.similar(buf, query, k)
  local sim = require "victor.similarity"
  local lines, where = {}, {}
  for i, l in ipairs(api.nvim_buf_get_lines(buf, 0, -1, false)) do
    if l:find("%w") then
      lines[#lines + 1] = l
      where[#lines] = i
    end
  end
  if #lines == 0 then return {} end
  local idx, scores = sim.top_k(sim.hash_embed({ query }), sim.hash_embed(lines), k or 5, { normalized = true })
  if not idx then return nil, scores end
  local out = {}
  for i = 1, #idx do out[i] = { lnum = where[idx[i]], score = scores[i], text = lines[idx[i]] } end
  return out
end

--- The tool-call signature (hex) of a buffer holding a call's JSON arguments.
function M.signature(buf, tool)
  return require("victor.signature").of_json(tool or "tool", buffer_text(buf))
end

--- Secrets of a buffer as vim.diagnostic entries (nil, msg without the scanner).
function M.secrets(buf)
  local ok, secrets = pcall(require, "victor.secrets")
  if not ok then return nil, "victor.secrets is not available" end
  local scanner, msg = secrets.compile()
  if not scanner then return nil, msg end
  local found, err = scanner:scan(buffer_text(buf), { file = api.nvim_buf_get_name(buf) })
  if not found then return nil, err end
  local diags = {}
  for _, f in ipairs(found) do
    if f.line then -- (entries without a line report a rule that hit its PCRE2 limit)
      diags[#diags + 1] = { lnum = f.line - 1, col = f.col - 1, severity = vim.diagnostic.severity.WARN,
        source = "victor-lua", message = "possible secret: " .. f.rule .. " (" .. (f.redacted or "") .. ")" }
    end
  end
  return diags
end

function M.setup(opts)
  opts = opts or {}
  add_paths(opts)
  local ns = api.nvim_create_namespace("victor_lua")
  api.nvim_create_user_command("VictorSymbols", function()
    local items, msg = M.symbols(api.nvim_get_current_buf())
    if not items then return vim.notify("victor: " .. msg, vim.log.levels.WARN) end
    vim.fn.setqflist(items, "r")
    vim.cmd("copen")
  end, {})
  api.nvim_create_user_command("VictorSimilar", function(a)
    local rows, msg = M.similar(api.nvim_get_current_buf(), a.args, 10)
    if not rows then return vim.notify("victor: " .. msg, vim.log.levels.WARN) end
    local items = {}
    for i, r in ipairs(rows) do
      items[i] = { bufnr = api.nvim_get_current_buf(), lnum = r.lnum, text = string.format("%.3f %s", r.score, r.text) }
    end
    vim.fn.setqflist(items, "r")
    vim.cmd("copen")
  end, { nargs = "+" })
  api.nvim_create_user_command("VictorSig", function()
    print(M.signature(api.nvim_get_current_buf()))
  end, {})
  api.nvim_create_autocmd("BufWritePost", {
    group = api.nvim_create_augroup("victor_lua", { clear = true }),
    callback = function(ev)
      local diags = M.secrets(ev.buf)
      if diags then vim.diagnostic.set(ns, ev.buf, diags) end
    end,
  })
end

return M
