local s = ('a'):rep(3000) return { s:find('.-.-.-.-b') }
