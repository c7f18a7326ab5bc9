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
KERNELS := signature dedup stream_filter graph json_repair similarity walk secrets
# core/ac.c: the Aho-Corasick core shared by kernels (no binding of its own).
KERNEL_SRC := core/status.c core/ac.c $(KERNELS:%=core/%.c) $(KERNELS:%=core/lua_%.c) core/lua_victor.c
KERNEL_SRC += core/similarity_avx2.c core/secrets_avx2.c
RUNTIME_SRC := core/runtime.c
LUA_SRC := $(shell find lua -name '*.lua' | LC_ALL=C sort)
PACKS := $(sort $(wildcard rules/*.lua))

OBJ := $(BUILD)/obj
KERNEL_OBJ := $(KERNEL_SRC:core/%.c=$(OBJ)/%.o) $(OBJ)/toml_json.o
RUNTIME_OBJ := $(OBJ)/runtime.o $(OBJ)/bundle.o
HDRS := $(wildcard core/*.h)

BIN := $(BUILD)/victor-lua
LIB := $(BUILD)/libvictorlua.a
CMOD := $(BUILD)/lib/victor.so
EMBED := $(BUILD)/examples/embed-host
TEST_RUNTIME := $(BUILD)/tests/test_runtime
# core/graph.c: OpenMP loops (-fopenmp; libgomp ships with gcc), so every link takes -fopenmp.
$(OBJ)/graph.o: override VL_CFLAGS += -fopenmp
$(OBJ)/similarity.o: override VL_CFLAGS += -fopenmp
$(OBJ)/walk.o: override VL_CFLAGS += -fopenmp
# core/secrets.c: PCRE2 (libpcre2-dev) and OpenMP over files.
PCRE2_CFLAGS := $(shell pkg-config --cflags libpcre2-8 2>/dev/null)
PCRE2_LIBS := $(shell pkg-config --libs libpcre2-8 2>/dev/null || echo -lpcre2-8)
# core/toml_json.cpp: the one C++ unit (toml++ header-only, for rules import-gitleaks).
CXX ?= c++
KERNEL_LIBS := $(PCRE2_LIBS) -lstdc++
$(OBJ)/secrets.o: override VL_CFLAGS += -fopenmp $(PCRE2_CFLAGS)
$(OBJ)/similarity_avx2.o: override VL_CFLAGS += -mavx2 -mfma -mf16c
$(OBJ)/secrets_avx2.o: override VL_CFLAGS += -mavx2 -mpopcnt
$(BIN) $(CMOD) $(TEST_RUNTIME) $(EMBED): SAN_LD += -fopenmp
# victor.so must never be unloaded (lua_close dlcloses C modules): libgomp's idle worker threads would crash.
$(CMOD): SAN_LD += -Wl,-z,nodelete

.PHONY: all deps demo test test-c test-mem bench fuzz lint install uninstall examples help clean

all: $(BIN) $(CMOD) $(EMBED) $(TEST_RUNTIME)

help:
	@echo "victor-lua targets:"
	@echo "  make demo      install deps, build, run examples/rules.lua on bundled data"
	@echo "  make test      install deps, build, run every spec (native, fallback, host)"
	@echo "  make all       build $(BIN), $(CMOD), $(LIB) and the embedding example"
	@echo "  make deps      install Debian packages (scripts/install-deps.sh; skips what is present)"
	@echo "  make test-c    rebuild with ASan+UBSan under $(BUILD)/asan and run the specs"
	@echo "  make test-mem  run the specs under valgrind (errors and leaks fail)"
	@echo "  make bench     run bench/*.lua; results in $(BUILD)/bench/"
	@echo "  make fuzz      build libFuzzer targets and run each (FUZZ_SECONDS=60)"
	@echo "  make conformance  json_repair vs npm jsonrepair (in $(BUILD)/peers), graph vs networkx/igraph, scan SARIF vs the 2.1.0 schema"
	@echo "  make lint      cppcheck on core/, luacheck on lua/ spec/ bench/"
	@echo "  make install   install into PREFIX=$(PREFIX)"

deps:
	@sh scripts/install-deps.sh

$(OBJ) $(BUILD)/gen $(BUILD)/lib $(BUILD)/examples:
	@mkdir -p $@

$(OBJ)/%.o: core/%.c $(HDRS) | $(OBJ)
	$(CC) $(VL_CFLAGS) -c $< -o $@

$(OBJ)/toml_json.o: core/toml_json.cpp core/toml_json.h core/vl_status.h | $(OBJ)
	$(CXX) -std=c++17 -fPIC $(OPT) -Wall -Wextra $(if $(filter true,$(CI)),-Werror) -fno-exceptions -fno-rtti \
	  -Icore $(CXXFLAGS) -c $< -o $@

$(BUILD)/gen/bundle.c: $(LUA_SRC) $(PACKS) scripts/bundle-lua.lua | $(BUILD)/gen
	@mkdir -p $(BUILD)/gen/lua/victor
	$(LUAJIT) scripts/bundle-lua.lua $@ $(BUILD)/gen/lua/victor/default_packs.lua --packs $(PACKS) --modules $(LUA_SRC)

$(OBJ)/bundle.o: $(BUILD)/gen/bundle.c core/bundle.h | $(OBJ)
	$(CC) $(VL_CFLAGS) -c $< -o $@

$(LIB): $(KERNEL_OBJ) $(RUNTIME_OBJ)
	rm -f $@
	ar rcs $@ $^

# The CLI links LuaJIT statically and exports its symbols (-Wl,-E) so that Lua C
# modules such as cjson.so load into it.
$(BIN): $(OBJ)/main.o $(LIB)
	$(CC) $(SAN_LD) -o $@ $(OBJ)/main.o $(LIB) $(LJ_STATIC) -Wl,-E -lm -ldl $(KERNEL_LIBS)

# The kernels as a Lua C module for a stock luajit: LUA_CPATH='build/lib/?.so;;'
# then require "victor.core.signature". Only luaopen_* is exported.
$(CMOD): $(KERNEL_OBJ) core/exports.map | $(BUILD)/lib
	$(CC) $(SAN_LD) -shared -o $@ $(KERNEL_OBJ) -Wl,--version-script=core/exports.map -lm $(KERNEL_LIBS)

$(TEST_RUNTIME): spec/c/test_runtime.c core/victor_lua.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(VL_CFLAGS) $(SAN_LD) -o $@ $< $(LIB) $(LJ_STATIC) -Wl,-E -lm -ldl $(KERNEL_LIBS)

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
	luacheck -q lua spec bench examples scripts/bundle-lua.lua

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include/victor-lua $(DESTDIR)$(PREFIX)/lib
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/victor-lua
	install -m 644 core/victor_lua.h core/vl_status.h $(DESTDIR)$(PREFIX)/include/victor-lua/
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/victor-lua $(DESTDIR)$(PREFIX)/lib/libvictorlua.a
	rm -rf $(DESTDIR)$(PREFIX)/include/victor-lua

clean:
	rm -rf build
