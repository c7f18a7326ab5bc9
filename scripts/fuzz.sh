#!/usr/bin/env bash
# fuzz.sh SECONDS [TARGET...]: build the libFuzzer targets of spec/fuzz/ with
# clang -fsanitize=fuzzer,address,undefined and run each for SECONDS (default 60;
# 0 only builds). TARGET names a subset.
#
#   fuzz_canon     the pure-C canonical writer and loop detector (core/signature.c)
#   fuzz_dedup     the pure-C dedup kernel (core/dedup.c): one-shot invariants, idempotence
#   fuzz_stream_filter  the thinking-tag filter (core/stream_filter.c) with random tags and
#                  chunkings: chunked == one-shot == strip; core/ac.c against a naive matcher
#   fuzz_ac        the Aho-Corasick match kinds, word boundaries and streams (core/ac.c):
#                  one-shot and random chunkings against a naive matcher
#   fuzz_graph     the graph kernel (core/graph.c, serial build): random edge lists; PageRank
#                  sums to 1, components partition the nodes, top/paths/betweenness sane
#   fuzz_json_repair  the JSON repair kernel (core/json_repair.c): outputs pass a strict parser,
#                  streamed == one-shot, vl_json_valid == that parser, extraction sane
#   fuzz_similarity  the similarity kernel (core/similarity.c): every SIMD backend == the scalar
#                  reference within 1e-5, top-k order and ties, zero vectors, normalize
#   fuzz_walk      the ignore-line (gitignore) matcher of core/walk.c: bounded time on any
#                  pattern; literal, "*"-suffix and "!" lines against a direct check
#   fuzz_secrets   the secret scanner (core/secrets.c, PCRE2): the pair filter, the
#                  Aho-Corasick keyword method, the interpreter and the naive path give the same
#                  findings; findings sorted, disjoint, in range, lines and columns exact
#   fuzz_lead      the regex reader behind the scanner's windows (core/secrets_lead.c): bounded
#                  on any pattern; every PCRE2 match begins with the proven lead, then a keyword
#   fuzz_rules     the sandboxed rule-pack loader through the embedding API
#   fuzz_sig_json  victor.signature.of_json (cjson + canonical form), native vs fallback
#   fuzz_dedup_lua victor.dedup through the embedding API: native == fallback on every
#                  call, streams (random chunkings) == one-shot
#   fuzz_indexer   the tree-sitter indexer (core/indexer.c + the vendored runtime and every
#                  grammar; byte 0 picks the language): symbols inside the input and the
#                  arena, index round trip, damaged index loads fail cleanly
#   fuzz_npy       the .npy loader (core/similarity.c): clean errors, shape within the file,
#                  finite values, save/load round trip
#   fuzz_hnsw      the HNSW index file loader (core/hnsw.c; byte 0 can fix the checksum so
#                  damaged structures reach the checks) and searches on what it accepts
#   fuzz_thinking  victor.thinking's loop detector: streamed (random chunkings) == scan(),
#                  spans in range, native == fallback
#   fuzz_classify  the classifier, the response sanitizer and literal matchers (pattern
#                  engine): invariants, native == fallback
#   fuzz_edges     graph.parse (edge-list loader) and every graph algorithm on its result:
#                  PageRank sums to 1, components partition, native == fallback
#
# tree-sitter: `make` fetches the grammars and builds their parser.c objects (gcc, no
# instrumentation: generated tables) under $BUILD/obj/ts; the runtime (lib.c) and the
# scanners are compiled here with clang and the sanitizers.
#
# The runtime targets embed the whole runtime, so every core/*.c but main.c and the
# generated Lua bundle ($BUILD/gen/bundle.c, made here through the Makefile when
# missing or stale) are compiled again with clang and the same sanitizers: the gcc
# objects of `make all` are never linked into an ASan binary. LuaJIT itself is the
# uninstrumented static library.
#
# Everything goes under $BUILD/fuzz/ (git ignores build/): binaries, objects, the
# growing corpora (seeded from spec/fuzz/corpus/<target>/, and for fuzz_rules also
# from rules/*.lua and spec/data/rules/*.lua), logs, and crash
# reproducers in $BUILD/fuzz/artifacts/<target>/. Reproduce one with
#   LSAN_OPTIONS=suppressions=spec/fuzz/lsan.supp \
#     $BUILD/fuzz/<target> $BUILD/fuzz/artifacts/<target>/crash-...
# (spec/fuzz/lsan.supp hides one LuaJIT-internal false leak; see the file).
# After fuzzing, the inputs in spec/fuzz/regress/<target>/ (past findings, kept
# minimal) are replayed; each must run clean. Move a reproducer there once it is
# understood, and keep it after the fix.
#
# Prints one line per target (executions, coverage, result), writes "passed failed"
# (targets) to $BUILD/fuzz/test-counts, and exits 1 if any target found a crash,
# leak, timeout or OOM, 2 if the build failed.
# Environment: FUZZ_CC (default clang), BUILD (default build). Targets run one
# after another (the corpora and timings stay comparable on a small machine).
set -uo pipefail

