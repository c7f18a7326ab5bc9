-- nginx_spec.lua: victor-lua inside a real host, Debian's nginx with
-- libnginx-mod-http-lua (examples/nginx/nginx.conf.in): a proxied, streamed response
-- has its thinking blocks removed and its secrets masked in body_filter_by_lua, chunk by chunk. The spec
-- unpacks Debian's packages into build/nginx/ (scripts/fetch-nginx-lua.sh: they cannot
-- be installed beside luajit), starts nginx (the proxy and a stand-in upstream, both on
-- 127.0.0.1) and stops it.
local proc = require "support.proc"
local q = proc.q

-- Decode a raw HTTP/1.1 chunked body: the chunks' payloads, in order.
local function dechunk(raw)
  local chunks, pos = {}, 1
  while true do
    local size_hex, after = raw:match("^(%x+)\r\n()", pos)
    if not size_hex then return nil, "bad chunk at byte " .. pos end
    local size = tonumber(size_hex, 16)
    if size == 0 then return chunks end
    chunks[#chunks + 1] = raw:sub(after, after + size - 1)
    pos = after + size + 2
  end
end

describe("victor-lua in nginx (body_filter_by_lua)", function()
  if os.getenv("VL_CROSS") then
    it("runs on the build host only", function()
      pending("VL_CROSS=" .. os.getenv("VL_CROSS") .. ": nginx and its LuaJIT are the build host's")
    end)
    return
  end
  if os.getenv("VL_SAN") or os.getenv("VL_VALGRIND") then return end
  -- the lua module needs the victor.so of a plain build (stock LuaJIT ABI)
  if proc.build ~= "build" then return end

  local prefix, port, root, paths, nginx
  setup(function()
    root = io.popen("pwd"):read("*l")
    local out, err, st = proc.run("bash scripts/fetch-nginx-lua.sh build/nginx")
    assert(st == 0, "fetching Debian's nginx packages failed: " .. err)
    paths = {}
    for k, v in out:gmatch("(%w+)=([^\n]+)") do paths[k] = v end
    nginx = "LD_LIBRARY_PATH=" .. q(paths.libs) .. " " .. q(paths.nginx)
    prefix = os.tmpname()
    os.remove(prefix)
    assert(os.execute("mkdir -p " .. q(prefix .. "/tmp") .. " " .. q(prefix .. "/logs")) == 0)
    local template = proc.read_file("examples/nginx/nginx.conf.in")
    math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
    for _ = 1, 8 do -- free ports: retry when a bind fails
      port = math.random(20000, 60000)
      local conf = template:gsub("@ROOT@", root):gsub("@PREFIX@", prefix):gsub("@MODULES@", paths.modules)
        :gsub("@RESTY@", paths.resty):gsub("@PROXY_PORT@", tostring(port)):gsub("@UPSTREAM_PORT@", tostring(port + 1))
      proc.write_file(prefix .. "/nginx.conf", conf)
      _, err, st = proc.run(nginx .. " -p " .. q(prefix) .. " -c " .. q(prefix .. "/nginx.conf")
        .. " -e " .. q(prefix .. "/error.log"))
      if st == 0 then return end
      assert(err:find("Address already in use", 1, true), err)
    end
    error("no free port pair for nginx")
  end)
  teardown(function()
    if prefix then
      os.execute(nginx .. " -p " .. q(prefix) .. " -c " .. q(prefix .. "/nginx.conf") .. " -e "
        .. q(prefix .. "/error.log") .. " -s stop >/dev/null 2>&1")
      os.execute("sleep 0.2; rm -rf " .. q(prefix))
    end
  end)

  local function fetch(reply, size)
    local url = ("http://127.0.0.1:%d/v1/stream?size=%d&reply=%s"):format(port, size or 12, (reply:gsub("[^%w]",
      function(c) return ("%%%02X"):format(c:byte()) end)))
    local raw, err, st = proc.run("curl -sS -N --raw " .. q(url))
    assert.equal(0, st, err)
    return raw
  end

  it("strips thinking from a streamed reply, tags split across chunks", function()
    local chunks = assert(dechunk(fetch("Hello <think>the user wants a greeting</think>world!")))
    assert.equal("Hello world!", table.concat(chunks))
    -- streamed: a longer reply reaches the client in several chunks, not one buffered body
    -- (the secret redactor holds back only the last ~600 bytes, where a secret may still end)
    local words = string.rep("word ", 600)
    chunks = assert(dechunk(fetch("<think>plan</think>" .. words, 64)))
    assert.equal(words, table.concat(chunks))
    assert.is_true(#chunks >= 10, #chunks)
  end)

  it("passes replies without thinking through unchanged, and keeps a stray end tag", function()
    local text = "data: {\"delta\": \"no thinking here, a </think> stray tag and a < sign\"}\n\n"
    assert.equal(text, table.concat(assert(dechunk(fetch(text)))))
  end)

  it("masks a secret in the streamed reply, split across chunks", function()
    local an = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    local tok = "gh" .. "p_"
    for i = 1, 36 do tok = tok .. an:sub((i * 7) % #an + 1, (i * 7) % #an + 1) end
    local body = table.concat(assert(dechunk(fetch("Use <think>the key is " .. tok .. "</think>token " .. tok
      .. " to push."))))
    assert.equal("Use token [REDACTED:github-token] to push.", body)
  end)

  it("keeps each request's filter state apart", function()
    local a = table.concat(assert(dechunk(fetch("A<think>x</think>B"))))
    local b = table.concat(assert(dechunk(fetch("<thinking>y</thinking>C"))))
    assert.same({ "AB", "C" }, { a, b })
    assert.is_nil(proc.read_file(prefix .. "/error.log"):find("%[error%]"))
  end)
end)
