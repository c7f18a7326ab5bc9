-- rules/secrets.lua: the secret-scanning rule pack of victor-lua (kind `secret`; victor.secrets and
-- `victor-lua scan`).
--
-- Same format as rules/default.lua (read its header). A `secret` rule has:
--   regex         PCRE2 with RE2-compatible settings (ASCII \w \d \b, $ = end of input, UTF-8 with
--                 invalid bytes allowed); write (?i) for case-insensitive parts, (?-i:...) to undo it
--   keywords      literals, ASCII case-insensitive; the regex only runs where one occurs (a match must
--                 contain one within limits.window bytes of its start). Absent: derived from the regex.
--   secret_group  the capture group that is the secret (masked, entropy-gated, fingerprinted)
--   entropy       minimum Shannon entropy of the secret, bits per byte (random base62 is about 5)
--   severity      critical | high | medium | low
--   allow         { regexes = {...}, stopwords = {...}, paths = {...} }
--   limits        { window = 64, match = 100000, depth = 1000 }
-- Override one rule from your own pack by id (e.g. switch it off, or add stopwords):
--   return { name = "mine", version = "1", rules = {
--     { id = "generic-password", kind = "secret", enabled = false },
--   } }
--
-- The first 20 rules are Victor's 20 kinds (secrets.rs; reference §9), renamed to ids, with these
-- bugs fixed:
--   aws-access-key      Victor was case-insensitive (matched "akia..."), had no boundaries and took any
--                       [0-9A-Z]; now case-sensitive, the real prefixes (AKIA ASIA ABIA ACCA A3T?) and
--                       base32 body [A-Z2-7]{16}, word boundaries, AWS's documented EXAMPLE keys allowed.
--   aws-secret-key      the match included the "aws..." prefix and needed quotes; now the secret is the
--                       40-byte value (group), quotes optional, entropy >= 4, not inside a longer run.
--   openai-api-key(-v2) no boundaries; v2 is kept for sk-proj- keys of 80+ bytes.
--   anthropic-api-key   accepted any 20 bytes after "sk-ant-"; now sk-ant-<kind><2 digits>-..., entropy.
--   google-api-key      matched inside longer strings; now ends at a non-token byte.
--   github-token        overlapped github-oauth (a gho_ token was reported twice) and took 36+ bytes
--                       with '_'; now ghp/ghu/ghs/ghr tokens of exactly 36 base62 bytes.
--   github-oauth        gho_ only, exact length, boundaries.
--   slack-token         accepted an empty or arbitrary tail and missed xoxe/xoxo; now 1-3 numeric
--                       parts and a 24-64 byte alphanumeric tail.
--   slack-webhook       required /B (missed workflow and trigger URLs); now services, workflows, triggers.
--   discord-token       Unicode \w and no context (fired on any long dotted base64); now needs "discord"
--                       nearby, ASCII classes.
--   private-key         only RSA/EC/DSA/OPENSSH headers and the header alone; now every PEM, OpenSSH,
--                       PKCS#8 (ENCRYPTED) and PGP private block, the base64 body being the secret.
--   database-url        missed postgresql:// and mongodb+srv://; now also mariadb, rediss, amqp(s),
--                       mssql; the secret is the password, placeholder passwords are allowed.
--   generic-api-key     took unquoted code (api_key = get_key()) and the whole span; now a quoted value
--                       of 16-128 bytes with entropy >= 3.5, stopwords for placeholders.
--   generic-password    fired on "secret: topsecretvalue", inside aws_secret, and on source noise
--                       (password = get_password(), "changeme"); now a quoted literal assigned to a
--                       *password/passwd/pwd/passphrase name, 8-128 bytes, entropy >= 3, stopwords.
--   jwt                 no boundaries, empty parts allowed; now three parts of 10+ bytes.
--   stripe-key          reported publishable pk_ keys (public by design); now sk_ and rk_ keys.
--   twilio-key          matched any "AC" + 32 hex (an account SID, not a secret, and inside longer hex);
--                       now an API key or auth token near "twilio", with boundaries.
--   sendgrid-key        no boundaries.
--   heroku-api-key      needed quotes and lowercase hex; now ':' or '=' with optional quotes, any hex
--                       case, plus the HRKU- token format (heroku-api-key-v2).
-- Fake secrets for tests are built in spec/secrets_spec.lua by concatenation, never written whole here.

