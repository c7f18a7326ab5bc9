string.rep = nil; table.insert = nil; x = 1; return { name = 'env', version = '1', rules = {} }
