-- ci_output.lua: busted output handler = the plain terminal handler plus a closing
-- line "busted: N passed, N failed, N skipped". When VL_COUNTS_FILE is set, the
-- counts are also appended there ("passed failed skipped") for scripts/run-specs.sh.
return function(options)
  local busted = require "busted"
  local handler = require "busted.outputHandlers.plainTerminal"(options)
  busted.subscribe({ "suite", "end" }, function()
    local passed = handler.successesCount
    local failed = handler.failuresCount + handler.errorsCount
    local skipped = handler.pendingsCount
    io.write(string.format("\nbusted: %d passed, %d failed, %d skipped\n", passed, failed, skipped))
    local path = os.getenv("VL_COUNTS_FILE")
    if path then
      local f = io.open(path, "a")
      if f then
        f:write(string.format("%d %d %d\n", passed, failed, skipped))
        f:close()
      end
    end
    return nil, true
  end)
  return handler
end
