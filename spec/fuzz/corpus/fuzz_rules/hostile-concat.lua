local s = ('x'):rep(4e6) return s .. s .. s .. s .. s .. s .. s .. s
