#!/usr/bin/env bash
# gen-man.sh BIN OUT: write the victor-lua(1) man page from the binary's own help
# texts (`BIN --help`, `BIN help` for the command list, `BIN COMMAND --help` for
# each command), so the page never disagrees with --help. roff: each text in a
# no-fill block, backslashes and leading dots escaped. No date: reproducible.
set -euo pipefail
bin=$1
out=$2
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
version=$("$bin" --version | awk '{print $2; exit}')
commands=$("$bin" help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
mkdir -p "$(dirname "$out")"
{
  echo ".TH VICTOR-LUA 1 \"\" \"victor-lua $version\" \"User Commands\""
  echo ".SH NAME"
  echo "victor-lua \\- native text, vector and graph kernels for AI coding assistants, driven by LuaJIT"
  echo ".SH SYNOPSIS"
  echo ".B victor-lua"
  echo "[options] [script.lua | \\- [args...]]"
  echo ".br"
  echo ".B victor-lua"
  echo "COMMAND [args...]"
  echo ".SH DESCRIPTION"
  echo ".nf"
  "$bin" --help | esc
  echo ".fi"
  echo ".SH COMMANDS"
  for c in $commands; do
    echo ".SS $c"
    echo ".nf"
    "$bin" "$c" --help | esc
    echo ".fi"
  done
  echo ".SH FILES"
  echo "Default rule packs: share/victor-lua/rules/*.lua under the installation prefix (also built into the binary)."
  echo ".SH SEE ALSO"
  echo "luajit(1); the README of victor-lua for the Lua and C APIs and the rule-pack format."
} > "$out"