secs=${1:-60}
shift || true
case "$secs" in '' | *[!0-9]*) echo "usage: scripts/fuzz.sh SECONDS [TARGET...]" >&2; exit 2 ;; esac

cd "$(dirname "$0")/.." || exit 2
self="$PWD/scripts/fuzz.sh"
BUILD=${BUILD:-build}
CC=${FUZZ_CC:-clang}
out="$BUILD/fuzz"
# the pure-C targets link their kernel's objects only; the others embed the runtime
c_targets=(fuzz_canon fuzz_dedup fuzz_stream_filter fuzz_ac fuzz_graph fuzz_json_repair fuzz_similarity fuzz_walk
           fuzz_indexer fuzz_secrets fuzz_lead fuzz_npy fuzz_hnsw)
all_targets=("${c_targets[@]}" fuzz_rules fuzz_sig_json fuzz_dedup_lua fuzz_thinking fuzz_classify fuzz_edges)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi

die() { echo "fuzz.sh: $*" >&2; exit 2; }

command -v "$CC" >/dev/null 2>&1 || die "$CC not found (apt-get install clang libclang-rt-dev)"
command -v pkg-config >/dev/null 2>&1 || die "pkg-config not found"
# LeakSanitizer matches spec/fuzz/lsan.supp by function name: without a symbolizer every
# LuaJIT-internal false leak would be reported as a finding.
command -v llvm-symbolizer >/dev/null 2>&1 || die "llvm-symbolizer not found (apt-get install llvm)"
lj_cflags=$(pkg-config --cflags luajit) || die "pkg-config cannot find luajit"
lj_static="$(pkg-config --variable=libdir luajit)/libluajit-5.1.a"
[ -f "$lj_static" ] || die "LuaJIT static library not found: $lj_static"

read -ra lj_cflags_a <<<"$lj_cflags"
# dedup.c: tiny key pieces and hash-ahead distance, so short inputs reach those paths
cflags=(-std=c99 -D_POSIX_C_SOURCE=200809L -g -O1 -DVL_DEDUP_KEY_PIECE=48 -DVL_DEDUP_HASH_AHEAD=40
        "-fsanitize=address,undefined" -fno-sanitize-recover=undefined -fno-omit-frame-pointer
        -Icore "-I$BUILD/gen" "-I$BUILD/vendor/tree-sitter/vendor/tree-sitter/lib/include"
        "${lj_cflags_a[@]}" -Wall -Wextra -Wno-unknown-pragmas -Wno-psabi)
mkdir -p "$out/obj" || die "cannot create $out"

# The Lua bundle: the Makefile knows how to (re)generate it from lua/ and rules/.
if ! make --no-print-directory -s BUILD="$BUILD" "$BUILD/gen/bundle.c" >"$out/bundle.log" 2>&1; then
  cat "$out/bundle.log" >&2
  die "generating $BUILD/gen/bundle.c failed"
