-- chunks.lua: cut a string into random chunks for streaming specs.
-- chunks(r, s, maxc) -> array of pieces of 1..maxc bytes (maxc 1: every byte
-- alone), r a generator from support.rng; their concatenation is s.
return function(r, s, maxc)
  local out, i = {}, 1
  while i <= #s do
    local k = r(maxc) + 1
    out[#out + 1] = s:sub(i, i + k - 1)
    i = i + k
  end
  return out
end
