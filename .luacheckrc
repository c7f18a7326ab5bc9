-- luacheck configuration (make lint)
std = "luajit"
max_line_length = 120
exclude_files = { "spec/data/rules/syntax.lua", "spec/data/indexer/**", "spec/fuzz/corpus/**", "spec/fuzz/regress/**", "build/**" }
files["spec/**/*_spec.lua"] = { std = "+busted" }
files["spec/support/ci_output.lua"] = { std = "+busted" }
-- the Neovim plugin runs inside nvim, which provides the `vim` global
files["examples/nvim/**/*.lua"] = { read_globals = { "vim" } }
-- the nginx body filter runs inside lua-nginx-module, which provides the `ngx` global
files["examples/nginx/**/*.lua"] = { globals = { "ngx" } }
