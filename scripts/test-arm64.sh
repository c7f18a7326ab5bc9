#!/usr/bin/env bash
# test-arm64.sh [BUILD]: run the spec suite on the aarch64 build (make cross-arm64) under
# qemu-user, without binfmt_misc or a chroot: the arm64 dynamic loader and libraries come from
# multiarch (/lib/ld-linux-aarch64.so.1, /usr/lib/aarch64-linux-gnu), luajit:arm64 and
# lua-term:arm64 from BUILD/sysroot (scripts/cross-arm64.sh).
#
# Three passes, as scripts/run-specs.sh does them: arm64 luajit + arm64 victor.so (native),
# the same with VICTOR_NO_NATIVE=1 (fallbacks), and busted inside the arm64 victor-lua (host).
# BUILD/qemu-bin puts a `luajit` on PATH that runs the arm64 one, so the specs' subprocesses
# run arm64 too; VL_EXEC makes them run BUILD/victor-lua through qemu. VL_CROSS=arm64 marks
# the specs that need the build host's own tools (make install, luarocks, nginx, nvim) pending.
# With --bench as the second argument it runs the benchmarks instead (see below).
set -euo pipefail
build=${1:-build/arm64}
root=$(pwd)
sysroot="$root/$build/sysroot"
command -v qemu-aarch64 >/dev/null || { echo "test-arm64: qemu-aarch64 missing (make cross-arm64)" >&2; exit 2; }
[ -x "$build/victor-lua" ] || { echo "test-arm64: $build/victor-lua missing (make cross-arm64)" >&2; exit 2; }

bin="$root/$build/qemu-bin"
mkdir -p "$bin"
cat > "$bin/qemu-run" <<EOS
#!/bin/sh
# run an aarch64 program under qemu-user, with the sysroot's Lua C modules (term.core)
LUA_CPATH="\${LUA_CPATH:-;;};$sysroot/usr/lib/aarch64-linux-gnu/lua/5.1/?.so"
export LUA_CPATH
exec qemu-aarch64 "\$@"
EOS
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$bin/qemu-run" "$sysroot/usr/bin/luajit" > "$bin/luajit"
chmod +x "$bin/qemu-run" "$bin/luajit"

echo "test-arm64: $(file -b "$build/victor-lua" | cut -d, -f1-2)"
"$bin/luajit" -e 'print("test-arm64: arm64 luajit: " .. jit.arch .. " " .. jit.version)'
LUA_PATH="./lua/?.lua;./$build/gen/lua/?.lua;;" LUA_CPATH="./$build/lib/?.so;;" "$bin/luajit" -e '
  local s = require "victor.similarity"
  print("test-arm64: victor.similarity backend " .. s.backend .. ", simd " .. s.simd()
    .. " (supported: " .. table.concat(s.simd_supported(), " ") .. ")")'

# test-arm64.sh BUILD --bench (make bench-arm64): bench/simd_check.lua (the NEON paths against
# their references), then the similarity, dedup and stream-filter benchmarks on small data, all
# under qemu: relative figures only (native vs fallback, SIMD vs scalar), never absolute times.
if [ "${2:-}" = --bench ]; then
  mkdir -p "$build/bench"
  # the harness re-runs the interpreter per case and for the RSS probes: through the qemu wrapper
  export LUA_PATH="./lua/?.lua;./bench/?.lua;./$build/gen/lua/?.lua;;" LUA_CPATH="./$build/lib/?.so;;" \
    VL_BENCH_EXEC="$bin/luajit"
  rc=0
  "$bin/luajit" bench/simd_check.lua || rc=1
  # the 10K x 384 and 384-d cases, native and fallback (--case is a substring)
  for c in dot. cosine. topk. normalize.nat normalize.fal; do
    VL_BENCH_CLOCK=cpu "$bin/luajit" bench/similarity_bench.lua "$build/bench" --case "$c" || rc=1
  done
  VL_DEDUP_MB=4 VL_DEDUP_LINES=200000 VL_DEDUP_NEAR_N=400 "$bin/luajit" bench/dedup_bench.lua "$build/bench" || rc=1
  VL_STREAM_MB=2 "$bin/luajit" bench/stream_bench.lua "$build/bench" || rc=1
  echo "bench-arm64: PASS/FAIL lines above are the x86 targets of the issues, not verdicts on arm64:" \
       "under qemu only the ratios (native / fallback, SIMD / scalar, stream / one-shot) mean anything"
  exit $rc
fi

# spec/byteorder_spec.lua across architectures: x86_64 (build/) writes, the arm64 passes read
# those files and write theirs, x86_64 reads them back.
xa="$build/xarch"
x86_spec() {
  LUA_PATH="./lua/?.lua;./lua/?/init.lua;./build/gen/lua/?.lua;./spec/?.lua;;" LUA_CPATH="./build/lib/?.so;;" \
    VL_BUILD=build "$@" luajit /usr/bin/busted -o spec/support/ci_output.lua spec/byteorder_spec.lua
}
[ -f build/lib/victor.so ] || { echo "test-arm64: build/lib/victor.so missing (make all)" >&2; exit 2; }
rm -rf "$xa"
start=$(date +%s)
rc=0
printf '\n== byte order: x86_64 (build/) writes %s\n' "$xa/x86_64"
x86_spec env VL_XARCH_WRITE="$xa/x86_64" || rc=1
PATH="$bin:$PATH" VL_CROSS=arm64 VL_EXEC="$bin/qemu-run" VL_XARCH_READ="$xa/x86_64" VL_XARCH_WRITE="$xa/arm64" \
  bash scripts/run-specs.sh "$build" all || rc=$?
printf '\n== byte order: x86_64 (build/) reads %s\n' "$xa/arm64"
x86_spec env VL_XARCH_READ="$xa/arm64" || rc=1
echo "test-arm64: wall time $(( $(date +%s) - start )) s (qemu-aarch64 on $(uname -m), $(nproc) cores)"
exit $rc
