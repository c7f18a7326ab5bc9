-- rng.lua: a deterministic generator (xorshift32) for specs, so failures reproduce
-- (math.random's sequence is not specified across Lua builds).
-- rng(seed) returns r, where r(n) is an integer in 0..n-1.
return function(seed)
  local x = seed
  return function(n)
    x = bit.bxor(x, bit.lshift(x, 13))
    x = bit.bxor(x, bit.rshift(x, 17))
    x = bit.bxor(x, bit.lshift(x, 5))
    return (x % n + n) % n
  end
end
