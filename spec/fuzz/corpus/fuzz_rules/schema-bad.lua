return { name = 'n', version = '1', rules = { { id = 'a', kind = 'loop', tools = { 'x', 'y' }, window = 1/0, threshold = 0/0, action = 'explode', extra = true } } }
