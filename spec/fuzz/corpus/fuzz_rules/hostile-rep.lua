return string.rep('ab', 1e9, ',')
