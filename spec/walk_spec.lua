-- walk_spec.lua: victor.walk, the file walker (core/walk.c): gitignore semantics,
-- order, skip reasons, limits and errors.
local walk = require "victor.walk"
local native = require "victor.native"
local raises = require "support.raises"

local function sh(cmd)
  assert(os.execute(cmd) == 0, cmd)
end

local function write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

local function paths(list)
  local t = {}
  for i = 1, #list do t[i] = list[i].path end
  return t
end

local function reasons(list)
  local t = {}
  for i = 1, #list do t[list[i].path] = list[i].reason end
  return t
end

describe("victor.walk", function()
  it("raises on misuse", function()
    raises("bad argument #1 to 'files' (string or array of strings expected, got number)", walk.files, 1)
    raises("bad argument #1 to 'files' (no roots given)", walk.files, {})
    raises("bad argument #1 to 'files' (empty path)", walk.files, "")
    raises("bad argument #1 to 'files' (roots[2] must be a non-empty string)", walk.files, { "a", 2 })
    raises("bad argument #2 to 'files' (unknown option 'depth')", walk.files, ".", { depth = 1 })
    raises("bad argument #2 to 'files' (binary must be 'skip' or 'keep')", walk.files, ".", { binary = 1 })
    raises("bad argument #2 to 'files' (include[1] must be a non-empty string)", walk.files, ".", { include = { "" } })
    raises("bad argument #2 to 'files' (ignore_file must be a file name)", walk.files, ".", { ignore_file = "a/b" })
    raises("bad argument #2 to 'files' (max_files must be positive)", walk.files, ".", { max_files = 0 })
    raises("bad argument #2 to 'read' (non-negative integer expected)", walk.read, "x", -1)
  end)

  if not native.load("walk") then
    it("says it needs the native module", function()
      local f, msg, code = walk.files(".")
      assert.is_nil(f)
      assert.equal("ENATIVE", code)
      assert.truthy(msg:find("^victor.walk needs the native module"), msg)
    end)
    return
  end

  describe("ignore-file lines", function()
    -- { line, path, is_dir, expected }
    local cases = {
      { "*.o", "a.o", false, "ignore" },
      { "*.o", "src/deep/a.o", false, "ignore" },    -- no slash: any depth
      { "*.o", "a.c", false, nil },
      { "/build", "build", true, "ignore" },          -- anchored
      { "/build", "src/build", true, nil },
      { "build/", "build", true, "ignore" },          -- directories only
      { "build/", "build", false, nil },
      { "build/", "x/build", true, "ignore" },
      { "doc/*.txt", "doc/a.txt", false, "ignore" },  -- a middle slash anchors
      { "doc/*.txt", "doc/sub/a.txt", false, nil },   -- '*' never crosses '/'
      { "doc/*.txt", "x/doc/a.txt", false, nil },
      { "**/foo", "foo", false, "ignore" },
      { "**/foo", "a/b/foo", false, "ignore" },
      { "**/foo/bar", "x/foo/bar", false, "ignore" },
      { "abc/**", "abc/x/y", false, "ignore" },
      { "abc/**", "abc", true, nil },
      { "a/**/b", "a/b", false, "ignore" },
      { "a/**/b", "a/x/y/b", false, "ignore" },
      { "a/**/b", "a/x/c", false, nil },
      { "!keep.o", "keep.o", false, "include" },
      { "\\!bang", "!bang", false, "ignore" },
      { "\\#hash", "#hash", false, "ignore" },
      { "# comment", "# comment", false, nil },
      { "", "x", false, nil },
      { "trail   ", "trail", false, "ignore" },
      { "sp\\ ", "sp ", false, "ignore" },
      { "file?.c", "file1.c", false, "ignore" },
      { "file?.c", "file/.c", false, nil },
      { "[abc].c", "b.c", false, "ignore" },
      { "[!abc].c", "b.c", false, nil },
      { "[a-c]x", "bx", false, "ignore" },
      { "[^a-c]x", "dx", false, "ignore" },
      { "[unclosed", "[unclosed", false, "ignore" },
      { "*", "anything", false, "ignore" },
      { "a*b*c", "aXXbYYc", false, "ignore" },
      { "a*b*c", "aXXbYY", false, nil },
      { "CRLF.txt\r", "CRLF.txt", false, "ignore" },
    }
    for _, c in ipairs(cases) do
      it(string.format("%q on %q (%s)", c[1], c[2], c[3] and "dir" or "file"), function()
        assert.equal(c[4], walk.match(c[1], c[2], c[3]))
      end)
    end

    it("matches many stars in linear time (no backtracking blow-up)", function()
      local pat = string.rep("*a", 30) .. "*b"
      assert.is_nil(walk.match(pat, string.rep("a", 4000)))
    end)
  end)

  describe("a tree", function()
    local root
    setup(function()
      root = os.tmpname()
      os.remove(root)
      sh("mkdir -p " .. root .. "/src/sub " .. root .. "/build " .. root .. "/.git/info "
        .. root .. "/.hidden " .. root .. "/node_modules/pkg " .. root .. "/docs")
      write(root .. "/.gitignore", "build/\n*.log\n!keep.log\nnode_modules\n/top.txt\n")
      write(root .. "/.git/info/exclude", "secret.env\n")
      write(root .. "/.git/HEAD", "ref\n")
      write(root .. "/src/.gitignore", "*.tmp\n!important.log\n")
      write(root .. "/a.py", "print(1)\n")
      write(root .. "/b.log", "x\n")
      write(root .. "/keep.log", "x\n")
      write(root .. "/top.txt", "x\n")
      write(root .. "/secret.env", "x\n")
      write(root .. "/src/top.txt", "not anchored here\n")
      write(root .. "/src/main.c", "int main(void){return 0;}\n")
      write(root .. "/src/x.tmp", "x\n")
      write(root .. "/src/important.log", "x\n")
      write(root .. "/src/sub/deep.lua", "return 1\n")
      write(root .. "/src/bin.dat", "ab\0cd")
      write(root .. "/src/big.txt", string.rep("x", 5000))
      write(root .. "/build/out.o", "x\n")
      write(root .. "/.hidden/h.txt", "x\n")
      write(root .. "/.dotfile", "x\n")
      write(root .. "/node_modules/pkg/index.js", "x\n")
      write(root .. "/docs/a.md", "x\n")
      write(root .. "/docs/.victorignore", "a.md\n")
      sh("ln -s a.py " .. root .. "/link.py")
      sh("ln -s nowhere " .. root .. "/dangling")
    end)
    teardown(function()
      if root then sh("rm -rf " .. root) end
    end)

    it("lists kept files in path order and reports skipped ones", function()
      local files, skipped = walk.files(root, { max_file_bytes = 4096 })
      local r = root .. "/"
      assert.same({ r .. "a.py", r .. "docs/a.md", r .. "keep.log", r .. "src/important.log",
        r .. "src/main.c", r .. "src/sub/deep.lua", r .. "src/top.txt" }, paths(files))
      assert.equal(9, files[1].size)
      assert.same({
        [r .. "dangling"] = "symlink", [r .. "link.py"] = "symlink",
        [r .. "src/big.txt"] = "too large", [r .. "src/bin.dat"] = "binary",
      }, reasons(skipped))
      assert.equal(5000, skipped[3].size)
    end)

    it("takes options: hidden, symlinks, binary, size cap, ignore file, globs", function()
      local r = root .. "/"
      local files = walk.files(root, { hidden = true, follow_symlinks = true, binary = "keep",
        max_file_bytes = 0, gitignore = false, ignore_file = ".victorignore" })
      assert.same({ r .. ".dotfile", r .. ".gitignore", r .. ".hidden/h.txt", r .. "a.py", r .. "b.log",
        r .. "build/out.o", r .. "docs/.victorignore", r .. "keep.log", r .. "link.py",
        r .. "node_modules/pkg/index.js", r .. "src/.gitignore", r .. "src/big.txt", r .. "src/bin.dat",
        r .. "src/important.log", r .. "src/main.c", r .. "src/sub/deep.lua", r .. "src/top.txt",
        r .. "src/x.tmp", r .. "top.txt" }, paths(files))
      files = walk.files(root, { include = { "*.c", "*.lua" } })
      assert.same({ r .. "src/main.c", r .. "src/sub/deep.lua" }, paths(files))
      files = walk.files(root, { exclude = { "src/" }, include = { "*.py", "*.c" } })
      assert.same({ r .. "a.py" }, paths(files))
    end)

    it("gives bare relative paths for the root '.', and lists a file root as given", function()
      local files = walk.files({ "spec/walk_spec.lua", root .. "/src/sub" })
      assert.same({ root .. "/src/sub/deep.lua", "spec/walk_spec.lua" }, paths(files))
      local ffi = require "ffi"
      pcall(ffi.cdef, "int chdir(const char *path);")
      local cwd = io.popen("pwd"):read("*l")
      assert.equal(0, ffi.C.chdir(root .. "/src"))
      local ok, rel = pcall(walk.files, ".")
      ffi.C.chdir(cwd)
      assert.is_true(ok, rel)
      local out = table.concat(paths(rel), "\n") .. "\n"
      assert.equal("big.txt\nimportant.log\nmain.c\nsub/deep.lua\ntop.txt\n", out)
    end)

    it("is the same for overlapping roots, once each", function()
      local a = walk.files({ root, root .. "/src" })
      local b = walk.files(root)
      assert.same(paths(b), paths(a))
    end)

    it("returns nil, msg, code for a missing root and past max_files", function()
      local f, msg, code = walk.files({ root, root .. "/missing" })
      assert.is_nil(f)
      assert.equal("cannot open '" .. root .. "/missing': No such file or directory", msg)
      assert.equal("EIO", code)
      f, msg, code = walk.files(root, { max_files = 3 })
      assert.is_nil(f)
      assert.equal("more than 3 files (max_files)", msg)
      assert.equal("ELIMIT", code)
    end)

    it("reads files, with a size cap", function()
      assert.equal("print(1)\n", walk.read(root .. "/a.py"))
      assert.equal("ab\0cd", walk.read(root .. "/src/bin.dat", 5))
      local s, msg, code = walk.read(root .. "/src/bin.dat", 4)
      assert.is_nil(s)
      assert.equal("'" .. root .. "/src/bin.dat' is larger than 4 bytes", msg)
      assert.equal("ELIMIT", code)
      s, msg, code = walk.read(root .. "/nope")
      assert.is_nil(s)
      assert.equal("cannot read '" .. root .. "/nope': No such file or directory", msg)
      assert.equal("EIO", code)
    end)
  end)
end)
