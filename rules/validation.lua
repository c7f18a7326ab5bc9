-- rules/validation.lua: response validation and sanitising rules of victor-lua (kind
-- `response_pattern`; victor.sanitize).
--
-- Same format as rules/default.lua (read its header). A `response_pattern` rule has:
--   regex     PCRE2 (same settings as `secret` rules: ASCII \w \b, UTF-8); (?i) case-insensitive,
--             (?m) for ^ and $ at line ends
--   keywords  literals, one of which every match contains (absent: derived from the regex)
--   action    delete     remove the match
--             leak       remove the match and report it (sanitize.leaks): leaked system-prompt text
--             drop_line  remove every line the match touches
--             garbage    the response is garbage (sanitize.is_garbage names the rule)
--   window    bytes a match may start before its keyword (default 64)
--
-- Sources: Victor's sanitizer (sanitizer.rs; reference §10): its seven cleanup regexes, six thinking
-- markers, seven leakage phrases, two line filters and seven garbage signs. Fixed here:
--   - tags "starting with" function/parameter/tool/IMPORTANT ate <toolbar> and <tools>: now the name
--     must end there or continue with _ or = (<tool_call>, <function=x>, <parameter=y>);
--   - the inline JSON tool call allowed no nested braces at all; now one level of nesting;
--   - the Python fallback lacked "or additional" and [END_TOOL_REQUEST]; both are here.

return {
  name = "validation",
  version = "1.0",
  description = "Response sanitising: tool-call debris, thinking markers, leaked prompt text, garbage signs.",
  rules = {
    -- cleanup (delete) -------------------------------------------------------------------------
    { id = "closing-tag-run", kind = "response_pattern", action = "delete", keywords = { "</" },
      description = "A run of three or more closing tags.",
      regex = [[(?:</[A-Za-z_][\w:-]*>\s*){3,}]], window = 0 },
    { id = "tool-markup-tag", kind = "response_pattern", action = "delete",
      keywords = { "function", "parameter", "tool", "important" },
      description = "Opening or closing tool-call markup tags (<function=x>, </parameter>, <tool_call>, <IMPORTANT>).",
      regex = [[</?(?:function|parameter|tool|IMPORTANT)(?:[_=][^<>\n]*)?(?:\s[^<>\n]*)?>]], window = 2 },
    { id = "inline-json-tool-call", kind = "response_pattern", action = "delete", keywords = { '"arguments"' },
      description = "An inline JSON tool call {\"name\": \"...\", \"arguments\": {...}}.",
      regex = [[\{\s*"name"\s*:\s*"[^"\n]*"\s*,\s*"arguments"\s*:\s*\{(?:[^{}]|\{[^{}]*\})*\}\s*\}]],
      window = 200 },
    { id = "thinking-markers", kind = "response_pattern", action = "delete",
      keywords = { "think", "reasoning", "begin_of_thinking", "end_of_thinking" },
      description = "Thinking markers (the text between them is kept).",
      regex = [[</?(?:think|thinking|reasoning)>|<\|(?:begin|end)_of_thinking\|>]], window = 2 },
    -- leaked system-prompt phrases (to the end of the line) ----------------------------------------
    { id = "no_new_params", kind = "response_pattern", action = "leak", keywords = { "do not invent" },
      regex = [[(?i)Do not invent any new (?:or additional )?parameters[^\n]*]], window = 0 },
    { id = "string_params", kind = "response_pattern", action = "leak", keywords = { "parameter value" },
      regex = [[(?i)The parameter value should be passed as a string[^\n]*]], window = 4 },
    { id = "multiple_funcs", kind = "response_pattern", action = "leak", keywords = { "call multiple functions" },
      regex = [[(?i)If you want to call multiple functions[^\n]*]], window = 16 },
    { id = "no_surround", kind = "response_pattern", action = "leak", keywords = { "surround the function" },
      regex = [[(?i)Do NOT surround the function call[^\n]*]], window = 8 },
    { id = "required_params", kind = "response_pattern", action = "leak", keywords = { "parameters are required" },
      regex = [[(?i)All parameters are required unless[^\n]*]], window = 4 },
    { id = "no_direct_access", kind = "response_pattern", action = "leak", keywords = { "not allowed to directly" },
      regex = [[(?i)The agent is not allowed to directly access[^\n]*]], window = 16 },
    { id = "begin_list_dir", kind = "response_pattern", action = "leak", keywords = { "begin by calling" },
      regex = [[(?i)Begin by calling (?:list_directory|ls)\b[^\n]*]], window = 0 },
    -- lines to drop --------------------------------------------------------------------------------
    { id = "json-call-line", kind = "response_pattern", action = "drop_line", keywords = { '{"name":' },
      description = "A line that starts with {\"name\": (a tool call written as text).",
      regex = [[(?m)^[ \t]*\{"name":]], window = 64 },
    { id = "closing-tag-line", kind = "response_pattern", action = "drop_line", keywords = { "</" },
      description = "A line that starts with a closing tag.",
      regex = [[(?m)^[ \t]*</]], window = 64 },
    { id = "parameter-line", kind = "response_pattern", action = "drop_line", keywords = { "parameter" },
      description = "A line that starts with parameter= or <parameter.",
      regex = [==[(?m)^[ \t]*<?parameter[=\s>]]==], window = 64 },
    -- garbage signs ---------------------------------------------------------------------------------
    { id = "function-call-brace", kind = "response_pattern", action = "garbage", keywords = { "function_call" },
      regex = [[FUNCTION_CALL\s*\{]], window = 0 },
    { id = "double-function-close", kind = "response_pattern", action = "garbage", keywords = { "</function>" },
      regex = [[</function>\s*</function>]], window = 0 },
    { id = "parameter-tag", kind = "response_pattern", action = "garbage", keywords = { "<parameter" },
      regex = [[<parameter[^>\n]*>]], window = 0 },
    { id = "json-call-at-line-start", kind = "response_pattern", action = "garbage", keywords = { '"arguments"' },
      regex = [[(?m)^\s*\{"name":\s*"[^"\n]*",\s*"arguments":]], window = 200 },
    { id = "instruction-line", kind = "response_pattern", action = "garbage",
      keywords = { "<important>", "do not", "never" },
      regex = [[(?m)^\s*(?:<IMPORTANT>|Do NOT\s|NEVER\s)]], window = 64 },
    { id = "tool-request-marker", kind = "response_pattern", action = "garbage", keywords = { "tool_request]" },
      regex = [==[\[(?:END_)?TOOL_REQUEST\]]==], window = 6 },
  },
}
