-- indexer_spec.lua: victor.indexer: known symbols per language, language detection,
-- limits on garbage/binary/empty/huge input, the incremental index, deterministic
-- output for 1 and 2 jobs, ctags and repo map output, and the `index` command.
local indexer = require "victor.indexer"
local raises = require "support.raises"
local proc = require "support.proc"

local native = pcall(require, "victor.core.indexer") and os.getenv("VICTOR_NO_NATIVE") ~= "1"
local DATA = "spec/data/indexer"

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function write(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

local function tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p " .. proc.q(p)))
  return p
end

local function rmrf(p) os.execute("rm -rf " .. proc.q(p)) end

-- "kind name line:col [scope]" for every definition
local function defs(syms)
  local out = {}
  for _, s in ipairs(syms) do
    if not s.ref then
      out[#out + 1] = s.kind .. " " .. s.name .. " " .. s.line .. ":" .. s.column
        .. (s.scope ~= "" and (" " .. s.scope) or "")
    end
  end
  return out
end

local function refs(syms)
  local out = {}
  for _, s in ipairs(syms) do
    if s.ref then out[#out + 1] = s.kind .. " " .. s.name end
  end
  return out
end

local function collect(fn, ...)
  local buf = {}
  fn(..., function(s) buf[#buf + 1] = s end)
  return table.concat(buf)
end

describe("victor.indexer without the native kernels", function()
  it("reports ENOTSUP instead of failing", function()
    if native then return end
    local s, msg, code = indexer.extract_symbols("x = 1", "python")
    assert.is_nil(s)
    assert.equal("ENOTSUP", code)
    assert.truthy(msg:find("native", 1, true))
  end)
end)

if not native then return end

describe("victor.indexer.extract_symbols", function()
  local KNOWN = {
    { "sample.py", "python", nil },
    { "sample.js", "javascript", {
      "constant LIMIT 2:7", "variable total 3:5", "class Shape 4:7", "method area 5:3 Shape",
      "function makeShape 7:10", "function square 10:7", "function run 11:16" } },
    { "sample.ts", "typescript", {
      "interface Named 2:18", "type Id 3:13", "enum Color 4:6", "class Circle 5:14", "field name 6:3 Circle",
      "method radius 7:3 Circle", "function distance 9:17", "constant MAX_RADIUS 10:7" } },
    { "sample.tsx", "tsx", { "interface Props 2:11", "function Header 3:17", "function format 6:7" } },
    { "sample.go", "go", {
      "constant Pi2 5:7", "variable origin 7:5", "struct Point 9:6", "field X 10:2 Point", "field Y 10:5 Point",
      "interface Shape 13:6", "method Area 14:2 Shape", "method Dist 17:17 Point", "function NewPoint 21:6" } },
    { "sample.rs", "rust", {
      "constant LIMIT 3:7", "variable COUNTER 4:12", "struct Point 6:12", "field x 6:20 Point",
      "field y 6:28 Point", "enum Shape 8:10", "constant Circle 8:18 Shape", "constant Square 8:26 Shape",
      "interface Area 10:11", "method area 10:21 Area", "method new 13:12 Point", "method norm 14:8 Point",
      "function helper 17:4", "module inner 19:5", "macro square 20:14" } },
    { "sample.c", "c", {
      "macro MAX_ITEMS 2:9", "macro SQUARE 3:9", "struct point 5:8", "field x 5:20 point", "field y 5:27 point",
      "type point_t 6:22", "enum color 7:6", "constant RED 7:14 color", "constant GREEN 7:19 color",
      "variable counter 8:12", "function helper 10:12", "function make 12:6" } },
    { "sample.cpp", "cpp", {
      "module geo 2:11", "class Shape 3:7 geo", "method area 5:18 geo.Shape", "field sides 6:7 geo.Shape",
      "struct Point 8:8 geo", "field x 8:23 geo.Point", "field y 8:26 geo.Point", "method area 9:15 geo.Shape",
      "function compute 11:15" } },
    { "Sample.java", "java", {
      "class Sample 5:14", "field count 6:17 Sample", "method Sample 7:12 Sample", "method twice 8:16 Sample",
      "method helper 9:16 Sample", "interface Greeter 12:11", "method greet 12:28 Greeter", "enum Level 14:6",
      "constant LOW 14:14 Level", "constant HIGH 14:19 Level" } },
    { "sample.lua", "lua", {
      "variable json 1:7", "variable M 2:7", "constant LIMIT 3:7", "function encode 5:12 M", "method method 9:12 M",
      "function helper 13:16" } },
    { "sample.rb", "ruby", {
      "constant MAX 3:1", "module Shapes 5:8", "class Circle 6:9 Shapes", "method area 7:9 Shapes.Circle",
      "method unit 11:14 Shapes.Circle", "method compute 17:5" } },
    { "sample.sh", "bash", { "variable PREFIX 2:1", "function greet 3:1" } },
    { "sample.json", "json", {} },
  }

  it("finds the known definitions of each language's fixture", function()
    for _, k in ipairs(KNOWN) do
      if k[3] then
        local syms, info = indexer.extract_symbols(read(DATA .. "/" .. k[1]), k[2])
        assert.is_table(syms, k[1])
        assert.is_false(info.has_error, k[1])
        assert.same(k[3], defs(syms), k[1])
        for _, s in ipairs(syms) do assert.equal(k[2], s.language) end
      end
    end
  end)

  it("gives Python names, kinds, scopes, positions, byte ranges and signatures", function()
    local src = read(DATA .. "/sample.py")
    local syms = assert(indexer.extract_symbols(src, "python"))
    assert.same({
      "constant MAX 3:1", "variable counter 4:1", "class Greeter 5:7", "field greeting 6:5 Greeter",
      "method greet 7:9 Greeter", "class Inner 9:11 Greeter", "method deep 10:13 Greeter.Inner",
      "function helper 11:5",
    }, defs(syms))
    assert.same({ "import os", "import foo.bar", "typeref Base", "call helper", "call join" }, refs(syms))
    local greet
    for _, s in ipairs(syms) do if s.name == "greet" then greet = s end end
    assert.equal("def greet(self, name):", greet.signature)
    assert.equal("def greet", src:sub(greet.start_byte + 1, greet.start_byte + 9))
    assert.equal(8, greet.end_line)
    assert.equal("Greeter", greet.scope)
  end)

  it("reports call, import and type references", function()
    local syms = assert(indexer.extract_symbols(read(DATA .. "/sample.go"), "go"))
    local r = table.concat(refs(syms), ",")
    assert.truthy(r:find('import "math"', 1, true), r)
    assert.truthy(r:find("call Sqrt", 1, true), r)
    assert.truthy(r:find("typeref Point", 1, true), r)
    syms = assert(indexer.extract_symbols(read(DATA .. "/sample.c"), "c"))
    r = table.concat(refs(syms), ",")
    assert.equal("import <stdio.h>,typeref point,call SQUARE,typeref point_t,call printf,call helper", r)
  end)

  it("recovers C header definitions around macros it cannot expand", function()
    -- OpenSSL: a macro call with no `;` leaves the #defines after it in ERROR nodes
    local src = "DECLARE_ASN1_ITEM(T)\n#define A 0\nDECLARE_X(T, T)\n#define B(x) x\n"
      .. "typedef struct s S;\n#define C 1\n"
    local got = {}
    for _, s in ipairs(assert(indexer.extract_symbols(src, "c"))) do
      if s.kind == "macro" then got[#got + 1] = s.name .. " " .. s.line end
    end
    assert.same({ "A 2", "B 4", "C 6" }, got)
    -- where the #define token and its name land in different ERROR nodes, a line scan finds
    -- them (only in a tree with errors; not in comments, strings or continued lines)
    src = "typedef struct a_st A;\nDECLARE_FUNCS(A)\ntypedef struct b_st B;\nDECLARE_DUP(B)\n"
      .. "DECLARE_ENCODE(B, B, B)\ntypedef struct c_st C;\n/* off */\nDEFINE_STACK(C, C, C)\n"
      .. "#define sk_C_num(sk) sk_num(check_const_C(sk))\n"
      .. "#define sk_C_value(sk, idx) ((C *)sk_value(check_const_C(sk), (idx)))\n"
      .. "#define sk_C_new(cmp) ((STACK_OF(C) *)sk_new(check_C_compfunc(cmp)))\n"
      .. "#define sk_C_new_null() ((STACK_OF(C) *)sk_new_null())\n"
      .. "/* #define NOT_A 1\n#define NOT_B 2 */\n#define LONG_ONE \\\n#define NOT_C\n"
      .. "const char *s = \"/*\";\n  #  define   D 1 // /*\n#define E 2\n"
    got = {}
    local syms, info = indexer.extract_symbols(src, "c")
    assert.is_true(info.has_error)
    for _, s in ipairs(syms) do
      if s.kind == "macro" then got[#got + 1] = s.name .. " " .. s.line .. ":" .. s.column end
    end
    assert.same({ "sk_C_num 9:9", "sk_C_value 10:9", "sk_C_new 11:9", "sk_C_new_null 12:9", "LONG_ONE 15:9",
      "D 18:15", "E 19:9" }, got)
    -- OpenGL: `typedef void (APIENTRYP NAME)(...)`, an unknown macro before the name
    local gl = "typedef void (APIENTRYP PFNGLFOOPROC) (GLenum op);\n"
    assert.same({ "type PFNGLFOOPROC 1:25" }, defs(assert(indexer.extract_symbols(gl, "c"))))
    assert.same({ "type PFNGLFOOPROC 1:25" }, defs(assert(indexer.extract_symbols(gl, "cpp"))))
    -- C++ members and variables behind pointer and reference declarators
    local cxx = "class A {\n  Init *P;\n  Foo *Q = nullptr;\n  int &R;\n  int **S[2];\n};\nint *V;\nint **W;\n"
      .. "typedef int *IP;\n"
    assert.same({ "class A 1:7", "field P 2:9 A", "field Q 3:8 A", "field R 4:8 A", "field S 5:9 A",
      "variable V 7:6", "variable W 8:7", "type IP 9:14" }, defs(assert(indexer.extract_symbols(cxx, "cpp"))))
  end)

  it("caps signatures at SIG_MAX bytes on a UTF-8 boundary", function()
    local long = "def f(" .. string.rep("é", 200) .. "):\n    pass\n"
    local syms = assert(indexer.extract_symbols(long, "python"))
    assert.truthy(#syms[1].signature <= 160)
    assert.truthy(syms[1].signature:match("^def f%(") )
    assert.is_nil(syms[1].signature:find("[\192-\255]$"))
  end)

  it("handles empty, garbage, binary and huge input within its limits", function()
    local syms, info = indexer.extract_symbols("", "python")
    assert.same({}, syms)
    assert.is_false(info.has_error)
    local seed = 12345
    local bytes = {}
    for i = 1, 20000 do
      seed = (seed * 1103515245 + 12345) % 2147483648
      bytes[i] = string.char(seed % 256)
    end
    local garbage = table.concat(bytes)
    for _, lang in ipairs(indexer.languages()) do
      syms, info = indexer.extract_symbols(garbage, lang, { timeout_ms = 200 })
      assert.is_table(syms, lang)
      assert.truthy(info.has_error or info.skipped == "timeout", lang)
    end
    syms, info = indexer.extract_symbols(string.rep("a", 2000), "c", { max_bytes = 1000 })
    assert.same({}, syms)
    assert.equal("too large", info.skipped)
    -- 10 MB on one line: bounded by the timeout
    syms = indexer.extract_symbols(string.rep("x+", 5 * 1024 * 1024), "python", { timeout_ms = 50 })
    assert.is_table(syms)
    syms, info = indexer.extract_symbols("def f(): pass\n" .. string.rep("y = 1\n", 100), "python",
      { max_symbols = 5 })
    assert.equal(5, #syms)
    assert.is_true(info.truncated)
  end)

  it("raises on misuse", function()
    raises("bad argument #1 to 'extract_symbols' (string expected, got nil)", indexer.extract_symbols)
    raises("bad argument #2 to 'extract_symbols' (unknown language 'cobol')", indexer.extract_symbols, "", "cobol")
    raises("bad argument #3 to 'extract_symbols' (unknown option 'jobs')", indexer.extract_symbols, "", "c",
      { jobs = 1 })
  end)
end)

describe("victor.indexer.detect", function()
  it("uses the extension, the file name, a shebang and a modeline", function()
    assert.equal("python", indexer.detect("a/b.py"))
    assert.equal("cpp", indexer.detect("x.HPP"))
    assert.equal("tsx", indexer.detect("v.tsx"))
    assert.equal("ruby", indexer.detect("dir/Rakefile"))
    assert.is_nil(indexer.detect("README"))
    assert.equal("python", indexer.detect("tool", "#!/usr/bin/env python3\nprint(1)\n"))
    assert.equal("bash", indexer.detect("tool", "#!/bin/sh\necho\n"))
    assert.equal("lua", indexer.detect("tool", "#!/usr/bin/env luajit\n"))
    assert.equal("ruby", indexer.detect("tool", "# -*- mode: ruby -*-\nputs 1\n"))
    assert.equal("python", indexer.detect("tool", "x = 1\n# vim: set ft=python :\n"))
    assert.equal("lua", indexer.detect("x.txt", "-- vim: ft=lua\n"))
    assert.is_nil(indexer.detect("tool", "just text\n"))
  end)

  it("tells a C++ header from a C one by its first bytes", function()
    local C_HDR = "/* class Foo { namespace x { */\n// template <T>\n#ifndef X_H\n#define X_H\n"
      .. "#ifdef __cplusplus\nextern \"C\" {\nnamespace glue {}\n#endif\n"
      .. "#if defined(FOO) && defined(__cplusplus)\ntemplate <class T> T id(T);\n#elif 1\nint x;\n#endif\n"
      .. "#if !defined __cplusplus\nint y;\n#else\nclass Z {};\n#endif\n"
      .. "#ifdef __CORRECT_ISO_CPP_STRING_H_PROTO\nextern \"C++\" void *f(void *);\n#endif\n"
      .. "#include <stddef.h>\nstruct s { int class_; };\nint f(void);\n#endif\n"
    assert.equal("c", indexer.sniff_header(C_HDR))
    assert.equal("c", indexer.detect("a/x.h", C_HDR))
    assert.equal("c", indexer.detect("a/x.h"))
    -- a modeline does not decide for a header (LLVM's C headers say C++)
    assert.equal("c", indexer.detect("a/x.h", "/*===-- x.h --*- C++ -*-===*/\nint f(void);\n"))
    local CXX = {
      "namespace llvm {\nclass A;\n}\n", "  namespace {\n}\n", "template <typename T>\nstruct B {};\n",
      "using namespace std;\n", "using Ptr = int *;\n", "class A : public B {\n};\n", "class A\n{\n};\n",
      "class A final {\n};\n", "struct A {\npublic:\n int x;\n};\n", "#include <vector>\n",
      "#if __cplusplus >= 201103L\nnamespace std _GLIBCXX_VISIBILITY(default)\n{\n}\n#endif\n",
      "#ifdef __cplusplus\nextern \"C\" {\n#endif\n#ifdef __cplusplus\n}\n#endif\nclass X {};\n",
    }
    for _, h in ipairs(CXX) do
      assert.equal("cpp", indexer.sniff_header(h), h)
      assert.equal("cpp", indexer.detect("x.h", h), h)
    end
    -- only the header extension is sniffed
    assert.equal("c", indexer.detect("x.c", CXX[1]))
    -- what sniff_header reads: comments and the __cplusplus glue left out
    assert.equal("c", indexer.sniff_header("/*\nnamespace a {\n*/\n// class B {\n"))
    assert.equal("c", indexer.sniff_header("/* an unterminated comment\nnamespace a {\n"))
    assert.equal("c", indexer.sniff_header("#if defined(X) || \\\n  defined(__cplusplus)\nnamespace a {}\n#endif\n"))
    raises("bad argument #1 to 'sniff_header' (string expected, got nil)", indexer.sniff_header)
  end)
end)

describe("victor.indexer.index_codebase", function()
  local dir

  before_each(function()
    dir = tmpdir()
    os.execute("cp -r " .. proc.q(DATA) .. "/. " .. proc.q(dir))
  end)
  after_each(function() rmrf(dir) end)

  local function index(opts)
    local res = assert(indexer.index_codebase(dir, opts))
    return res
  end

  it("indexes every file once, then re-parses only what changed", function()
    local warnings = {}
    local warn = function(m) warnings[#warnings + 1] = m end
    local res = index({ jobs = 2, warn = warn })
    assert.equal(13, res.stats.files)
    assert.equal(13, res.stats.parsed)
    assert.equal(0, res.stats.reused)
    assert.truthy(io.open(dir .. "/.victor-index", "rb"))
    res = index({ jobs = 2, warn = warn })
    assert.equal(0, res.stats.parsed)
    assert.equal(13, res.stats.reused)
    -- edit
    write(dir .. "/sample.go", read(dir .. "/sample.go") .. "\nfunc Extra() {}\n")
    res = index({ warn = warn })
    assert.equal(1, res.stats.parsed)
    assert.equal(12, res.stats.reused)
    local found = false
    for i, f in ipairs(res.files) do
      if f.path:find("sample%.go$") then
        for _, s in ipairs(indexer.file_symbols(res, i)) do if s.name == "Extra" then found = true end end
      end
    end
    assert.is_true(found)
    -- rename: same content under another path, reused, not parsed
    assert(os.rename(dir .. "/sample.rb", dir .. "/renamed.rb"))
    res = index({ warn = warn })
    assert.equal(0, res.stats.parsed)
    assert.equal(13, res.stats.reused)
    assert.equal(13, res.stats.files)
    local names = {}
    for i, f in ipairs(res.files) do
      if f.path:find("renamed%.rb$") then
        for _, s in ipairs(indexer.file_symbols(res, i)) do
          if not s.ref then names[#names + 1] = s.name end
          assert.equal(f.path, s.path)
        end
      end
      assert.is_nil(f.path:find("sample%.rb$"))
    end
    assert.equal("MAX Shapes Circle area unit compute", table.concat(names, " "))
    -- a renamed file that is also edited is parsed
    assert(os.rename(dir .. "/renamed.rb", dir .. "/again.rb"))
    write(dir .. "/again.rb", read(dir .. "/again.rb") .. "\ndef extra; end\n")
    res = index({ warn = warn })
    assert.equal(1, res.stats.parsed)
    -- deletion
    os.remove(dir .. "/sample.lua")
    res = index({ warn = warn })
    assert.equal(0, res.stats.parsed)
    assert.equal(12, res.stats.files)
    for _, f in ipairs(res.files) do assert.is_nil(f.path:find("sample%.lua$")) end
    assert.same({}, warnings)
    -- --no-cache parses everything
    res = index({ cache = false, warn = warn })
    assert.equal(12, res.stats.parsed)
  end)

  it("rebuilds a corrupt, truncated or foreign index with a warning", function()
    local idx = dir .. "/.victor-index"
    index({})
    local good = read(idx)
    local cases = {
      good:sub(1, #good - 7),                                    -- truncated
      good:sub(1, 60) .. string.char((good:byte(61) + 1) % 256) .. good:sub(62), -- flipped payload byte
      "VLIDX\r\n\026" .. string.char(99, 0, 0, 0) .. good:sub(13), -- another format version
      "not an index",
    }
    for k, bad in ipairs(cases) do
      write(idx, bad)
      local warnings = {}
      local res = index({ warn = function(m) warnings[#warnings + 1] = m end })
      assert.equal(13, res.stats.parsed, k)
      assert.is_true(res.stats.index_rebuilt, k)
      assert.equal(1, #warnings, k)
      assert.truthy(warnings[1]:find("rebuilding it", 1, true), warnings[1])
      assert.truthy(warnings[1]:find(k == 3 and "another version" or "corrupt or truncated", 1, true), warnings[1])
      assert.equal(good, read(idx))
    end
  end)

  it("gives byte-identical output with 1 and 2 jobs", function()
    local a = index({ jobs = 1, index = false })
    local b = index({ jobs = 2, index = false })
    assert.equal(collect(indexer.write_jsonl, a), collect(indexer.write_jsonl, b))
    assert.equal(collect(indexer.write_ctags, a), collect(indexer.write_ctags, b))
    assert.equal(indexer.repomap(a), indexer.repomap(b))
  end)

  it("skips binary, too large and timed-out files with the reason, and keeps empty ones", function()
    write(dir .. "/blob.c", "int x;\0\1\2\3")
    write(dir .. "/empty.py", "")
    write(dir .. "/big.js", string.rep("a", 3000))
    write(dir .. "/oneline.py", string.rep("x+", 5 * 1024 * 1024) .. "x\n")
    local res = index({ index = false, max_file_bytes = 2000, timeout_ms = 50 })
    local why = {}
    for _, s in ipairs(res.skipped) do why[s.path:match("[^/]+$")] = s.reason end
    assert.equal("binary", why["blob.c"])
    assert.equal("too large", why["big.js"])
    assert.equal("too large", why["oneline.py"])
    assert.is_nil(why["empty.py"])
    res = index({ index = false, max_file_bytes = 0, timeout_ms = 50, lang = "python" })
    why = {}
    for _, s in ipairs(res.skipped) do why[s.path:match("[^/]+$")] = s.reason end
    assert.equal("timeout", why["oneline.py"])
    local out = collect(indexer.write_jsonl, res)
    assert.truthy(out:find('{"path":"' .. dir .. '/oneline.py","skipped":"timeout"}\n', 1, true))
  end)

  it("takes an explicit file list", function()
    local res = assert(indexer.index_codebase({}, { files = { DATA .. "/sample.c", DATA .. "/sample.py" },
      index = false }))
    assert.equal(2, #res.files)
    assert.equal("c", res.files[1].language)
    assert.equal(DATA .. "/sample.py", res.files[2].path)
  end)

  it("parses a C++ .h with the C++ grammar; lang = c or cpp forces one for headers", function()
    local d = tmpdir()
    write(d .. "/c.h", "#ifdef __cplusplus\nextern \"C\" {\n#endif\nint f(void);\n")
    write(d .. "/cxx.h", "namespace n {\nclass K { int *p; };\n}\n")
    write(d .. "/k.c", "int g(void) { return 0; }\n")
    local function langs(opts)
      opts.index = false
      local res = assert(indexer.index_codebase(d, opts))
      local t = {}
      for _, f in ipairs(res.files) do t[#t + 1] = f.path:match("[^/]+$") .. "=" .. f.language end
      return table.concat(t, " ")
    end
    assert.equal("c.h=c cxx.h=cpp k.c=c", langs({}))
    assert.equal("c.h=c cxx.h=c k.c=c", langs({ lang = "c" }))
    assert.equal("c.h=cpp cxx.h=cpp", langs({ lang = "cpp" }))
    rmrf(d)
  end)
end)

describe("victor.indexer outputs", function()
  it("writes JSON lines with a fixed key order and escaped strings", function()
    local dir = tmpdir()
    write(dir .. "/e.py", 'def f(x="a\\\\b\\"c\\t", y="\195\169/\1"):\n    pass\n')
    local res = assert(indexer.index_codebase(dir, { index = false }))
    local out = collect(indexer.write_jsonl, res)
    rmrf(dir)
    assert.equal('{"path":"' .. dir .. '/e.py","language":"python","kind":"function","name":"f","line":1,'
      .. '"column":5,"end_line":2,"start_byte":0,"end_byte":40,"scope":"",'
      .. '"signature":"def f(x=\\"a\\\\\\\\b\\\\\\"c\\\\t\\", y=\\"\195\169/\\u0001\\"):"}\n', out)
  end)

  it("writes a sorted ctags file with escaped patterns and extension fields", function()
    local dir = tmpdir()
    write(dir .. "/p.py", "def zed(a):\n    return a\n\nclass Box:\n    def put(self, x='/\\\\'):  # $\n"
      .. "        pass\n\nPRICE = '$'\n" .. "def " .. string.rep("w", 120) .. "(): pass\n")
    local res = assert(indexer.index_codebase(dir, { index = false }))
    local tags = collect(indexer.write_ctags, res)
    rmrf(dir)
    local lines = {}
    for l in tags:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equal("!_TAG_FILE_FORMAT\t2\t/extended format; --format=1 will not append ;\" to lines/", lines[1])
    assert.equal("!_TAG_FILE_SORTED\t1\t/0=unsorted, 1=sorted, 2=foldcase/", lines[2])
    local body = {}
    for _, l in ipairs(lines) do if l:sub(1, 2) ~= "!_" then body[#body + 1] = l end end
    local p = dir .. "/p.py"
    assert.same({
      "Box\t" .. p .. "\t/^class Box:$/;\"\tc\tline:4",
      "PRICE\t" .. p .. "\t/^PRICE = '$'$/;\"\tC\tline:8",
      "put\t" .. p .. "\t/^    def put(self, x='\\/\\\\\\\\'):  # $$/;\"\tm\tline:5\tclass:Box",
      string.rep("w", 120) .. "\t" .. p .. "\t/^def " .. string.rep("w", 92) .. "/;\"\tf\tline:9",
      "zed\t" .. p .. "\t/^def zed(a):$/;\"\tf\tline:1",
    }, body)
  end)

  it("ranks the sample repo's files by PageRank within the token budget", function()
    local res = assert(indexer.index_codebase("examples/data/sample_repo", { index = false }))
    local text, ranked, info = indexer.repomap(res, { budget = 200 })
    assert.equal("examples/data/sample_repo/app/models.py", ranked[1].path)
    assert.truthy(#text <= 200 * 4)
    assert.truthy(info.tokens <= 200)
    assert.truthy(text:find("^# repo map: 12 files ranked by PageRank; budget 200 tokens %(estimated as bytes/4%)\n"))
    assert.truthy(text:find("\nexamples/data/sample_repo/app/models.py:\n│ DEFAULT_CURRENCY = \"EUR\"\n│ class Item:\n",
      1, true), text)
    -- personalised: focus on the Go file or on an identifier it defines
    local _, r2 = indexer.repomap(res, { focus = { "examples/data/sample_repo/native/verify.go" } })
    assert.equal("examples/data/sample_repo/native/verify.go", r2[1].path)
    local _, r3 = indexer.repomap(res, { focus = { "load_rows" } })
    assert.equal("examples/data/sample_repo/app/storage.py", r3[1].path)
    local total = 0
    for _, r in ipairs(ranked) do total = total + r.score end
    assert.truthy(math.abs(total - 1) < 1e-6)
  end)
end)

describe("victor-lua index", function()
  it("prints JSON lines, ctags and a repo map", function()
    local out, err, st = proc.vl({ "index", "examples/data/sample_repo", "--index", os.tmpname(), "--stats" })
    assert.equal(0, st, err)
    local n = 0
    for line in out:gmatch("[^\n]+") do
      n = n + 1
      assert.truthy(line:match('^{"path":"examples/data/sample_repo/[^"]+","language":"%a+","kind":"%a+","name":'),
        line)
    end
    assert.truthy(n > 50)
    assert.truthy(err:find("^victor%-lua: index: 13 files %(13 parsed, 0 reused, 0 skipped%)"), err)
    out, err, st = proc.vl({ "index", "examples/data/sample_repo/native", "--format", "ctags", "--index", os.tmpname(),
      "--jobs", "1" })
    assert.equal(0, st, err)
    assert.truthy(out:find("\nchecksum_update\texamples/data/sample_repo/native/checksum.c\t/^void checksum_update("
      .. "checksum_state *s, const unsigned char *p, size_t n)$/;\"\tf\tline:12\n", 1, true), out)
    out, err, st = proc.vl({ "index", "examples/data/sample_repo", "--format", "repomap", "--budget", "100",
      "--no-cache", "--index", os.tmpname() })
    assert.equal(0, st, err)
    assert.truthy(out:find("\nexamples/data/sample_repo/app/models.py:\n", 1, true), out)
    out, err, st = proc.vl({ "index", "--help" })
    assert.equal(0, st, err)
    assert.truthy(out:find("Examples:", 1, true))
  end)

  it("rejects bad usage with exit status 2", function()
    proc.usage_errors({
      { { "index" }, "victor-lua: index: missing PATH" },
      { { "index", ".", "--format", "xml" }, "victor-lua: index: unknown format 'xml' (jsonl, ctags, repomap)\n" },
      { { "index", ".", "--lang", "cobol" }, "victor-lua: index: unknown language 'cobol'\n" },
      { { "index", ".", "--jobs", "x" }, "victor-lua: index: --jobs must be a non-negative integer, got 'x'\n" },
      { { "index", "/nonexistent/dir" },
        "victor-lua: index: cannot open '/nonexistent/dir': No such file or directory (EIO)\n" },
    })
  end)
end)

describe("victor.indexer include/exclude globs", function()
  it("filters the listing", function()
    local function names(opts)
      opts.index = false
      local res = assert(indexer.index_codebase("examples/data/sample_repo", opts))
      local t = {}
      for _, f in ipairs(res.files) do t[#t + 1] = f.path:sub(#"examples/data/sample_repo/" + 1) end
      return table.concat(t, " ")
    end
    if not native then return end
    assert.equal("deploy/env.sh native/checksum.c native/checksum.h native/verify.go scripts/report.lua web/api.ts "
      .. "web/view.js", names({ exclude = { "*.py" } }))
    assert.equal("app/client.py app/models.py app/service.py app/settings.py app/storage.py",
      names({ include = { "app/**" }, exclude = { "cli.py" } }))
    assert.equal("app/cli.py app/client.py app/models.py app/service.py app/settings.py app/storage.py deploy/env.sh "
      .. "scripts/report.lua web/api.ts web/view.js", names({ exclude = { "native/" } }))
    assert.equal("web/api.ts", names({ include = { "web/*.ts" } }))
  end)
end)

describe("the tree-sitter symbols", function()
  it("stay inside the binary and the C module (only luaopen_* and the Lua API are exported)", function()
    for _, f in ipairs({ proc.bin, proc.build .. "/lib/victor.so" }) do
      local out, _, st = proc.run("nm -D --defined-only " .. proc.q(f))
      assert.equal(0, st)
      assert.truthy(out:find("luaopen_victor_core_indexer", 1, true), f)
      assert.is_nil(out:find(" T ts_", 1, true), f)
      assert.is_nil(out:find(" T tree_sitter_", 1, true), f)
      assert.is_nil(out:find(" T vl_", 1, true), f)
    end
  end)
end)
