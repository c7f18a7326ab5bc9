-- Hangs the loader: table.insert with a far negative position shifts ~2^31 slots inside
-- one C call, where neither the instruction budget nor the CPU-time check can run.
local t = {} table.insert(t, -2147483647, 1) return t
