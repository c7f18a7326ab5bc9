-- nvim_spec.lua: victor-lua inside a real host, Debian's Neovim (LuaJIT): the example
-- plugin examples/nvim/ is loaded by `nvim --headless`, which runs the indexer, similarity
-- top-k, signature hashing and (on save) the secret scanner on buffers, with the victor
-- modules and victor.so of the build.
local proc = require "support.proc"
local q = proc.q

local SCRIPT = [[
local ok, err = pcall(function()
  vim.opt.rtp:append(ROOT .. "/examples/nvim")
  local v = require("victor_nvim")
  v.setup { root = ROOT }
  local api = vim.api
  local buf = api.nvim_create_buf(false, true)
  api.nvim_buf_set_name(buf, ROOT .. "/demo.py")
  api.nvim_buf_set_lines(buf, 0, -1, false, { "class Greeter:", "    def greet(self, name):",
    "        return 'hello ' + name", "", "def add(a, b):", "    return a + b" })
  local out = { "native " .. tostring(require("victor.native").is_available()) }
  for _, it in ipairs(assert(v.symbols(buf))) do out[#out + 1] = it.lnum .. ":" .. it.col .. " " .. it.text end
  local rows = assert(v.similar(buf, "return hello name", 1))
  out[#out + 1] = "similar " .. rows[1].lnum
  local args = api.nvim_create_buf(false, true)
  api.nvim_buf_set_lines(args, 0, -1, false, { '{"path": "/a", "limit": 5}' })
  out[#out + 1] = "sig " .. v.signature(args, "read_file")
  api.nvim_set_current_buf(buf)
  vim.cmd("VictorSymbols")
  out[#out + 1] = "quickfix " .. #vim.fn.getqflist()
  -- a fake token written to disk: the BufWritePost hook sets a warning on its line
  local an, tok = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "gh" .. "p_"
  for i = 1, 36 do tok = tok .. an:sub((i * 7) % #an + 1, (i * 7) % #an + 1) end
  vim.cmd("edit " .. OUT .. ".py")
  api.nvim_buf_set_lines(0, 0, -1, false, { "import os", "TOKEN = '" .. tok .. "'" })
  vim.cmd("write")
  for _, d in ipairs(vim.diagnostic.get(0)) do
    out[#out + 1] = "diagnostic " .. (d.lnum + 1) .. ":" .. (d.col + 1) .. " " .. d.message:match("^[^(]*")
  end
  os.remove(OUT .. ".py")
  local f = assert(io.open(OUT, "w"))
  f:write(table.concat(out, "\n"), "\n")
  f:close()
end)
if not ok then
  local f = io.open(OUT, "w")
  f:write("ERROR " .. tostring(err) .. "\n")
  f:close()
end
]]

describe("victor-lua in Neovim", function()
  if os.getenv("VL_CROSS") then
    it("runs on the build host only", function()
      pending("VL_CROSS=" .. os.getenv("VL_CROSS") .. ": Neovim and its LuaJIT are the build host's")
    end)
    return
  end
  if os.getenv("VL_SAN") or os.getenv("VL_VALGRIND") then return end
  if proc.build ~= "build" then return end -- nvim loads the plain build's victor.so
  if not os.execute("command -v nvim >/dev/null 2>&1") then
    it("needs Neovim", function() pending("nvim not installed: apt-get install neovim") end)
    return
  end

  it("runs the indexer, similarity top-k and signatures on a buffer (examples/nvim)", function()
    local root = io.popen("pwd"):read("*l")
    local script, outf = proc.tmpfile(SCRIPT), os.tmpname()
    local _, err, st = proc.run("nvim --headless -u NONE -i NONE -n --cmd "
      .. q("lua ROOT = '" .. root .. "'; OUT = '" .. outf .. "'") .. " -c " .. q("luafile " .. script)
      .. " -c 'qa!'")
    local out = proc.read_file(outf)
    os.remove(script)
    os.remove(outf)
    assert.equal(0, st, err)
    local sig = require("victor.signature").of_json("read_file", '{"limit": 5, "path": "/a"}')
    assert.equal(table.concat({
      "native true",
      "1:7 class Greeter",
      "2:9 method Greeter.greet",
      "5:5 function add",
      "similar 3",
      "sig " .. sig,
      "quickfix 3",
      "diagnostic 2:10 possible secret: github-token ",
    }, "\n") .. "\n", out)
  end)
end)
