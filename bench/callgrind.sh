#!/usr/bin/env bash
# bench/callgrind.sh: instructions per item for bench cases, from callgrind totals.
#
# Usage: bash bench/callgrind.sh [BENCH] [PATTERN] [N]
#   BENCH    bench file (default bench/signature_bench.lua)
#   PATTERN  substring of case names (default: every case)
#   N        iterations of the shorter run (default 50; the longer runs 2N)
# Environment: CG_TOGGLE=SYM counts only inside the C function SYM (e.g. l_batch).
#
# Wall time is noisy on shared machines; instruction counts are not. For each case
# this runs the bench under valgrind --tool=callgrind twice in callgrind mode
# (VL_BENCH_CALLGRIND=1: no warm-up, no calibration, fn(N) exactly once), with N
# and 2N iterations, and prints (Ir(2N) - Ir(N)) / (N * items per iteration):
# start-up, module loading, data set-up and JIT compilation appear in both runs
# and cancel. Totals repeat to ~0.5% only (LuaJIT seeds its string hash from
# /dev/urandom), hence the large default N. Needs `make all` first. Slow (valgrind,
# and the pure-Lua cases take minutes at N=50): pick cases with PATTERN.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=${1:-bench/signature_bench.lua}
PATTERN=${2:-}
N=${3:-50}
BUILD=${BUILD:-build}
export LUA_PATH="./lua/?.lua;./bench/?.lua;$BUILD/gen/lua/?.lua;;"
export LUA_CPATH="$BUILD/lib/?.so;;"
LUAJIT=${LUAJIT:-luajit}

list_args=()
[ -n "$PATTERN" ] && list_args=(--case "$PATTERN")

toggle=()
[ -n "${CG_TOGGLE:-}" ] && toggle=(--toggle-collect="$CG_TOGGLE")

collected() { # case iters -> total Ir
  VL_BENCH_CALLGRIND=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null "${toggle[@]}" \
    "$LUAJIT" "$BENCH" "$BUILD/bench" --case "$1" --iters "$2" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

printf '| case | Ir/item | Ir (N=%d) | Ir (N=%d) |\n|---|--:|--:|--:|\n' "$N" $((2 * N))
"$LUAJIT" "$BENCH" "$BUILD/bench" --list "${list_args[@]}" | while IFS=$'\t' read -r name items; do
  a=$(collected "$name" "$N")
  b=$(collected "$name" $((2 * N)))
  if [ -z "$a" ] || [ -z "$b" ]; then
    printf '| %s | (valgrind failed) | | |\n' "$name"
    continue
  fi
  awk -v n="$name" -v a="$a" -v b="$b" -v it="$N" -v items="$items" \
    'BEGIN { printf "| %s | %.0f | %.0f | %.0f |\n", n, (b - a) / (it * items), a, b }'
done
