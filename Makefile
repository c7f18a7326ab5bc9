# victor-lua: one GNU Makefile. `make help` lists the targets.
#
# The two commands a new user runs (see README.md):
#   make demo   install dependencies, build, run the main job on bundled data
#   make test   install dependencies, build, run every spec
SHELL := /bin/bash
.DEFAULT_GOAL := all

CC ?= cc
LUAJIT ?= luajit
BUSTED := $(LUAJIT) /usr/bin/busted
PREFIX ?= /usr/local
BUILD ?= build
SAN ?=

LJ_CFLAGS := $(shell pkg-config --cflags luajit 2>/dev/null)
LJ_LIBDIR := $(shell pkg-config --variable=libdir luajit 2>/dev/null)
LJ_STATIC := $(LJ_LIBDIR)/libluajit-5.1.a

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
        -Wcast-align -Wwrite-strings -Wformat=2 -Wundef -Wvla -Wno-psabi
ifeq ($(CI),true)
WARN += -Werror
endif
OPT ?= -O2 -g
ifneq ($(SAN),)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
SAN_LD := -fsanitize=address,undefined
endif
override VL_CFLAGS := -std=c99 -D_POSIX_C_SOURCE=200809L -fPIC $(OPT) $(WARN) -Icore -I$(BUILD)/gen $(LJ_CFLAGS) $(CFLAGS)

