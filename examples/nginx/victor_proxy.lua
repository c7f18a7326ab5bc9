--- victor_proxy: the body filter of examples/nginx/nginx.conf.in. Per request (ngx.ctx):
--- the response streams through victor.stream_filter (thinking blocks removed, a tag split
--- across chunks included), then through a victor.secrets redactor (every secret masked as
--- [REDACTED:rule-id]; only the bytes a secret still being matched needs are held back).
--- The scanner is compiled once per nginx worker.
local stream_filter = require "victor.stream_filter"
local secrets = require "victor.secrets"

local M = {}

local scanner -- compiled on first use, shared by the worker's requests

--- For body_filter_by_lua: rewrite ngx.arg[1] (the chunk) as it streams.
function M.body_filter()
  local ctx = ngx.ctx
  if not ctx.victor then
    if not scanner then scanner = assert(secrets.compile()) end
    ctx.victor = { filter = stream_filter.new(), redactor = scanner:redactor() }
  end
  local v = ctx.victor
  local chunk, eof = ngx.arg[1], ngx.arg[2]
  local content = v.filter:feed(chunk)
  local out = v.redactor:feed(content)
  if eof then
    out = out .. v.redactor:feed((v.filter:finish())) .. v.redactor:finish()
    v.filter:close()
  end
  ngx.arg[1] = out
end

return M
