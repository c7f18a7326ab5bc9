-- rules/classifier.lua: the task-classifier rule pack of victor-lua (victor.classifier).
--
-- Same format as rules/default.lua (read its header). The kinds used here:
--   classifier_category  category, keywords, weight, budget   weighted keywords of one category
--   classifier_defaults  negations, negation_window, position_weight, min_confidence,
--                        default_category, default_budget, word_boundary, case_insensitive
-- To add keywords without recompiling, load a pack beside the defaults:
--   return { name = "mine", version = "1", rules = {
--     { id = "cls-action-ship", kind = "classifier_category", category = "action", weight = 0.9,
--       keywords = { "ship", "ships", "shipping" } },
--     { id = "cls-defaults", kind = "classifier_defaults", min_confidence = 0.4 },  -- override one setting
--   } }
--
-- Source: Victor's native classifier (classifier.rs; reference §7): its five categories, its keyword
-- weights (one rule per category and weight), its negation words, window (20 bytes) and position
-- weight (0.1), the 0.3 confidence threshold and the tool budgets (Action 15, Analysis 30,
-- Generation 20, Search 10, Edit 15, Default 20). Fixed here: keywords are whole words (Victor
-- matched substrings, so "latest" was "test", "news" was "new", "address" was "add" and "noted"
-- negated with "not"); since whole words are matched, each verb also lists its inflections with
-- the same weight (Victor's substring match found "tests" and "testing" through "test").

local function rule(cat, weight, keywords, budget)
  return { id = "cls-" .. cat .. "-" .. string.format("%g", weight):gsub("%.", ""), kind = "classifier_category",
    category = cat, weight = weight, keywords = keywords, budget = budget }
end

return {
  name = "classifier",
  version = "1.0",
  description = "Task categories, weighted keywords and settings of the prompt classifier (Victor's).",
  rules = {
    rule("action", 1.0, { "execute", "executes", "executing", "apply", "applies", "applying", "deploy", "deploys",
      "deploying" }, 15),
    rule("action", 0.9, { "run", "runs", "running", "install", "installs", "installing", "commit", "commits",
      "committing" }),
    rule("action", 0.8, { "build", "builds", "building", "restart", "restarts", "restarting", "test", "tests",
      "testing", "push", "pushes", "pushing", "merge", "merges", "merging" }),
    rule("action", 0.7, { "start", "starts", "starting", "stop", "stops", "stopping", "pull", "pulls", "pulling" }),

    rule("analysis", 1.0, { "analyze", "analyzes", "analyzing", "analyse", "explore", "explores", "exploring" }, 30),
    rule("analysis", 0.9, { "review", "reviews", "reviewing", "understand", "understanding", "explain", "explains",
      "explaining", "investigate", "investigating", "examine", "examining" }),
    rule("analysis", 0.8, { "describe", "describes", "describing", "study", "studying", "assess", "assessing",
      "evaluate", "evaluating", "summarize", "summarise", "summarizing", "what is", "what does", "how does" }),
    rule("analysis", 0.7, { "overview", "why does" }),

    rule("generation", 1.0, { "create", "creates", "creating", "generate", "generates", "generating", "implement",
      "implements", "implementing" }, 20),
    rule("generation", 0.9, { "write", "writes", "writing", "scaffold", "scaffolding", "bootstrap",
      "bootstrapping" }),
    rule("generation", 0.8, { "add", "adds", "adding", "initialize", "initialise", "initializing", "setup", "set up" }),
    rule("generation", 0.7, { "new" }),

    rule("search", 1.0, { "find", "finds", "finding", "search", "searches", "searching", "grep" }, 10),
    rule("search", 0.9, { "locate", "locating", "look for", "looking for", "where is", "where are" }),
    rule("search", 0.8, { "which file", "which files" }),
    rule("search", 0.7, { "list", "lists", "listing" }),

    rule("edit", 1.0, { "modify", "modifies", "modifying", "refactor", "refactors", "refactoring", "fix", "fixes",
      "fixing" }, 15),
    rule("edit", 0.9, { "update", "updates", "updating", "edit", "edits", "editing", "rename", "renames", "renaming",
      "replace", "replaces", "replacing", "optimize", "optimise", "optimizing", "debug", "debugging" }),
    rule("edit", 0.8, { "change", "changes", "changing", "delete", "deletes", "deleting", "remove", "removes",
      "removing", "improve", "improves", "improving", "clean up" }),
    rule("edit", 0.7, { "move", "moves", "moving" }),

    {
      id = "cls-defaults",
      kind = "classifier_defaults",
      description = "Victor's negation words, 20-byte negation window, 0.1 position weight and 0.3 threshold.",
      negations = { "don't", "do not", "dont", "shouldn't", "should not", "wouldn't", "would not", "can't", "cannot",
        "not", "never", "without", "avoid", "skip", "ignore" },
      negation_window = 20,
      position_weight = 0.1,
      min_confidence = 0.3,
      default_category = "default",
      default_budget = 20,
    },
  },
}
