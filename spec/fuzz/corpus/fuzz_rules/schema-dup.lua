return { name = 'd', version = '1', rules = { { id = 'a', kind = 'loop' }, { id = 'a', kind = 'loop' } }, source = 'x' }