fi

# tree-sitter: grammars fetched and their parser.c objects built by the Makefile.
ts_langs=(python javascript typescript tsx go rust c cpp java lua ruby bash json)
ts_scanners=(python javascript typescript tsx rust cpp lua ruby bash)
ts_parser_objs=()
for l in "${ts_langs[@]}"; do ts_parser_objs+=("$BUILD/obj/ts/${l}_parser.o"); done
if ! make --no-print-directory -s BUILD="$BUILD" "$BUILD/gen/vl_ts_queries.c" "${ts_parser_objs[@]}" \
     >"$out/ts.log" 2>&1; then
  cat "$out/ts.log" >&2
  die "fetching/building the tree-sitter grammars failed"
fi
ts_rt="$BUILD/vendor/tree-sitter/vendor/tree-sitter/lib"
ts_src() { case "$1" in typescript|tsx) echo "$BUILD/vendor/tree-sitter-typescript/$1/src" ;;
                        *) echo "$BUILD/vendor/tree-sitter-$1/src" ;; esac; }

# Compile one source into $out/obj when it is newer than its object (or the headers).
obj() { # SRC [extra flags]
  local src=$1 o
  shift
  o="$out/obj/$(basename "${src%.c}").o"
  if [ ! -f "$o" ] || [ "$src" -nt "$o" ] || [ -n "$(find core -name '*.h' -newer "$o" -print -quit)" ] \
     || [ "$self" -nt "$o" ]; then
    # fuzzer-no-link: coverage feedback for our code without libFuzzer's main
    "$CC" "${cflags[@]}" -fsanitize=fuzzer-no-link "$@" -c "$src" -o "$o" || return 1
  fi
  echo "$o"
}

