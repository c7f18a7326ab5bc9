local t = {} t[1] = t return { name = 'cyc', version = '1', rules = { t }, [t] = 1 }