# Kernels: pure C (kernel.c) plus binding (lua_kernel.c).
KERNELS := signature dedup stream_filter graph json_repair similarity walk patterns indexer secrets
# core/ac.c: the Aho-Corasick core shared by kernels (no binding of its own).
KERNEL_SRC := core/status.c core/ac.c core/vl_platform.c $(KERNELS:%=core/%.c) $(KERNELS:%=core/lua_%.c) core/lua_victor.c
KERNEL_SRC += core/similarity_avx2.c core/hnsw.c core/secrets_pairs.c core/secrets_lead.c core/dedup_avx2.c
RUNTIME_SRC := core/runtime.c
LUA_SRC := $(shell find lua -name '*.lua' | LC_ALL=C sort)
PACKS := $(sort $(wildcard rules/*.lua))

OBJ := $(BUILD)/obj
KERNEL_OBJ := $(KERNEL_SRC:core/%.c=$(OBJ)/%.o) $(OBJ)/toml_json.o
RUNTIME_OBJ := $(OBJ)/runtime.o $(OBJ)/bundle.o
HDRS := $(wildcard core/*.h)

# tree-sitter: the 0.25.1 runtime and the grammars, npm tarballs pinned in scripts/grammars.lock,
# fetched once per build dir (tarballs cached in TS_CACHE, so a rebuild works offline) and
# extracted under $(VENDOR); never committed. The runtime gets the build's flags (sanitizers
# included); grammar parser.c files are generated tables: -O2 normally, -O1 without
# sanitizers under SAN=1 (compile time; their scanners keep the sanitizers).
VENDOR := $(BUILD)/vendor
TS_CACHE ?= build/tgz-cache
TS_RT := $(VENDOR)/tree-sitter/vendor/tree-sitter/lib
TS_LANGS := python javascript typescript tsx go rust c cpp java lua ruby bash json
TS_SCANNER_LANGS := python javascript typescript tsx rust cpp lua ruby bash
TS_BASE := -std=c11 -fPIC -D_POSIX_C_SOURCE=200112L -D_DEFAULT_SOURCE -w $(CFLAGS)
TS_GOPT := -O2
ifneq ($(SAN),)
TS_GOPT := -O1
endif
TS_OBJ := $(OBJ)/ts/runtime.o $(TS_LANGS:%=$(OBJ)/ts/%_parser.o) \
          $(TS_SCANNER_LANGS:%=$(OBJ)/ts/%_scanner.o) $(OBJ)/ts/queries.o
QUERIES := $(sort $(wildcard queries/*.scm))
ts_src = $(if $(filter typescript tsx,$(1)),$(VENDOR)/tree-sitter-typescript/$(1)/src,$(VENDOR)/tree-sitter-$(1)/src)

BIN := $(BUILD)/victor-lua
VERSION := 0.1.0
SOMAJOR := 0
LIB := $(BUILD)/libvictor_lua.a
# the shared library: versioned soname, only the embedding API and luaopen_* exported
SOLIB := $(BUILD)/libvictor_lua.so.$(VERSION)
MAN := $(BUILD)/man/victor-lua.1
LJ_LIBS := $(shell pkg-config --libs luajit 2>/dev/null)
CMOD := $(BUILD)/lib/victor.so
EMBED := $(BUILD)/examples/embed-host
TEST_RUNTIME := $(BUILD)/tests/test_runtime
TEST_THREADS := $(BUILD)/tests/test_threads
# core/graph.c: OpenMP loops (-fopenmp; libgomp ships with gcc), so every link takes -fopenmp.
$(OBJ)/graph.o: override VL_CFLAGS += -fopenmp
$(OBJ)/similarity.o: override VL_CFLAGS += -fopenmp
$(OBJ)/walk.o: override VL_CFLAGS += -fopenmp
$(OBJ)/hnsw.o: override VL_CFLAGS += -fopenmp
$(OBJ)/indexer.o: $(VENDOR)/.stamp
# core/secrets.c: PCRE2 (libpcre2-dev) and OpenMP over files.
PCRE2_CFLAGS := $(shell pkg-config --cflags libpcre2-8 2>/dev/null)
PCRE2_LIBS := $(shell pkg-config --libs libpcre2-8 2>/dev/null || echo -lpcre2-8)
# core/indexer.c: PCRE2 for the query predicates #match? / #not-match?.
$(OBJ)/indexer.o: override VL_CFLAGS += -fopenmp -I$(TS_RT)/include $(PCRE2_CFLAGS)
# core/toml_json.cpp: the one C++ unit (toml++ header-only, for rules import-gitleaks).
CXX ?= c++
KERNEL_LIBS := $(PCRE2_LIBS) -lstdc++
$(OBJ)/secrets.o: override VL_CFLAGS += -fopenmp $(PCRE2_CFLAGS)
# The AVX2 units take -mavx2 on x86 only; elsewhere (make cross-arm64) SIMDe compiles them
# portably and the runtime dispatch never selects them (the SSE2 backend becomes NEON).
VL_TARGET := $(shell $(CC) -dumpmachine 2>/dev/null)
ifneq ($(filter x86_64-% i386-% i486-% i586-% i686-%,$(VL_TARGET)),)
$(OBJ)/similarity_avx2.o: override VL_CFLAGS += -mavx2 -mfma -mf16c
$(OBJ)/dedup_avx2.o: override VL_CFLAGS += -mavx2 -mpopcnt
endif
$(BIN) $(CMOD) $(TEST_RUNTIME) $(TEST_THREADS) $(EMBED) $(SOLIB): SAN_LD += -fopenmp
# victor.so must never be unloaded (lua_close dlcloses C modules): libgomp's idle worker threads would crash.
$(CMOD): SAN_LD += -Wl,-z,nodelete

.PHONY: all deps demo test test-c test-mem bench fuzz lint install uninstall examples help clean

all: $(BIN) $(CMOD) $(EMBED) $(TEST_RUNTIME) $(TEST_THREADS) $(SOLIB) $(MAN)

help:
	@echo "victor-lua targets:"
	@echo "  make demo      install deps, build, run examples/rules.lua on bundled data"
	@echo "  make test      install deps, build, run every spec (native, fallback, host)"
	@echo "  make all       build $(BIN), $(CMOD), $(LIB) and the embedding example"
	@echo "  make deps      install Debian packages (scripts/install-deps.sh; skips what is present)"
	@echo "  make test-c    rebuild with ASan+UBSan under $(BUILD)/asan and run the specs"
	@echo "  make test-mem  run the specs under valgrind (errors and leaks fail)"
	@echo "  make soak      stream SOAK_GB=1 GB through the streaming kernels; fails if RSS grows"
	@echo "  make test-tsan spec/c/test_threads.c under ThreadSanitizer (clang, build/tsan)"
	@echo "  make bench     run bench/*.lua; results in $(BUILD)/bench/"
	@echo "  make bench-report  charts of those results (gnuplot) into docs/bench/"
	@echo "  make fuzz      build libFuzzer targets and run each (FUZZ_SECONDS=60)"
	@echo "  make conformance  json_repair vs npm jsonrepair (in $(BUILD)/peers), graph vs networkx/igraph, scan SARIF vs the 2.1.0 schema"
	@echo "  make lint      cppcheck on core/, luacheck on lua/ spec/ bench/"
	@echo "  make cross-arm64  build victor-lua, victor.so, libvictor_lua.a for aarch64 in build/arm64"
	@echo "  make test-arm64   run the specs on those under qemu-aarch64 (scripts/test-arm64.sh)"
	@echo "  make bench-arm64  NEON paths vs their references, vector benchmarks under qemu (relative figures)"
	@echo "  make cross-windows  build the pure-C kernels and test_kat.exe with mingw-w64 in build/windows"
	@echo "  make test-windows   run test_kat.exe (known answers) under wine64"
	@echo "  make test-kat     the same known answers natively (build/tests/test_kat)"
	@echo "  make windows-exe  build/windows/victor-lua.exe (static LuaJIT, PCRE2, lua-cjson from Debian sources)"
	@echo "  make test-windows-exe  jobs of victor-lua.exe under wine64 == those of $(BIN)"
	@echo "  make install   install into PREFIX=$(PREFIX)"

deps:
	@sh scripts/install-deps.sh

$(OBJ) $(BUILD)/gen $(BUILD)/lib $(BUILD)/examples:
	@mkdir -p $@

$(OBJ)/%.o: core/%.c $(HDRS) | $(OBJ)
	$(CC) $(VL_CFLAGS) -c $< -o $@

$(VENDOR)/.stamp: scripts/grammars.lock scripts/fetch-grammars.sh
	bash scripts/fetch-grammars.sh $(VENDOR) $(TS_CACHE)

$(OBJ)/ts:
	@mkdir -p $@

$(OBJ)/ts/runtime.o: $(VENDOR)/.stamp | $(OBJ)/ts
	$(CC) $(TS_BASE) $(OPT) -I$(TS_RT)/include -I$(TS_RT)/src -c $(TS_RT)/src/lib.c -o $@

define TS_GRAMMAR_RULES
$$(OBJ)/ts/$(1)_parser.o: $$(VENDOR)/.stamp | $$(OBJ)/ts
	$$(CC) $$(TS_BASE) $$(TS_GOPT) -g0 -I$(call ts_src,$(1)) -c $(call ts_src,$(1))/parser.c -o $$@
$$(OBJ)/ts/$(1)_scanner.o: $$(VENDOR)/.stamp | $$(OBJ)/ts
	$$(CC) $$(TS_BASE) $$(OPT) -I$(call ts_src,$(1)) -c $(call ts_src,$(1))/scanner.c -o $$@
endef
$(foreach l,$(TS_LANGS),$(eval $(call TS_GRAMMAR_RULES,$(l))))

$(BUILD)/gen/vl_ts_queries.c: $(VENDOR)/.stamp $(QUERIES) scripts/gen-queries.lua | $(BUILD)/gen
	$(LUAJIT) scripts/gen-queries.lua $(VENDOR) $@

$(OBJ)/ts/queries.o: $(BUILD)/gen/vl_ts_queries.c | $(OBJ)/ts
	$(CC) $(VL_CFLAGS) -c $< -o $@

$(OBJ)/toml_json.o: core/toml_json.cpp core/toml_json.h core/vl_status.h | $(OBJ)
	$(CXX) -std=c++17 -fPIC $(OPT) -Wall -Wextra $(if $(filter true,$(CI)),-Werror) -fno-exceptions -fno-rtti \
	  -Icore $(CXXFLAGS) -c $< -o $@

$(BUILD)/gen/bundle.c: $(LUA_SRC) $(PACKS) scripts/bundle-lua.lua | $(BUILD)/gen
	@mkdir -p $(BUILD)/gen/lua/victor
	$(LUAJIT) scripts/bundle-lua.lua $@ $(BUILD)/gen/lua/victor/default_packs.lua --packs $(PACKS) --modules $(LUA_SRC)

$(OBJ)/bundle.o: $(BUILD)/gen/bundle.c core/bundle.h | $(OBJ)
	$(CC) $(VL_CFLAGS) -c $< -o $@

$(LIB): $(KERNEL_OBJ) $(TS_OBJ) $(RUNTIME_OBJ)
	rm -f $@
	ar rcs $@ $^

# The CLI links LuaJIT statically and exports its symbols so that Lua C modules such as
# cjson.so load into it: only the Lua API and luaopen_* (core/host-exports.list), not
# tree-sitter's ts_* (which could clash with a libtree-sitter loaded by another module).
$(BIN): $(OBJ)/main.o $(LIB) core/host-exports.list
	$(CC) $(SAN_LD) -o $@ $(OBJ)/main.o $(LIB) $(LJ_STATIC) -Wl,--dynamic-list=core/host-exports.list -lm -ldl $(KERNEL_LIBS)

# The kernels as a Lua C module for a stock luajit: LUA_CPATH='build/lib/?.so;;'
# then require "victor.core.signature". Only luaopen_* is exported.
$(CMOD): $(KERNEL_OBJ) $(TS_OBJ) core/exports.map | $(BUILD)/lib
	$(CC) $(SAN_LD) -shared -o $@ $(KERNEL_OBJ) $(TS_OBJ) -Wl,--version-script=core/exports.map -lm $(KERNEL_LIBS)

# libgomp's worker threads must not outlive the code they run: never unloaded (as victor.so)
$(SOLIB): $(KERNEL_OBJ) $(TS_OBJ) $(RUNTIME_OBJ) core/libvictor_lua.map
	$(CC) $(SAN_LD) -shared -Wl,-soname,libvictor_lua.so.$(SOMAJOR) -Wl,--version-script=core/libvictor_lua.map \
	  -Wl,-z,nodelete -Wl,--no-undefined -o $@ $(KERNEL_OBJ) $(TS_OBJ) $(RUNTIME_OBJ) $(LJ_LIBS) -lm -ldl $(KERNEL_LIBS)
	ln -sf libvictor_lua.so.$(VERSION) $(BUILD)/libvictor_lua.so.$(SOMAJOR)
	ln -sf libvictor_lua.so.$(SOMAJOR) $(BUILD)/libvictor_lua.so

# victor-lua(1), from the binary's own --help texts (scripts/gen-man.sh)
$(MAN): $(BIN) scripts/gen-man.sh
	bash scripts/gen-man.sh $(BIN) $@

$(TEST_RUNTIME): spec/c/test_runtime.c core/victor_lua.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(VL_CFLAGS) $(SAN_LD) -o $@ $< $(LIB) $(LJ_STATIC) -Wl,-E -lm -ldl $(KERNEL_LIBS)

# 8 threads, each with its own runtime, over shared compiled objects (issue 11)
$(TEST_THREADS): spec/c/test_threads.c core/victor_lua.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(VL_CFLAGS) -pthread $(SAN_LD) -o $@ $< $(LIB) $(LJ_STATIC) -Wl,-E -lm -ldl -lpthread $(KERNEL_LIBS)

# The same under ThreadSanitizer (clang, build/tsan; not part of `make test`).
.PHONY: test-tsan
test-tsan: deps
	@$(MAKE) --no-print-directory BUILD=build/tsan CC=clang CXX=clang++ \
	  TS_GOPT=-O0 OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=thread" \
	  SAN_LD="-fsanitize=thread -fopenmp" build/tsan/tests/test_threads
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1" build/tsan/tests/test_threads

# Soak (not part of `make test`): SOAK_GB (default 1) through the stream filter, dedup stream
# and JSON repair stream; fails when RSS grows (scripts/soak.lua).
.PHONY: soak
soak: all
	LUA_PATH="./lua/?.lua;$(BUILD)/gen/lua/?.lua;;" LUA_CPATH="$(BUILD)/lib/?.so;;" $(LUAJIT) scripts/soak.lua

examples: $(EMBED)
$(EMBED): examples/embed/embed_host.c core/victor_lua.h $(LIB) | $(BUILD)/examples
	$(CC) $(VL_CFLAGS) $(SAN_LD) -o $@ $< $(LIB) $(LJ_STATIC) -Wl,-E -lm -ldl $(KERNEL_LIBS)

demo: deps
	@$(MAKE) --no-print-directory all
	$(BIN) examples/rules.lua

test: deps
	@$(MAKE) --no-print-directory all
	@bash scripts/run-specs.sh $(BUILD) all

test-c: deps
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 all
	@bash scripts/run-specs.sh build/asan asan

test-mem: deps
	@$(MAKE) --no-print-directory all
	@bash scripts/run-specs.sh $(BUILD) valgrind

bench: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p $(BUILD)/bench
	@for b in bench/*_bench.lua; do \
	  LUA_PATH="./lua/?.lua;./bench/?.lua;$(BUILD)/gen/lua/?.lua;;" LUA_CPATH="$(BUILD)/lib/?.so;;" \
	    $(LUAJIT) $$b $(BUILD)/bench || exit 1; done
	@$(LUAJIT) bench/report.lua $(BUILD)/bench

# charts of the last `make bench` (needs gnuplot: apt-get install gnuplot-nox); copies
# into docs/bench/, which the README links
.PHONY: bench-report
bench-report:
	@$(LUAJIT) bench/charts.lua $(BUILD)/bench docs/bench

FUZZ_SECONDS ?= 60
fuzz: deps
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)

# Peer conformance (not part of `make test`): victor.json_repair against the npm
# package jsonrepair at a pinned version, installed into $(BUILD)/peers (needs node and
# npm); victor.graph against networkx and igraph (python3-networkx, python3-igraph; a
# missing one is skipped with its install line).
JSONREPAIR_VERSION ?= 3.15.0
.PHONY: conformance
conformance: all
	@mkdir -p $(BUILD)/peers
	@[ -f $(BUILD)/peers/node_modules/jsonrepair/package.json ] || \
	  (cd $(BUILD)/peers && npm install --no-audit --no-fund --silent jsonrepair@$(JSONREPAIR_VERSION))
	LUA_PATH="./lua/?.lua;./spec/?.lua;$(BUILD)/gen/lua/?.lua;;" LUA_CPATH="$(BUILD)/lib/?.so;;" \
	  $(LUAJIT) scripts/conformance.lua $(BUILD)/peers
	bash scripts/graph-conformance.sh $(BUILD)
	bash scripts/sarif-conformance.sh $(BUILD)

lint: deps
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c99 \
	  --suppress=missingIncludeSystem -Icore core/*.c examples/embed/*.c
	luacheck -q lua spec bench examples scripts/bundle-lua.lua scripts/soak.lua

# arm64 (not part of `make test`): Debian's aarch64 cross compiler and arm64 libraries through
# multiarch (scripts/cross-arm64.sh installs them, luajit:arm64 unpacked into the sysroot);
# `make test-arm64` runs the specs under qemu-aarch64. The host tools (bundle, queries) stay x86.
ARM64_BUILD := build/arm64
ARM64_PC := /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig
.PHONY: cross-arm64 test-arm64
cross-arm64: deps
	@sh scripts/cross-arm64.sh $(ARM64_BUILD)/sysroot
	@PKG_CONFIG_LIBDIR=$(ARM64_PC) $(MAKE) --no-print-directory BUILD=$(ARM64_BUILD) TS_CACHE=$(TS_CACHE) \
	  CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ \
	  $(ARM64_BUILD)/victor-lua $(ARM64_BUILD)/lib/victor.so $(ARM64_BUILD)/libvictor_lua.a \
	  $(ARM64_BUILD)/tests/test_runtime $(ARM64_BUILD)/tests/test_threads $(ARM64_BUILD)/tests/test_kat \
	  $(ARM64_BUILD)/examples/embed-host

test-arm64: cross-arm64
	@$(MAKE) --no-print-directory all
	@bash scripts/test-arm64.sh $(ARM64_BUILD)

# the NEON paths against their references and the vector benchmarks, relative figures only
.PHONY: bench-arm64
bench-arm64: cross-arm64
	@bash scripts/test-arm64.sh $(ARM64_BUILD) --bench

# Windows (not part of `make test`): the pure-C kernels cross-compiled with mingw-w64 into
# build/windows/libvictor_core.a, and spec/c/test_kat.c (their known answers) into test_kat.exe,
# which `make test-windows` runs under wine64 (scripts/cross-windows.sh installs both). walk and
# indexer reach the OS only through core/vl_platform.c (its Win32 half there); the tree-sitter
# runtime, every grammar and the generated queries are built as on Linux (third-party flags).
# Left out: secrets (PCRE2: no mingw build in Debian), the Lua bindings and the runtime (LuaJIT).
# xxHash and SIMDe are header-only: only those two are linked into an include dir (the mingw
# compiler must not see the rest of /usr/include). similarity.c gets core/win32/vl_compat.h
# (posix_memalign -> _aligned_malloc). OpenMP: mingw's libgomp, linked statically.
WIN_BUILD := build/windows
WIN_CC := x86_64-w64-mingw32-gcc
WIN_AR := x86_64-w64-mingw32-ar
WINE ?= $(firstword $(shell command -v wine64 2>/dev/null) /usr/lib/wine/wine64)
WIN_KERNELS := status ac signature dedup dedup_avx2 stream_filter json_repair graph similarity similarity_avx2 hnsw patterns \
               vl_platform walk indexer
WIN_TS_OBJ := $(TS_OBJ:$(OBJ)/ts/%=$(WIN_BUILD)/obj/ts/%)
WIN_OBJ := $(WIN_KERNELS:%=$(WIN_BUILD)/obj/%.o) $(WIN_TS_OBJ)
WIN_LIB := $(WIN_BUILD)/libvictor_core.a
WIN_CFLAGS := -std=c99 $(OPT) $(WARN) -fopenmp -Icore -isystem $(WIN_BUILD)/include
KAT_OBJ := $(WIN_KERNELS:%=$(OBJ)/%.o) $(TS_OBJ)
.PHONY: cross-windows test-windows test-kat
# secrets: PCRE2 (8-bit, JIT), cross-built with LuaJIT and lua-cjson from Debian's source
# tarballs by scripts/fetch-win-deps.sh into $(WIN_DEPS) (pinned in scripts/win-deps.lock).
WIN_DEPS := $(WIN_BUILD)/deps
WIN_SECRETS := secrets secrets_pairs secrets_lead
WIN_OBJ += $(WIN_SECRETS:%=$(WIN_BUILD)/obj/%.o)
KAT_OBJ += $(WIN_SECRETS:%=$(OBJ)/%.o)
$(WIN_BUILD)/obj/secrets.o: WIN_CFLAGS += -DPCRE2_STATIC -isystem $(WIN_DEPS)/include
$(WIN_BUILD)/obj/secrets.o: $(WIN_DEPS)/.stamp
cross-windows:
	@sh scripts/cross-windows.sh
	@$(MAKE) --no-print-directory $(WIN_DEPS)/.stamp
	@$(MAKE) --no-print-directory $(WIN_LIB) $(WIN_BUILD)/test_kat.exe $(WIN_EXE)

# PCRE2, LuaJIT and lua-cjson from Debian's source tarballs (pinned SHA256), cross-built once
$(WIN_DEPS)/.stamp: scripts/win-deps.lock scripts/fetch-win-deps.sh
	bash scripts/fetch-win-deps.sh $(WIN_DEPS) $(TS_CACHE)

$(WIN_BUILD)/include/.stamp:
	@mkdir -p $(@D)
	ln -sfn /usr/include/xxhash.h $(@D)/xxhash.h
	ln -sfn /usr/include/simde $(@D)/simde
	@touch $@

$(WIN_BUILD)/obj/%.o: core/%.c $(HDRS) core/win32/vl_compat.h $(WIN_BUILD)/include/.stamp
	@mkdir -p $(@D)
	$(WIN_CC) $(WIN_CFLAGS) -c -o $@ $<
$(WIN_BUILD)/obj/similarity.o: WIN_CFLAGS += -include core/win32/vl_compat.h
$(WIN_BUILD)/obj/similarity_avx2.o: WIN_CFLAGS += -mavx2 -mfma -mf16c
$(WIN_BUILD)/obj/dedup_avx2.o: WIN_CFLAGS += -mavx2 -mpopcnt
$(WIN_BUILD)/obj/indexer.o: WIN_CFLAGS += -I$(TS_RT)/include -DPCRE2_STATIC -isystem $(WIN_DEPS)/include
$(WIN_BUILD)/obj/indexer.o: $(VENDOR)/.stamp $(WIN_DEPS)/.stamp

# tree-sitter for Windows: the same sources and flags as the Linux build, less -fPIC
WIN_TS_BASE := $(filter-out -fPIC,$(TS_BASE))
$(WIN_BUILD)/obj/ts/runtime.o: $(VENDOR)/.stamp
	@mkdir -p $(@D)
	$(WIN_CC) $(WIN_TS_BASE) $(OPT) -I$(TS_RT)/include -I$(TS_RT)/src -c $(TS_RT)/src/lib.c -o $@
define WIN_TS_GRAMMAR_RULES
$$(WIN_BUILD)/obj/ts/$(1)_parser.o: $$(VENDOR)/.stamp
	@mkdir -p $$(@D)
	$$(WIN_CC) $$(WIN_TS_BASE) $$(TS_GOPT) -g0 -I$(call ts_src,$(1)) -c $(call ts_src,$(1))/parser.c -o $$@
$$(WIN_BUILD)/obj/ts/$(1)_scanner.o: $$(VENDOR)/.stamp
	@mkdir -p $$(@D)
	$$(WIN_CC) $$(WIN_TS_BASE) $$(OPT) -I$(call ts_src,$(1)) -c $(call ts_src,$(1))/scanner.c -o $$@
endef
$(foreach l,$(TS_LANGS),$(eval $(call WIN_TS_GRAMMAR_RULES,$(l))))
$(WIN_BUILD)/obj/ts/queries.o: $(BUILD)/gen/vl_ts_queries.c $(WIN_BUILD)/include/.stamp
	@mkdir -p $(@D)
	$(WIN_CC) $(WIN_CFLAGS) -c -o $@ $<

$(WIN_LIB): $(WIN_OBJ)
	rm -f $@
	$(WIN_AR) rcs $@ $^

$(WIN_BUILD)/test_kat.exe: spec/c/test_kat.c $(WIN_LIB)
	$(WIN_CC) $(WIN_CFLAGS) -static -o $@ $< $(WIN_LIB) $(WIN_DEPS)/lib/libpcre2-8.a -lm

# victor-lua.exe: the runtime, the Lua bindings, main.c and the Lua bundle (plus argparse, which
# Linux finds on package.path) over libvictor_core.a, linked statically against the cross-built
# LuaJIT, lua-cjson (preloaded: -DVL_STATIC_CJSON) and PCRE2; toml_json.cpp with mingw's g++.
# Needs walk and indexer in libvictor_core.a (core/vl_platform.h): once WIN_KERNELS has them,
# `make cross-windows` builds it and `make test-windows` also runs `make test-windows-exe` (jobs
# under wine64, their output compared with build/victor-lua's: scripts/test-windows-exe.sh).
WIN_CXX := x86_64-w64-mingw32-g++
WIN_EXE := $(WIN_BUILD)/victor-lua.exe
ARGPARSE_LUA ?= /usr/share/lua/5.1/argparse.lua
WIN_RT := main runtime lua_victor $(KERNELS:%=lua_%)
WIN_RT_OBJ := $(WIN_RT:%=$(WIN_BUILD)/obj/%.o) $(WIN_BUILD)/obj/bundle.o $(WIN_BUILD)/obj/toml_json.o
WIN_DEP_LIBS := $(addprefix $(WIN_DEPS)/lib/,libluajit-5.1.a libcjson.a libpcre2-8.a)
$(WIN_RT:%=$(WIN_BUILD)/obj/%.o): WIN_CFLAGS += -isystem $(WIN_DEPS)/include/luajit-2.1
$(WIN_RT:%=$(WIN_BUILD)/obj/%.o): $(WIN_DEPS)/.stamp
$(WIN_BUILD)/obj/runtime.o: WIN_CFLAGS += -DVL_STATIC_CJSON
.PHONY: windows-exe test-windows-exe
windows-exe: cross-windows
	@$(MAKE) --no-print-directory $(WIN_EXE)

$(WIN_BUILD)/gen/bundle.c: $(LUA_SRC) $(PACKS) scripts/bundle-lua.lua $(ARGPARSE_LUA)
	@mkdir -p $(@D)
	$(LUAJIT) scripts/bundle-lua.lua $@ $(@D)/default_packs.lua --packs $(PACKS) \
	  --modules $(LUA_SRC) argparse=$(ARGPARSE_LUA)
$(WIN_BUILD)/obj/bundle.o: $(WIN_BUILD)/gen/bundle.c core/bundle.h
	$(WIN_CC) $(WIN_CFLAGS) -c -o $@ $<
$(WIN_BUILD)/include/toml++:
	@mkdir -p $(@D)
	ln -sfn /usr/include/toml++ $@
$(WIN_BUILD)/obj/toml_json.o: core/toml_json.cpp core/toml_json.h core/vl_status.h | $(WIN_BUILD)/include/toml++
	@mkdir -p $(@D)
	$(WIN_CXX) -std=c++17 $(OPT) -Wall -Wextra $(if $(filter true,$(CI)),-Werror) -fno-exceptions -fno-rtti \
	  -Icore -isystem $(WIN_BUILD)/include -c $< -o $@
$(WIN_EXE): $(WIN_RT_OBJ) $(WIN_LIB)
	$(WIN_CXX) -static -fopenmp -o $@ $(WIN_RT_OBJ) $(WIN_LIB) $(WIN_DEP_LIBS) -lm

test-windows-exe: windows-exe all
	@bash scripts/test-windows-exe.sh $(BIN) $(WIN_EXE)

test-windows: cross-windows
	@mkdir -p $(WIN_BUILD)/wineprefix
	@rm -f $(WIN_BUILD)/test-counts
	@out=$$(WINEDEBUG=-all WINEPREFIX=$(CURDIR)/$(WIN_BUILD)/wineprefix $(WINE) $(WIN_BUILD)/test_kat.exe | tr -d '\r'); \
	  echo "$$out"; echo "$$out" | sed -n 's/^test_kat: \([0-9]*\) passed, \([0-9]*\) failed$$/\1 \2/p' \
	    >> $(WIN_BUILD)/test-counts; \
	  echo "$$out" | grep -Eq '^test_kat: [1-9][0-9]* passed, 0 failed$$'
	@$(MAKE) --no-print-directory test-windows-exe

# the same known answers natively, from the objects of `make all` (spec/kat_spec.lua runs it)
all: $(BUILD)/tests/test_kat
$(BUILD)/tests/test_kat: spec/c/test_kat.c $(KAT_OBJ)
	@mkdir -p $(@D)
	$(CC) $(VL_CFLAGS) $(SAN_LD) -fopenmp -o $@ $< $(KAT_OBJ) $(PCRE2_LIBS) -lm

test-kat: $(BUILD)/tests/test_kat
	$(BUILD)/tests/test_kat

# make install [PREFIX=/usr/local] [DESTDIR=...]: the layout of the README's install section.
LUADIR ?= $(PREFIX)/share/lua/5.1
CMODDIR ?= $(PREFIX)/lib/lua/5.1
LIBDIR ?= $(PREFIX)/lib
INSTALLED_LUA = $(patsubst lua/%,%,$(LUA_SRC)) victor/default_packs.lua
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include/victor-lua $(DESTDIR)$(LIBDIR)/pkgconfig \
	  $(DESTDIR)$(CMODDIR) $(DESTDIR)$(PREFIX)/share/victor-lua/rules $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/victor-lua
	install -m 644 core/victor_lua.h core/vl_status.h $(DESTDIR)$(PREFIX)/include/victor-lua/
	install -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SOLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libvictor_lua.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libvictor_lua.so.$(SOMAJOR)
	ln -sf libvictor_lua.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libvictor_lua.so
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$${prefix}/include' '' \
	  'Name: victor-lua' 'Description: native kernels for AI coding assistants, embedded in LuaJIT' \
	  'Version: $(VERSION)' 'Requires.private: luajit' 'Cflags: -I$${includedir}/victor-lua' \
	  'Libs: -L$${libdir} -lvictor_lua' 'Libs.private: -fopenmp -lm -ldl -lpcre2-8 -lstdc++' \
	  > $(DESTDIR)$(LIBDIR)/pkgconfig/victor-lua.pc
	for f in $(INSTALLED_LUA); do \
	  src=lua/$$f; [ -f $$src ] || src=$(BUILD)/gen/lua/$$f; \
	  install -D -m 644 $$src $(DESTDIR)$(LUADIR)/$$f || exit 1; done
	install -m 755 $(CMOD) $(DESTDIR)$(CMODDIR)/victor.so
	install -m 644 $(PACKS) $(DESTDIR)$(PREFIX)/share/victor-lua/rules/
	install -m 644 $(MAN) $(DESTDIR)$(PREFIX)/share/man/man1/victor-lua.1
	install -m 644 completion/victor-lua.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/victor-lua

# LuaRocks (victor-lua-*.rockspec, build type "make"): the C module and the Lua modules
# only, built in build/rock with the Lua headers LuaRocks names (LUA_INCDIR).
LUA_INCDIR ?= $(patsubst -I%,%,$(firstword $(LJ_CFLAGS)))
.PHONY: rock rock-install
rock:
	$(MAKE) --no-print-directory BUILD=build/rock LJ_CFLAGS=-I$(LUA_INCDIR) OPT="-O2 $(ROCK_CFLAGS)" \
	  build/rock/lib/victor.so build/rock/gen/bundle.c

rock-install:
	install -d $(ROCK_LIBDIR) $(ROCK_LUADIR)
	install -m 755 build/rock/lib/victor.so $(ROCK_LIBDIR)/victor.so
	for f in $(INSTALLED_LUA); do \
	  src=lua/$$f; [ -f $$src ] || src=build/rock/gen/lua/$$f; \
	  install -D -m 644 $$src $(ROCK_LUADIR)/$$f || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/victor-lua $(DESTDIR)$(LIBDIR)/libvictor_lua.a \
	  $(DESTDIR)$(LIBDIR)/libvictor_lua.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libvictor_lua.so.$(SOMAJOR) \
	  $(DESTDIR)$(LIBDIR)/libvictor_lua.so $(DESTDIR)$(LIBDIR)/pkgconfig/victor-lua.pc \
	  $(DESTDIR)$(CMODDIR)/victor.so $(DESTDIR)$(PREFIX)/share/man/man1/victor-lua.1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/victor-lua
	for f in $(INSTALLED_LUA); do rm -f $(DESTDIR)$(LUADIR)/$$f; done
	rm -rf $(DESTDIR)$(PREFIX)/include/victor-lua $(DESTDIR)$(PREFIX)/share/victor-lua
	-find $(DESTDIR)$(LUADIR)/victor -depth -type d -empty -delete 2>/dev/null

clean:
	rm -rf build
