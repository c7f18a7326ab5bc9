return { name = 'min', version = '1', rules = {} }
