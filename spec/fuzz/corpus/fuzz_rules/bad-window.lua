-- An invalid test pack: rule 'x' (#2) has a window below the minimum.
return {
  name = "bad",
  version = "1",
  rules = {
    { id = "ok", kind = "loop" },
    { id = "x", kind = "loop", window = 1 },
  },
}
