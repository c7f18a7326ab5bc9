#!/bin/bash
# test-windows-exe.sh: run jobs with victor-lua.exe under wine64 and with the Linux binary on the
# same inputs, in the same directory, and compare stdout, stderr and the exit status byte for byte.
#
#   bash scripts/test-windows-exe.sh LINUX_BIN WIN_EXE      (make test-windows-exe)
#
# Prints one line per job ("ok NAME" or "FAIL NAME" and a diff) and the summary
# "test-windows-exe: N passed, M failed"; exits 1 when a job differs or none ran.
# WINE (default: wine64 on PATH, else /usr/lib/wine/wine64); the wine prefix is the one of
# `make test-windows` (build/windows/wineprefix, next to WIN_EXE).
set -uo pipefail
lin=$(realpath "${1:?usage: test-windows-exe.sh LINUX_BIN WIN_EXE}")
exe=$(realpath "${2:?usage: test-windows-exe.sh LINUX_BIN WIN_EXE}")
wine=${WINE:-$(command -v wine64 || echo /usr/lib/wine/wine64)}
prefix="$(dirname "$exe")/wineprefix"
mkdir -p "$prefix"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Inputs: a tree with a fake GitHub token and a password, a broken JSON, a text with a repeat.
mkdir -p "$work/src"
printf 'import os\n\nTOKEN = "ghp_Xk9mQ2vL7pR4tW8yZ3nB6cF1hJ5sD0aG2eK7"\npassword = "Tr0ub4dor&3xyz!"\n' \
  >"$work/src/app.py"
printf 'def f():\r\n    return 1\r\nkey = "ghp_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAB7C"\r\n' >"$work/src/crlf.py"
printf '{"name": \047victor\047, "tags": ["a", "b",], "n": 1e3, // note\n "ok": True' >"$work/broken.json"
para='para one is here and long enough to count as a block of text.'
printf '%s\n\npara two\n\n%s\n\nend\n' "$para" "$para" >"$work/dup.txt"
: >"$work/empty"
printf '{"name":"read_file","arguments":{"path":"/a.py"}}\n{"name":"grep","arguments":{"q":"x","n":2}}\n' \
  >"$work/calls.jsonl"

# JSON objects come out in table order, which varies from run to run: JSON outputs are compared
# as their canonical form (keys sorted), written by the Linux binary.
cat >"$work/canon.lua" <<'EOF'
local cjson = require "cjson"
local function canon(v)
  if type(v) ~= "table" then return cjson.encode(v) end
  local keys, out = {}, {}
  local each_next = next
  for k in each_next, v do keys[#keys + 1] = k end
  if #keys == #v then
    for i = 1, #v do out[i] = canon(v[i]) end
    return "[" .. table.concat(out, ",") .. "]"
  end
  table.sort(keys)
  for i, k in ipairs(keys) do out[i] = cjson.encode(k) .. ":" .. canon(v[k]) end
  return "{" .. table.concat(out, ",") .. "}"
end
for line in io.lines(arg[1]) do print(canon(cjson.decode(line))) end
EOF
# the first run in a fresh prefix prints wine's own set-up messages
WINEDEBUG=-all WINEPREFIX="$prefix" "$wine" "$exe" version >/dev/null 2>&1

pass=0 fail=0
# job NAME RC STDIN [--json] ARGS...: run both binaries in $work with STDIN (a file there) and
# ARGS; both must exit with RC and write the same stdout (canonical JSON with --json) and stderr
job() {
  local name=$1 want=$2 in=$3 json=0 rl rw f canon=0
  shift 3
  if [ "$1" = "--json" ]; then json=1; shift; fi
  (cd "$work" && "$lin" "$@" <"$in" >lin.out 2>lin.err)
  rl=$?
  (cd "$work" && WINEDEBUG=-all WINEPREFIX="$prefix" "$wine" "$exe" "$@" <"$in" >win.out 2>win.err)
  rw=$?
  if [ $json -eq 1 ]; then
    for f in lin win; do
      "$lin" "$work/canon.lua" "$work/$f.out" >"$work/$f.canon" 2>&1 || canon=1
      mv "$work/$f.canon" "$work/$f.out"
    done
  fi
  if [ $rl -eq "$want" ] && [ $rw -eq "$want" ] && [ $canon -eq 0 ] &&
    { [ -s "$work/lin.out" ] || [ -s "$work/lin.err" ]; } &&
    cmp -s "$work/lin.out" "$work/win.out" && cmp -s "$work/lin.err" "$work/win.err"; then
    pass=$((pass + 1))
    echo "ok   $name"
  else
    fail=$((fail + 1))
    echo "FAIL $name (exit: want $want, linux $rl, windows $rw)"
    diff <(cat "$work/lin.out" "$work/lin.err") <(cat "$work/win.out" "$work/win.err") | head -n 20
  fi
}

job "version" 0 empty version
job "repair a broken JSON (stdin)" 0 broken.json repair
job "scan a tree (text; exit 1: findings)" 1 empty scan --no-progress src
job "scan a tree (json)" 1 empty --json scan --no-progress --format json src
job "scan a tree (sarif)" 1 empty --json scan --no-progress --format sarif src
job "scan --redact (stdin)" 0 src/app.py scan --redact
job "dedup --stats (stdin)" 0 dup.txt dedup --stats
job "dedup --lines a CRLF file" 0 empty dedup --lines src/crlf.py
job "index a tree (tree-sitter, JSON lines)" 0 empty index --no-cache src
job "sig of a JSONL of tool calls" 0 empty sig --jsonl calls.jsonl
job "cjson: numbers and strings" 0 empty -e \
  'local c = require "cjson"; print(c.encode({1, 2.5, 0.1, 1e300, -0.0, 2^53, "x\n\"y"}))'
job "cjson.safe: an error is a value" 0 empty -e 'print(require("cjson.safe").decode("[1,"))'
job "argparse: a usage error (exit 2)" 2 empty repair --no-such-option
echo "test-windows-exe: $pass passed, $fail failed"
# for .ci/run's total, beside test_kat.exe's line (make test-windows)
echo "$pass $fail" >> "$(dirname "$exe")/test-counts"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
