-- Prints a report line per item file given on the command line.
local M = {}

local function read_rows(path)
  local rows = {}
  for line in io.lines(path) do
    local sku, cents = line:match("^([^,]+),(%d+)$")
    rows[#rows + 1] = { sku = sku, cents = tonumber(cents) }
  end
  return rows
end

function M.total(path)
  local sum = 0
  for _, r in ipairs(read_rows(path)) do sum = sum + r.cents end
  return sum
end

return M
