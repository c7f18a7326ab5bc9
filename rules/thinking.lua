-- rules/thinking.lua: the thinking rule pack of victor-lua: the tags that wrap a reasoning model's
-- hidden thoughts (for victor.stream_filter), and the phrases and settings of the thinking-loop
-- detector (victor.thinking).
--
-- Same format as rules/default.lua (read its header): a sandboxed Lua file returning one table,
-- checked against the kinds' schemas (`victor-lua rules kinds`). The kinds used here:
--   thinking_tag       open, close        a pair of tags; add your model's tags in your own pack
--   circular_phrase    phrases, weight    phrases of a model going in circles, and their weight
--   stall_phrase       prefixes           thought openings that state intent without acting
--   thinking_defaults  repeats, similarity, window, stalls, circular, max_period, min_bytes
-- To add a tag without recompiling, load a pack beside the defaults:
--   return { name = "mine", version = "1", rules = {
--     { id = "tag-mymodel", kind = "thinking_tag", open = "<scratchpad>", close = "</scratchpad>" },
--     { id = "thinking-defaults", kind = "thinking_defaults", repeats = 4 },  -- override one setting
--   } }
--
-- Sources: the tag set and the phrase lists are Victor's (streaming_filter.rs, thinking.rs; see
-- the reference §5-6); the detector settings are Victor's production ones (3 repeats, 0.65
-- similarity, window 10, 2 stalls). The weights are ours: 1 for phrases that name an action the
-- model keeps announcing (read, check, look at, examine, see), 0.5 for sequencing words that also
-- open ordinary reasoning.

return {
  name = "thinking",
  version = "1.0",
  description = "Thinking tags of reasoning models, and the phrases and settings of the thinking-loop detector.",
  rules = {
    -- Tag pairs, in Victor's order first (DeepSeek full-width, DeepSeek ASCII, Qwen3), then others.
    {
      id = "tag-deepseek",
      kind = "thinking_tag",
      description = "DeepSeek, with U+FF5C FULLWIDTH VERTICAL LINE and U+2581 LOWER ONE EIGHTH BLOCK.",
      open = "<\239\189\156begin\226\150\129of\226\150\129thinking\239\189\156>",
      close = "<\239\189\156end\226\150\129of\226\150\129thinking\239\189\156>",
    },
    {
      id = "tag-deepseek-ascii",
      kind = "thinking_tag",
      description = "DeepSeek, ASCII spelling.",
      open = "<|begin_of_thinking|>",
      close = "<|end_of_thinking|>",
    },
    { id = "tag-think", kind = "thinking_tag", description = "Qwen3, DeepSeek-R1 and many others.",
      open = "<think>", close = "</think>" },
    { id = "tag-thinking", kind = "thinking_tag", open = "<thinking>", close = "</thinking>" },
    { id = "tag-reasoning", kind = "thinking_tag", open = "<reasoning>", close = "</reasoning>" },
    { id = "tag-reflection", kind = "thinking_tag", open = "<reflection>", close = "</reflection>" },
    { id = "tag-thought", kind = "thinking_tag", description = "OpenThoughts / Bespoke-Stratos style.",
      open = "<|begin_of_thought|>", close = "<|end_of_thought|>" },
    { id = "tag-seed", kind = "thinking_tag", description = "ByteDance Seed-OSS.",
      open = "<seed:think>", close = "</seed:think>" },

    -- Circular phrases: Victor's 31 (its list has "i need to read" twice).
    {
      id = "circular-action",
      kind = "circular_phrase",
      description = "Announcing the same look-up again and again.",
      phrases = { "let me read", "let me check", "let me look at", "let me examine", "let me see",
        "i need to read", "i need to check", "i need to look at", "i need to examine", "i need to see",
        "let me actually use", "let me use the", "i'll actually read", "i'll read", "i will read",
        "i should read", "i should examine", "i should check", "i should look" },
      weight = 1,
    },
    {
      id = "circular-sequencing",
      kind = "circular_phrase",
      description = "Sequencing words that also open ordinary reasoning: they count half.",
      phrases = { "first let me", "now let me", "let me first", "let me start by", "i'll need to",
        "i will need to", "i'll have to", "i will have to", "now i'll", "now i will", "let me continue",
        "let me proceed" },
      weight = 0.5,
    },

    -- Stall openings: Victor's seven.
    {
      id = "stall-intent",
      kind = "stall_phrase",
      description = "A thought that only states what the model is about to do.",
      prefixes = { "let me", "i'll", "i will", "i need to", "i should", "now", "first" },
    },

    {
      id = "thinking-defaults",
      kind = "thinking_defaults",
      description = "Victor's production settings (3 repeats, 0.65 similarity, window 10, 2 stalls).",
      repeats = 3,
      similarity = 0.65,
      window = 10,
      stalls = 2,
      circular = 3,
      max_period = 8192,
      min_bytes = 16,
    },
  },
}
