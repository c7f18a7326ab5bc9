#!/usr/bin/env bash
# run-specs.sh BUILD MODE: run the busted specs and end with "N passed, N failed".
#   all       three passes: stock luajit + C module (native), the same with
#             VICTOR_NO_NATIVE=1 (fallbacks), and inside the victor-lua host
#   asan      the host pass with the ASan/UBSan build in BUILD
#   valgrind  the host pass under valgrind (memory errors or definite leaks fail)
set -uo pipefail
build=${1:-build}
mode=${2:-all}
counts="$build/test-counts"
: > "$counts"
export VL_COUNTS_FILE="$counts" VL_BUILD="$build"
busted_args=(-o spec/support/ci_output.lua spec)
lua_path="./lua/?.lua;./lua/?/init.lua;./$build/gen/lua/?.lua;./spec/?.lua;;"
lua_cpath="./$build/lib/?.so;;"
# VL_EXEC: a command that runs $build's binaries (qemu-aarch64 for scripts/test-arm64.sh)
host=(${VL_EXEC:-} "$build/victor-lua")

note() { printf '\n== %s\n' "$*"; }
rc=0
run() { "$@" || rc=1; }

case "$mode" in
  all)
    note "specs: stock luajit, native kernels ($build/lib/victor.so)"
    LUA_PATH="$lua_path" LUA_CPATH="$lua_cpath" run luajit /usr/bin/busted "${busted_args[@]}"
    note "specs: stock luajit, pure-Lua fallbacks (VICTOR_NO_NATIVE=1)"
    VICTOR_NO_NATIVE=1 LUA_PATH="$lua_path" LUA_CPATH="$lua_cpath" run luajit /usr/bin/busted "${busted_args[@]}"
    note "specs: inside the victor-lua host ($build/victor-lua)"
    LUA_PATH="$lua_path" run "${host[@]}" /usr/bin/busted "${busted_args[@]}"
    ;;
  asan)
    note "specs: inside the ASan/UBSan host ($build/victor-lua)"
    VL_SAN=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      LUA_PATH="$lua_path" run "${host[@]}" /usr/bin/busted "${busted_args[@]}"
    ;;
  valgrind)
    note "specs: inside the victor-lua host under valgrind"
    VL_VALGRIND=1 LUA_PATH="$lua_path" run valgrind -q --error-exitcode=99 --leak-check=full \
      --errors-for-leak-kinds=definite --suppressions=spec/support/valgrind.supp \
      "$build/victor-lua" /usr/bin/busted "${busted_args[@]}"
    ;;
  *) echo "run-specs.sh: unknown mode $mode" >&2; exit 2 ;;
esac

read -r passed failed < <(awk '{p += $1; f += $2} END {print p+0, f+0}' "$counts")
# A pass that crashed before its summary counts as a failure.
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo
echo "$passed passed, $failed failed"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