core_objs=()
for src in core/*.c "$BUILD/gen/bundle.c"; do
  [ "$(basename "$src")" = main.c ] && continue
  o=$(obj "$src") || die "compiling $src failed"
  core_objs+=("$o")
done
# the runtime and the scanners (third-party code: its own flags, no -Wall)
ts_objs=("${ts_parser_objs[@]}")
tsc() { # SRC OBJ [flags]
  local src=$1 o=$2
  shift 2
  if [ ! -f "$o" ] || [ "$src" -nt "$o" ]; then
    "$CC" -std=c11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
      -fsanitize=fuzzer-no-link -D_POSIX_C_SOURCE=200112L -D_DEFAULT_SOURCE -w "$@" -c "$src" -o "$o" || return 1
  fi
  echo "$o"
}
o=$(tsc "$ts_rt/src/lib.c" "$out/obj/ts_runtime.o" "-I$ts_rt/include" "-I$ts_rt/src") || die "compiling the tree-sitter runtime failed"
ts_objs+=("$o")
for l in "${ts_scanners[@]}"; do
  d=$(ts_src "$l")
  o=$(tsc "$d/scanner.c" "$out/obj/ts_${l}_scanner.o" "-I$d") || die "compiling the $l scanner failed"
  ts_objs+=("$o")
done
o=$(obj "$BUILD/gen/vl_ts_queries.c") || die "compiling the queries failed"
ts_objs+=("$o")
core_objs+=("${ts_objs[@]}")
ix_objs=("$out/obj/indexer.o" "$out/obj/vl_platform.o" "$out/obj/status.o" "${ts_objs[@]}")
# core/toml_json.cpp (toml++, header-only): the one C++ unit, in every runtime target
CXX=${FUZZ_CXX:-clang++}
tj="$out/obj/toml_json.o"
if [ ! -f "$tj" ] || [ core/toml_json.cpp -nt "$tj" ] || [ core/toml_json.h -nt "$tj" ]; then
  "$CXX" -std=c++17 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
    -fno-sanitize=function,vptr -fsanitize=fuzzer-no-link -fno-exceptions -fno-rtti -Icore -c core/toml_json.cpp -o "$tj" \
    || die "compiling core/toml_json.cpp failed"
fi
core_objs+=("$tj")
sig_objs=("$out/obj/signature.o" "$out/obj/status.o")
dedup_objs=("$out/obj/dedup.o" "$out/obj/dedup_avx2.o" "$out/obj/status.o")
sf_objs=("$out/obj/stream_filter.o" "$out/obj/ac.o" "$out/obj/status.o")
ac_objs=("$out/obj/ac.o" "$out/obj/status.o")
graph_objs=("$out/obj/graph.o" "$out/obj/status.o")
jr_objs=("$out/obj/json_repair.o" "$out/obj/status.o")
sim_objs=("$out/obj/similarity.o" "$out/obj/similarity_avx2.o" "$out/obj/status.o")
sec_objs=("$out/obj/secrets.o" "$out/obj/secrets_pairs.o" "$out/obj/secrets_lead.o" "$out/obj/ac.o" "$out/obj/status.o")
pcre2_libs=$(pkg-config --libs libpcre2-8 2>/dev/null || echo -lpcre2-8)
walk_objs=("$out/obj/walk.o" "$out/obj/vl_platform.o" "$out/obj/status.o")

build_target() { # NAME
  local t=$1 bin="$out/$1" src="spec/fuzz/$1.c" deps
  [ -f "$src" ] || { echo "fuzz.sh: no $src" >&2; return 1; }
  case "$t" in
    fuzz_canon) deps=("${sig_objs[@]}") ;;
    fuzz_dedup) deps=("${dedup_objs[@]}") ;;
    fuzz_stream_filter) deps=("${sf_objs[@]}") ;;
    fuzz_ac) deps=("${ac_objs[@]}") ;;
    fuzz_graph) deps=("${graph_objs[@]}") ;;
    fuzz_json_repair) deps=("${jr_objs[@]}") ;;
    fuzz_similarity) deps=("${sim_objs[@]}") ;;
    fuzz_secrets) deps=("${sec_objs[@]}") ;;
    fuzz_lead) deps=("$out/obj/secrets_lead.o") ;;
    fuzz_walk) deps=("${walk_objs[@]}") ;;
    fuzz_indexer) deps=("${ix_objs[@]}") ;;
    fuzz_npy) deps=("${sim_objs[@]}") ;;
    fuzz_hnsw) deps=("$out/obj/hnsw.o" "${sim_objs[@]}") ;;
    *) deps=("${core_objs[@]}") ;;
  esac
  local newest=0 d
  for d in "$src" "${deps[@]}" "$self"; do [ "$d" -nt "$bin" ] && newest=1; done
  [ -x "$bin" ] && [ $newest = 0 ] && return 0
  if [[ " ${c_targets[*]} " == *" $t "* ]]; then
    "$CC" "${cflags[@]}" -fsanitize=fuzzer -o "$bin" "$src" "${deps[@]}" -lm $pcre2_libs
  else
    # -Wl,-E: C modules loaded at run time (cjson.so) resolve lua_* in the binary.
    "$CC" "${cflags[@]}" -fsanitize=fuzzer -o "$bin" "$src" "${deps[@]}" "$lj_static" -Wl,-E -lm -ldl $pcre2_libs -lstdc++
  fi
}

for t in "${targets[@]}"; do
  build_target "$t" || die "building $t failed"
done

if [ "$secs" -eq 0 ]; then
  echo "fuzz.sh: built ${targets[*]} in $out (SECONDS=0: not running)"
  exit 0
fi

# Sanitizer settings: stop at the first error, with stacks; LeakSanitizer on.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# LuaJIT-internal false positives only: see the comments in the file.
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/spec/fuzz/lsan.supp:print_suppressions=0}"

status=0
summary=()
for t in "${targets[@]}"; do
  corpus="$out/corpus/$t"
  arts="$out/artifacts/$t"
  mkdir -p "$corpus" "$arts"
  # the rule loader also starts from the real packs: the defaults and the spec's test packs
  if [ "$t" = fuzz_rules ]; then
    for f in rules/*.lua spec/data/rules/*.lua; do cp -n "$f" "$corpus/seed-$(basename "$f")"; done
  fi
  if [ -d "spec/fuzz/corpus/$t" ]; then
    cp -n spec/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  fi
  extra=()
  [ -f "spec/fuzz/$t.dict" ] && extra+=("-dict=spec/fuzz/$t.dict")
  log="$out/$t.log"
  echo "== $t: ${secs}s (log: $log)"
  "$out/$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$arts/" "${extra[@]}" "$corpus" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ -z "$execs" ]; then execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#'); fi
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1)
  art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
  if [ $rc -eq 0 ] && ! grep -qE '^==[0-9]+==ERROR|^SUMMARY: |FINDING' "$log"; then
    result=ok
  else
    status=1
    if grep -q 'ERROR: libFuzzer: timeout' "$log"; then result="TIMEOUT"
    elif grep -q 'ERROR: libFuzzer: out-of-memory' "$log"; then result="OOM"
    elif grep -q 'ERROR: LeakSanitizer' "$log"; then result="LEAK"
    elif grep -q 'ERROR: AddressSanitizer' "$log"; then
      result="CRASH ($(grep -m1 -oE 'AddressSanitizer: [a-z-]+' "$log" | cut -d' ' -f2))"
    elif grep -q 'runtime error:' "$log"; then result="UB ($(grep -m1 -oE 'runtime error: .{0,60}' "$log"))"
    elif grep -q 'FINDING\|check failed' "$log"; then
      result="FAILED CHECK ($(grep -m1 -oE '(FINDING|check failed).{0,80}' "$log"))"
    else result="CRASH (exit $rc)"; fi
    [ -n "$art" ] && result="$result; reproducer: $art"
  fi
  # Known-bad inputs (spec/fuzz/regress/<target>/): each must now run clean.
  if [ -d "spec/fuzz/regress/$t" ] && [ -n "$(ls -A "spec/fuzz/regress/$t")" ]; then
    rlog="$out/$t.regress.log"
    nbad=0
    nall=0
    for f in spec/fuzz/regress/"$t"/*; do
      nall=$((nall + 1))
      if ! "$out/$t" -timeout=10 -rss_limit_mb=2048 "$f" >>"$rlog.tmp" 2>&1; then
        nbad=$((nbad + 1))
        echo "fuzz.sh: $t: regression input still fails: $f" >>"$rlog.tmp"
      fi
    done
    mv "$rlog.tmp" "$rlog"
    if [ $nbad -gt 0 ]; then
      status=1
      if [ "$result" = ok ]; then result="REGRESS ($nbad of $nall known-bad inputs still fail; log: $rlog)"
      else result="$result; REGRESS ($nbad still fail)"; fi
    fi
  fi
  line=$(printf '%-14s %10s execs  %-22s %-16s %s' "$t" "${execs:-?}" "${cov:-cov: ?}" "${corp:-}" "$result")
  summary+=("$line")
  echo "$line"
  if [ "$result" != ok ] && [ "${result#REGRESS}" = "$result" ]; then
    echo "---- last lines of $log:"
    grep -vE '^#[0-9]+\s+(NEW|REDUCE|pulse)' "$log" | tail -25
    echo "----"
  fi
done

# one line "passed failed" (a target with no finding passes) for .ci/run's total
npass=0
for l in "${summary[@]}"; do case "$l" in *" ok") npass=$((npass + 1)) ;; esac; done
echo "$npass $(( ${#summary[@]} - npass ))" >"$out/test-counts"

echo
echo "== fuzz summary (${secs}s per target)"
printf '%s\n' "${summary[@]}"
if [ $status -ne 0 ]; then
  echo "fuzz.sh: FAILED: a target found a crash, leak, timeout or OOM (reproducers under $out/artifacts/)" >&2
fi
exit $status
