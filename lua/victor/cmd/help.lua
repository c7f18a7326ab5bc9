--- `victor-lua help [COMMAND]`: list the commands, or show one command's help.
local cli = require "victor.cli"

local M = { name = "help", summary = "list the commands, or show a command's help" }

function M.run(argv, out, err)
  out = out or function(s) io.stdout:write(s) end
  err = err or function(s) io.stderr:write(s) end
  local name = argv[1]
  if name == "-h" or name == "--help" then
    out("usage: victor-lua help [COMMAND]\n\nLists the commands with a line each, or shows COMMAND's help\n"
      .. "(the same as 'victor-lua COMMAND --help').\n\nExamples:\n  victor-lua help\n  victor-lua help scan\n")
    return 0
  end
  if not name then
    out("usage: victor-lua [options] [script.lua | - [args...]]\n       victor-lua COMMAND [args...]\n\n")
    out(cli.commands_text())
    return 0
  end
  local cmd, msg = cli.find(name)
  if not cmd then
    err("victor-lua: " .. msg .. "\n")
    return 2
  end
  return cmd.run({ "--help" }, out, err)
end

return M
