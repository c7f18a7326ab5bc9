local function f(c) return (string.gsub(c, '.', f)) end return f('abc')