local WORD_END = [[(?![A-Za-z0-9_-])]]
local ASSIGN = [[['"]?\s{0,5}(?::=|=>|[:=])\s{0,5}]]
local PLACEHOLDERS = { "example", "changeme", "change_me", "placeholder", "your_", "your-", "xxxxx", "*****",
  "${", "{{", "<", "redacted", "dummy", "sample", "insert", "todo", "fixme", "foobar", "secret123" }

return {
  name = "secrets",
  version = "1.0",
  description = "Secret-scanning rules: Victor's 20 kinds (fixed) and the major providers.",
  rules = {
    -- Victor's 20 kinds ---------------------------------------------------------------------------
    {
      id = "aws-access-key", kind = "secret", severity = "high",
      description = "AWS access key id.",
      regex = [[\b((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})\b]],
      keywords = { "akia", "asia", "abia", "acca", "a3t" },
      secret_group = 1, entropy = 3,
      allow = { regexes = { [[EXAMPLE$]] } },
    },
    {
      id = "aws-secret-key", kind = "secret", severity = "critical",
      description = "AWS secret access key assigned to an aws/amazon name.",
      regex = [[(?i)\b(?:aws|amazon)[\w.-]{0,30}]] .. ASSIGN .. [[['"]?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])]],
      keywords = { "aws", "amazon" },
      secret_group = 1, entropy = 4,
      allow = { stopwords = PLACEHOLDERS, regexes = { [[EXAMPLEKEY$]] } },
    },
    {
      id = "openai-api-key", kind = "secret", severity = "high",
      description = "OpenAI API key (legacy and project keys carrying the T3BlbkFJ marker).",
      regex = [[\b(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,})]] .. WORD_END,
      keywords = { "t3blbkfj" },
      secret_group = 1, entropy = 3,
      limits = { window = 256 },
    },
    {
      id = "openai-api-key-v2", kind = "secret", severity = "high",
      description = "OpenAI project key (sk-proj-, 80+ bytes).",
      regex = [[\b(sk-proj-[A-Za-z0-9_-]{80,})]] .. WORD_END,
      keywords = { "sk-proj-" },
      secret_group = 1, entropy = 3,
    },
    {
      id = "anthropic-api-key", kind = "secret", severity = "high",
      description = "Anthropic API or admin key.",
      regex = [[\b(sk-ant-[a-z]{2,10}[0-9]{2}-[A-Za-z0-9_-]{20,})]] .. WORD_END,
      keywords = { "sk-ant-" },
      secret_group = 1, entropy = 3,
    },
    {
      id = "google-api-key", kind = "secret", severity = "high",
      description = "Google API key.",
      regex = [[\b(AIza[0-9A-Za-z_-]{35})]] .. WORD_END,
      keywords = { "aiza" },
      secret_group = 1, entropy = 3,
    },
    {
      id = "github-token", kind = "secret", severity = "high",
      description = "GitHub classic token (personal, user-to-server, server-to-server, refresh).",
      regex = [[\b((?:ghp|ghu|ghs|ghr)_[A-Za-z0-9]{36})\b]],
      keywords = { "ghp_", "ghu_", "ghs_", "ghr_" },
      secret_group = 1, entropy = 3,
    },
    {
      id = "github-oauth", kind = "secret", severity = "high",
      description = "GitHub OAuth access token.",
      regex = [[\b(gho_[A-Za-z0-9]{36})\b]],
      keywords = { "gho_" },
      secret_group = 1, entropy = 3,
    },
    {
      id = "slack-token", kind = "secret", severity = "high",
      description = "Slack bot, user, app-level or refresh token.",
      regex = [[\b(xox[baprseo]-(?:[0-9]{10,13}-){1,3}[A-Za-z0-9]{24,64})\b]],
      keywords = { "xox" },
      secret_group = 1, entropy = 3,
    },
    {
      id = "slack-webhook", kind = "secret", severity = "medium",
      description = "Slack incoming webhook, workflow or trigger URL.",
      regex = [[(https://hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]+/B?[A-Z0-9]+/([A-Za-z0-9]{16,}))]],
      keywords = { "hooks.slack.com" },
      secret_group = 2, entropy = 3,
      limits = { window = 16 },
    },
    {
      id = "discord-token", kind = "secret", severity = "high",
      description = "Discord bot token near the word discord.",
      regex = [[(?i)\bdiscord[\w.-]{0,30}]] .. ASSIGN
        .. [[['"]?((?-i:[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}))]] .. WORD_END,
      keywords = { "discord" },
      secret_group = 1, entropy = 3.5,
    },
    {
      id = "private-key", kind = "secret", severity = "critical",
      description = "Private key block: PEM (RSA, EC, DSA, PKCS#8, ENCRYPTED), OpenSSH or PGP.",
      regex = [[-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----\s*(?:[A-Za-z-]{1,40}: ?[^\n]{0,200}\n\s*)*]]
        .. [[([A-Za-z0-9+/=\s]{64,16384})]],
      keywords = { "-----begin" },
      secret_group = 1, entropy = 4,
      limits = { window = 0 },
    },
    {
      id = "database-url", kind = "secret", severity = "critical",
      description = "Database or broker URL with a password (postgres, postgresql, mysql, mariadb, "
        .. "mongodb, mongodb+srv, redis, rediss, amqp, amqps, mssql).",
      regex = [[(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver)]]
        .. [[://[^\s:@/'"]*:([^\s:@/'"]+)@[^\s/'"]+]],
      keywords = { "postgres", "mysql", "mariadb", "mongodb", "redis", "amqp", "mssql", "sqlserver" },
      secret_group = 1, entropy = 1.5,
      allow = { stopwords = { "password", "passwd", "changeme", "example", "placeholder", "${", "{{", "<", "%s",
        "xxxx", "****", "secret", "dummy" } },
      limits = { window = 0 },
    },
    {
      id = "generic-api-key", kind = "secret", severity = "medium",
      description = "A quoted high-entropy value assigned to an api key, token or client secret name.",
      regex = [[(?i)\b(?:api[_-]?(?:key|secret|token)|access[_-]?token|auth[_-]?token|client[_-]?secret|]]
        .. [[secret[_-]?key)\w{0,20}]] .. ASSIGN .. [[(['"])([A-Za-z0-9_\-./+=]{16,128})\1]],
      keywords = { "apikey", "api_key", "api-key", "apisecret", "api_secret", "api-secret", "apitoken",
        "api_token", "api-token", "accesstoken", "access_token", "access-token", "authtoken", "auth_token",
        "auth-token", "clientsecret", "client_secret", "client-secret", "secretkey", "secret_key", "secret-key" },
      secret_group = 2, entropy = 3.5,
      allow = { stopwords = PLACEHOLDERS },
    },
    {
      id = "generic-password", kind = "secret", severity = "medium",
      description = "A quoted literal of 8+ bytes with some entropy assigned to a password-like name.",
      regex = [[(?i)\b[\w.-]{0,20}(?:password|passwd|pwd|passphrase)[\w.-]{0,10}]] .. ASSIGN
        .. [[(['"])([^\s'"\\]{8,128})\1]],
      keywords = { "password", "passwd", "pwd", "passphrase" },
      secret_group = 2, entropy = 3,
      allow = { stopwords = { "example", "changeme", "change_me", "placeholder", "your_", "your-", "xxxxx",
        "*****", "${", "{{", "<", "%s", "%(", "redacted", "dummy", "sample", "password", "passwd", "todo",
        "fixme", "secret", "hunter2", "letmein", "qwerty", "123456", "abcdef", "test" } },
    },
    {
      id = "jwt", kind = "secret", severity = "medium",
      description = "JSON Web Token (header and payload both base64url JSON objects).",
      regex = [[\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})]] .. WORD_END,
      keywords = { "eyj" },
      secret_group = 1, entropy = 3,
    },
    {
      id = "stripe-key", kind = "secret", severity = "high",
      description = "Stripe secret or restricted key (live or test; publishable pk_ keys are public).",
      regex = [[\b((?:sk|rk)_(?:live|test)_[A-Za-z0-9]{24,99})\b]],
      keywords = { "sk_live_", "sk_test_", "rk_live_", "rk_test_" },
      secret_group = 1, entropy = 3,
    },
    {
      id = "twilio-key", kind = "secret", severity = "high",
      description = "Twilio API key (SK...) or auth token near the word twilio.",
      regex = [[(?i)\btwilio[\w.-]{0,30}]] .. ASSIGN .. [[['"]?((?-i:SK)[0-9a-fA-F]{32}|[0-9a-f]{32})\b]],
      keywords = { "twilio" },
      secret_group = 1, entropy = 3,
    },
    {
      id = "sendgrid-key", kind = "secret", severity = "high",
      description = "SendGrid API key.",
      regex = [[\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})]] .. WORD_END,
      keywords = { "sg." },
      secret_group = 1, entropy = 3,
    },
    {
      id = "heroku-api-key", kind = "secret", severity = "high",
      description = "Heroku API key (a UUID assigned to a heroku name).",
      regex = [[(?i)\bheroku[\w.-]{0,30}]] .. ASSIGN
        .. [[['"]?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b]],
      keywords = { "heroku" },
      secret_group = 1, entropy = 3,
    },
    -- More providers -----------------------------------------------------------------------------
    {
      id = "heroku-api-key-v2", kind = "secret", severity = "high",
      description = "Heroku platform token (HRKU-).",
      regex = [[\b(HRKU-[A-Za-z0-9_-]{60})]] .. WORD_END,
      keywords = { "hrku-" },
      secret_group = 1, entropy = 3,
    },
    {
      id = "github-fine-grained-pat", kind = "secret", severity = "high",
      description = "GitHub fine-grained personal access token.",
      regex = [[\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b]],
      keywords = { "github_pat_" },
      secret_group = 1, entropy = 3,
    },
    {
      id = "gitlab-token", kind = "secret", severity = "high",
      description = "GitLab personal, deploy, runner, pipeline-trigger, feed or service-account token.",
      regex = [[\b((?:glpat|gldt|glrt|glptt|glft|glsoat)-[A-Za-z0-9_-]{20,64})]] .. WORD_END,
      keywords = { "glpat-", "gldt-", "glrt-", "glptt-", "glft-", "glsoat-" },
      secret_group = 1, entropy = 3,
    },
    {
      id = "slack-app-token", kind = "secret", severity = "high",
      description = "Slack app-level token (xapp-).",
      regex = [[\b(xapp-[0-9]-[A-Z0-9]{8,16}-[0-9]{10,16}-[a-f0-9]{32,80})\b]],
      keywords = { "xapp-" },
      secret_group = 1, entropy = 3,
    },
    {
      id = "gcp-service-account", kind = "secret", severity = "critical",
      description = "Google Cloud service-account JSON key (its private_key_id).",
      regex = [["type"\s*:\s*"service_account"[\s\S]{0,600}?"private_key_id"\s*:\s*"([a-f0-9]{40})"]],
      keywords = { "service_account" },
      secret_group = 1, entropy = 3,
      limits = { window = 16 },
    },
    {
      id = "azure-storage-key", kind = "secret", severity = "critical",
      description = "Azure storage account key (connection string AccountKey or an azure-named key).",
      regex = [[(?i)\b(?:AccountKey|azure[\w.-]{0,30}key)]] .. ASSIGN .. [[['"]?([A-Za-z0-9+/]{86}==)]],
      keywords = { "accountkey", "azure" },
      secret_group = 1, entropy = 4,
    },
    {
      id = "azure-ad-client-secret", kind = "secret", severity = "high",
      description = "Azure AD (Entra ID) application client secret.",
      regex = [[(?:^|[^A-Za-z0-9_~.-])([A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])]],
      keywords = { "0q~", "1q~", "2q~", "3q~", "4q~", "5q~", "6q~", "7q~", "8q~", "9q~" },
      secret_group = 1, entropy = 3.5,
      limits = { window = 8 },
    },
    {
      id = "huggingface-token", kind = "secret", severity = "high",
      description = "Hugging Face access token.",
      regex = [[\b(hf_[A-Za-z0-9]{34,40})\b]],
      keywords = { "hf_" },
      secret_group = 1, entropy = 3.5,
    },
    {
      id = "npm-token", kind = "secret", severity = "high",
      description = "npm access token.",
      regex = [[\b(npm_[A-Za-z0-9]{36})\b]],
      keywords = { "npm_" },
      secret_group = 1, entropy = 3,
    },
    {
      id = "pypi-token", kind = "secret", severity = "high",
      description = "PyPI upload token.",
      regex = [[\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})]] .. WORD_END,
      keywords = { "pypi-ageichlwas5vcmc" },
      secret_group = 1, entropy = 3,
    },
  },
}
