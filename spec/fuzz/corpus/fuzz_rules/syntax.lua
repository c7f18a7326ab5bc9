-- A test pack with a syntax error on line 4.
return {
  name = "syntax",
  version = = "1",
  rules = {},
}
