-- victor.rule_kinds: the registry of rule kinds, as declarative schemas.
--
-- Each entry maps a kind name (the `kind` field of a rule) to
--   { summary = "one line", fields = { <name> = <field spec>, ... } }
-- A field spec is a plain table:
--   type      "string" | "integer" | "number" | "boolean" | "array" | "table"
--   required  true if the rule must give the field (default false)
--   default   value filled in when the field is absent
--   min, max  bounds: the value for integer/number, the length for string/array
--   enum      list of the allowed values
--   of        for arrays: the field spec every element must satisfy
--   pattern   for strings: a Lua pattern the whole value must match (anchor it)
--   doc       one line of text for `victor-lua rules kinds` and the docs
-- The common fields `id`, `kind`, `description` and `enabled` belong to every rule and are defined
-- by victor.rules; a kind must not redefine them.
--
-- This file is data only (no functions), so that tools can print it. A new kernel that consumes
-- rules adds its kind here; victor.rules checks the schema itself when it is first used.

return {
  loop = {
    summary = "Tool-call loop detection: fire when the last calls repeat one call or a cycle of calls "
      .. "(A,A,A or A,B,A,B,A,B) `threshold` times in a row within the last `window` calls "
      .. "(victor.signature's LoopDetector).",
    fields = {
      tools = {
        type = "array", of = { type = "string", min = 1 },
        doc = "Tool names the rule watches; absent means every tool.",
      },
      window = {
        type = "integer", min = 2, max = 1024, default = 12,
        doc = "How many of the most recent tool calls are compared.",
      },
      threshold = {
        type = "integer", min = 2, max = 1000, default = 3,
        doc = "How many times in a row a cycle (one call, or a sequence of up to window/2 calls) "
          .. "must repeat for the rule to fire; it needs threshold x cycle length <= window.",
      },
      action = {
        type = "string", enum = { "warn", "block" }, default = "warn",
        doc = "What happens when the rule fires: warn (report, let the call run) or block (refuse it).",
      },
    },
  },

  thinking_tag = {
    summary = "A pair of tags that wrap a model's hidden thinking in streamed output (victor.stream_filter); "
      .. "matched as exact bytes, ASCII case-insensitively.",
    fields = {
      open = { type = "string", required = true, min = 1, max = 64, doc = "The tag that starts thinking text." },
      close = { type = "string", required = true, min = 1, max = 64, doc = "The tag that ends it." },
    },
  },

  circular_phrase = {
    summary = "Phrases of a reasoning model going in circles (\"let me check\"); victor.thinking reports a loop "
      .. "when one phrase's occurrences in the last `window` thoughts, times its weight, reach the "
      .. "thinking_defaults `circular` score.",
    fields = {
      phrases = {
        type = "array", required = true, min = 1, of = { type = "string", min = 1, max = 200 },
        doc = "The phrases; matched ASCII case-insensitively at word boundaries, with ' for \u{2019}.",
      },
      weight = {
        type = "number", min = 0.01, max = 100, default = 1,
        doc = "What one occurrence of any of these phrases adds to that phrase's score.",
      },
    },
  },

  stall_phrase = {
    summary = "Openings of a thought that state an intent without acting (\"let me\", \"now\"); "
      .. "victor.thinking reports a stall after `stalls` such thoughts in a row.",
    fields = {
      prefixes = {
        type = "array", required = true, min = 1, of = { type = "string", min = 1, max = 100 },
        doc = "Matched ASCII case-insensitively at the start of a thought, followed by an optional comma, "
          .. "spaces and a letter.",
      },
    },
  },

  thinking_defaults = {
    summary = "Settings of victor.thinking's loop detector (the last enabled rule of this kind wins; "
      .. "options given to thinking.detector win over it).",
    fields = {
      repeats = {
        type = "integer", min = 2, max = 1000, default = 3,
        doc = "Copies of a repeated thought (or run of thoughts) that make a loop.",
      },
      similarity = {
        type = "number", min = 0.01, max = 1, default = 0.65,
        doc = "Cosine of character 3-gram vectors at or above which two thoughts are near-repeats.",
      },
      window = {
        type = "integer", min = 2, max = 1024, default = 10,
        doc = "Recent thoughts searched for near-repeats and counted for circular phrases.",
      },
      stalls = {
        type = "integer", min = 1, max = 1000, default = 2,
        doc = "Stall-phrase thoughts in a row that make a stall.",
      },
      circular = {
        type = "number", min = 0.01, max = 1e6, default = 3,
        doc = "Score (occurrences x weight within the window) at which a circular phrase is a loop.",
      },
      max_period = {
        type = "integer", min = 16, max = 1048576, default = 8192,
        doc = "Longest repeated unit, in bytes, that exact and near repeats can find (bounds memory).",
      },
      min_bytes = {
        type = "integer", min = 1, max = 65536, default = 16,
        doc = "Shortest repeated unit, in bytes of normalised text, that counts as a loop.",
      },
    },
  },

  classifier_category = {
    summary = "Weighted keywords of one task category for victor.classifier: each occurrence (ASCII "
      .. "case-insensitive, whole words by default) adds its weight, more near the start of the prompt; "
      .. "a negation word shortly before it subtracts half instead. Several rules may feed one category.",
    fields = {
      category = {
        type = "string", required = true, min = 1, max = 64, pattern = "^[%w_%-]+$",
        doc = "The category's name (letters, digits, _ and -); categories rank in order of first appearance on ties.",
      },
      keywords = {
        type = "array", required = true, min = 1, of = { type = "string", min = 1, max = 200 },
        doc = "Words or phrases, matched leftmost-longest (a phrase beats a word it starts with); list "
          .. "inflections (test, tests, testing) since whole words are matched.",
      },
      weight = {
        type = "number", min = 0, max = 1000, default = 1,
        doc = "What one occurrence of any of these keywords adds to the category's score.",
      },
      budget = {
        type = "integer", min = 0, max = 100000,
        doc = "The tool-call budget recommended for the category (the last rule that gives one wins).",
      },
    },
  },

  classifier_defaults = {
    summary = "Settings of victor.classifier (the last enabled rule of this kind wins): negation words and "
      .. "window, position weight, confidence threshold, matching options.",
    fields = {
      negations = {
        type = "array", of = { type = "string", min = 1, max = 100 },
        default = { "don't", "do not", "dont", "shouldn't", "should not", "wouldn't", "would not", "can't",
          "cannot", "not", "never", "without", "avoid", "skip", "ignore" },
        doc = "Words that negate a keyword starting at most negation_window bytes after their start.",
      },
      negation_window = {
        type = "integer", min = 0, max = 100000, default = 20,
        doc = "Bytes from a negation word's start to a keyword's start within which the keyword is negated.",
      },
      position_weight = {
        type = "number", min = 0, max = 100, default = 0.1,
        doc = "A keyword at byte s of an L-byte prompt scores weight x (1 + position_weight x (1 - s/L)).",
      },
      min_confidence = {
        type = "number", min = 0, max = 1, default = 0.3,
        doc = "Below this share of the total score the prompt's type is default_category.",
      },
      default_category = {
        type = "string", min = 1, max = 64, default = "default",
        doc = "The type of a prompt with no score or too little confidence.",
      },
      default_budget = {
        type = "integer", min = 0, max = 100000, default = 20,
        doc = "The budget of default_category.",
      },
      word_boundary = {
        type = "boolean", default = true,
        doc = "Match keywords as whole words only ([A-Za-z0-9_] around them are not allowed).",
      },
      case_insensitive = {
        type = "boolean", default = true, doc = "Fold ASCII A-Z/a-z.",
      },
    },
  },

  secret = {
    summary = "A secret to find in text or files (victor.secrets, `victor-lua scan`): a PCRE2 regex run only "
      .. "near its keywords, its secret capture group gated by entropy and allowlists.",
    fields = {
      regex = {
        type = "string", min = 1, max = 4096,
        doc = "(Required, unless the rule overrides one by id.) PCRE2 pattern with RE2-compatible "
          .. "settings: ASCII \\w \\d \\b, $ only at the end, UTF-8 with invalid bytes allowed; (?i) for "
          .. "case-insensitive.",
      },
      keywords = {
        type = "array", of = { type = "string", min = 1, max = 64 },
        doc = "Literals (ASCII case-insensitive), one of which every match contains within limits.window "
          .. "bytes of its start; absent: the longest literal the regex requires (3+ bytes), else the rule "
          .. "runs over whole inputs.",
      },
      secret_group = {
        type = "integer", min = 0, max = 99, default = 0,
        doc = "Capture group holding the secret (0: the whole match): what is masked, gated and fingerprinted.",
      },
      entropy = {
        type = "number", min = 0, max = 8, default = 0,
        doc = "Minimum Shannon entropy of the secret, in bits per byte (0: no gate).",
      },
      severity = {
        type = "string", enum = { "critical", "high", "medium", "low" }, default = "high",
        doc = "Reported severity (SARIF level: critical/high = error, medium = warning, low = note).",
      },
      allow = {
        type = "table", default = {},
        doc = "Allowlists: { regexes = {...} (a secret one matches is dropped), stopwords = {...} (a secret "
          .. "containing one, ASCII case-insensitively, is dropped), paths = {...} (regexes on the file name: "
          .. "the rule is skipped for those files) }.",
      },
      limits = {
        type = "table", default = {},
        doc = "{ window = bytes a match may start before its keyword (default 64), match = PCRE2 match limit "
          .. "(default 100000), depth = PCRE2 depth limit (default 1000) }; a rule over a limit is reported "
          .. "(ELIMIT) and the scan goes on.",
      },
    },
  },

  response_pattern = {
    summary = "A pattern in a model's response for victor.sanitize (rules/validation.lua): text to delete, "
      .. "leaked system-prompt phrases, lines to drop, or a sign of garbage output; a PCRE2 regex run near "
      .. "its keywords (as `secret` rules are).",
    fields = {
      regex = { type = "string", required = true, min = 1, max = 4096, doc = "PCRE2 pattern (same settings as "
        .. "`secret` rules); (?i) for case-insensitive, (?m) for ^ and $ at line ends." },
      keywords = { type = "array", of = { type = "string", min = 1, max = 64 },
        doc = "Literals one of which every match contains (ASCII case-insensitive); absent: derived." },
      action = {
        type = "string", required = true, enum = { "delete", "leak", "drop_line", "garbage" },
        doc = "delete: remove the match; leak: remove it and report it (sanitize.leaks); drop_line: "
          .. "remove the whole lines it touches; garbage: the response is garbage (sanitize.is_garbage).",
      },
      window = { type = "integer", min = 0, max = 4096, default = 64,
        doc = "Bytes a match may start before its keyword." },
    },
  },
}
