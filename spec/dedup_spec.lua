-- dedup_spec.lua: conformance of victor.dedup on both backends (core/dedup.h).
-- Victor's known answers come from ../shared/reference/victor-kernels.md §1.
local native = require "victor.native"
local dedup = require "victor.dedup"


local backends = require "support.backends"("dedup")

local rng = require "support.rng"  -- deterministic xorshift32

local PIECES = {
  "The quick brown fox jumps over the lazy dog, again and again.\n",
  "the QUICK  brown fox jumps over the lazy dog, again and again.\n",
  "A second paragraph line that is long enough to count here.\n",
  "short\n", "\n", "\n\n", "   \n", "\t\r\n", "\r\n", "line with crlf ending, long enough to be a real block\r\n",
  "```lua\n", "```\n", "~~~\n", "````\n", "    ```\n", "```a`b\n", "print(1)\n",
  "\27[31mred text in the terminal with an escape sequence\27[0m\n", "\27]0;title\7osc\n",
  "zero\226\128\139width joiner text that is long enough for a block\n", "\239\187\191bom\n",
  "invalid \255\254 utf-8 \192\128 bytes in a line long enough to be hashed\n", "nul\0byte\n",
  "caf\195\169 \194\160nbsp \226\128\168ls\n", "trailing punctuation.;:\n", "no newline at all",
}

local function random_text(r, max)
  local t = {}
  for i = 1, r(max) + 1 do t[i] = PIECES[r(#PIECES) + 1] end
  return table.concat(t)
end

local function spans_text(text, sp)
  return text:sub(sp.start, sp.stop)
end

describe("victor.dedup", function()
  it("reports the backend victor.native chose", function()
    assert.equal(native.backends().dedup, dedup.backend)
    if os.getenv("VICTOR_NO_NATIVE") == "1" then assert.equal("fallback", dedup.backend) end
  end)

  for _, b in ipairs(backends) do
    local D = b.mod
    describe(b.name .. " backend", function()
      it("normalises blocks as Victor does (known answers)", function()
        local cases = {
          { "  Hello   World  ", "hello world" }, { "Test.", "test" }, { "Test,", "test" }, { "Test;", "test" },
          { "Test:", "test" }, { "Test!", "test!" }, { "Test?", "test?" }, { "", "" }, { "   ", "" },
          { "abc .", "abc " }, { "  x  y.  ", "x y" }, { "\195\128BC D\195\169f", "\195\128bc d\195\169f" },
          { "a\194\160\194\133b\225\154\128c\226\128\138d\226\128\175e\226\129\159f\227\128\128g", "a b c d e f g" },
          { "a\226\128\168\226\128\169b", "a b" }, { "a\226\128\139b", "a\226\128\139b" }, -- ZWSP is not White_Space
          { "x\n\t\r\v\f y...,", "x y" }, { "\255A\0B", "\255a\0b" }, { "\194", "\194" }, { "..", "" },
        }
        for _, c in ipairs(cases) do assert.equal(c[2], D.normalize_block(c[1]), c[1]) end
      end)

      it("forms Victor's block ids (XXH3-64, low 48 bits)", function()
        local cases = {
          { "Hello World", "d447b1ea40e6988b" }, { "  hello   world  ", "d447b1ea40e6988b" },
          { "hello world.", "d447b1ea40e6988b" }, { "", "2d06800538d394c2" },
          { "The quick brown fox", "70ec367636ee7079" },
        }
        for _, c in ipairs(cases) do
          local id, vid = D.block_id(c[1])
          assert.equal(c[2], id)
          assert.equal(c[2]:sub(5), vid)
        end
        assert.equal("59c602e9a711", select(2, D.block_id("First block")))
        assert.equal("4b710f8e7152", select(2, D.block_id("Second block")))
        assert.equal("81ff9fc88551", select(2, D.block_id("\195\169\195\169\195\169\195\169\195\169")))
      end)

      it("finds duplicates as Victor does (known answers)", function()
        local d = D.find_duplicate_blocks("A\n\nA\n\nB\n\nB\n\nA", { min_block_length = 1 })
        assert.equal(3, #d)
        assert.same({ "32b61e964e1f", "0b1c44d8843f", "32b61e964e1f" },
          { d[1].victor_id, d[2].victor_id, d[3].victor_id })
        d = D.find_duplicate_blocks("This is a test paragraph.\n\nAnother paragraph here.\n\nThis is a test paragraph.",
          { min_block_length = 10 })
        assert.equal(1, #d)
        assert.equal("4e0b766fb35e", d[1].victor_id)
        d = D.find_duplicate_blocks("First block\n\nSecond block\n\nFirst block", { min_block_length = 5 })
        assert.equal("59c602e9a711", d[1].victor_id)
        assert.same({}, D.find_duplicate_blocks("Block 1\n\nBlock 2\n\nBlock 3", { min_block_length = 1 }))
        assert.same({}, D.find_duplicate_blocks("Hi\n\nHi\n\nHi", { min_block_length = 10 }))
        -- 10 bytes is not less than 10: "ééééé" is long enough
        assert.equal(1, #D.find_duplicate_blocks("\195\169\195\169\195\169\195\169\195\169\n\n" ..
          "\195\169\195\169\195\169\195\169\195\169", { min_block_length = 10 }))
        -- OutputDeduplicator's cases: short blocks stay, whitespace and case variants go
        assert.equal("Short.\n\nShort.\n\nAnother short one.", (D.dedup("Short.\n\nShort.\n\nAnother short one.")))
        assert.equal("The quick brown fox jumps\n\nother\n",
          (D.dedup("The quick brown fox jumps\n\nother\n\nTHE  QUICK brown\tfox jumps.\n", { min_block_length = 20 })))
      end)

      it("splits blocks on blank lines (Victor's splitting vectors, and whitespace-only lines)", function()
        local function nblocks(t) return select(2, D.dedup(t, { min_block_length = 1 })).blocks end
        assert.equal(3, nblocks("Block 1\n\nBlock 2\n\nBlock 3"))
        assert.equal(3, nblocks("Text before\n\n```rust\nfn main() {\n\n}\n```\n\nText after"))
        assert.equal(2, nblocks("a\n\n\n\nb"))
        assert.equal(1, nblocks("\n\nlead"))
        assert.equal(1, nblocks("one\n\n\n"))
        assert.equal(2, nblocks("a\n \nb"))          -- Victor: one block; here a blank line
        assert.equal(2, nblocks("a\r\n\r\nb\r\n"))
        assert.equal(2, nblocks("a\n\t \r\nb"))
        assert.equal(1, nblocks("a\nb\nc"))
        assert.equal(0, nblocks(""))
        assert.equal(0, nblocks(" \n\t\n"))
      end)

      it("keeps fences whole: unclosed, ~~~, longer closing fence, indented, info strings", function()
        local function blocks(t)
          local out = {}
          -- every block is a duplicate of itself when the text is doubled
          local d = D.find_duplicate_blocks(t .. "\n\n" .. t, { min_block_length = 0 })
          for i, x in ipairs(d) do out[i] = spans_text(t, x.first) end
          return out
        end
        -- an unclosed fence runs to the end of the input
        assert.equal(2, select(2, D.dedup("x\n```\nunclosed\n\nmore")).blocks)
        local u = "    ```\nunclosed more\n\n```\nunclosed more\n\n\nstill fenced"
        local d = D.find_duplicate_blocks(u, { min_block_length = 0 })
        assert.equal(0, #d)
        d = D.find_duplicate_blocks("    ```\nunclosed more\n\n```\nunclosed more\n", { min_block_length = 0 })
        assert.equal(1, #d)
        assert.equal("```\nunclosed more", spans_text("    ```\nunclosed more\n\n```\nunclosed more\n", d[1].dup))
        assert.same({ "~~~py\na\n\n~~~", "after" }, blocks("~~~py\na\n\n~~~\nafter"))
        assert.same({ "````\na\n```\n\nb\n`````" }, blocks("````\na\n```\n\nb\n`````"))
        assert.same({ "~~~\n```\n~~~" }, blocks("~~~\n```\n~~~"))
        assert.same({ "text\n    ```\nstill text" }, blocks("text\n    ```\nstill text"))
        assert.same({ "   ```\n\n   ```" }, blocks("   ```\n\n   ```"))
        assert.same({ "inline ```code``` here\n```a`b" }, blocks("inline ```code``` here\n```a`b"))
        assert.same({ "p", "``` lua x\n\ny\n```  " }, blocks("p\n``` lua x\n\ny\n```  \n"))
        -- an unclosed fence never hangs, even with many markers and no blank lines
        local big = "~~~~\n" .. ("```\n"):rep(20000) .. ("text\n"):rep(20000)
        local out, st = D.dedup(big)
        assert.equal(big, out)
        assert.equal(1, st.blocks)
        out, st = D.dedup(("```\n"):rep(20001), { min_block_length = 0 })
        assert.equal("```\n```\n```\n", out)
        assert.same({ blocks = 10001, removed = 9999, bytes_in = 80004, bytes_out = 12 }, st)
      end)

      it("removes a repeat with the blank lines before it; kept blocks are untouched", function()
        local P = "A paragraph that is long enough to be hashed here, surely.\n"
        local Q = "Another paragraph, also long enough to be hashed.\n"
        local F = "```\nsome code that is long enough to be hashed\n```\n"
        assert.equal(P .. "\n" .. Q, (D.dedup(P .. "\n" .. Q .. "\n\n" .. P)))
        assert.equal(P .. "\n\n" .. Q, (D.dedup(P .. "\n" .. P .. "\n\n" .. Q)))
        assert.equal(P .. "\n" .. Q .. "\n\n", (D.dedup(P .. "\n" .. Q .. "\n" .. P .. "\n\n")))
        assert.equal("\n\n" .. P .. " \n" .. Q, (D.dedup("\n\n" .. P .. " \n" .. P .. " \n" .. Q)))
        -- a fence touching paragraphs on both sides: one "\n" keeps them apart
        assert.equal(F .. "\n" .. P .. F:sub(1, 0) .. "\n" .. Q,
          (D.dedup(F .. "\n" .. P .. F .. Q)))
        assert.equal(P .. F .. Q .. F:gsub("some", "other"),
          (D.dedup(P .. F .. Q .. F .. F:gsub("some", "other"))))
        -- CRLF text keeps its CRLF bytes
        local C = P:gsub("\n", "\r\n")
        assert.equal(C .. "\r\n" .. Q, (D.dedup(C .. "\r\n" .. C .. "\r\n" .. Q)))
        local out, st = D.dedup(P .. "\n" .. P .. "\n" .. P)
        assert.equal(P, out)
        assert.same({ blocks = 3, removed = 2, bytes_in = 3 * #P + 2, bytes_out = #P }, st)
        assert.same({ blocks = 0, removed = 0, bytes_in = 0, bytes_out = 0 }, select(2, D.dedup("")))
      end)

      it("reports spans (1-based, inclusive, no final terminator) and line numbers", function()
        local t = "intro\n\nalpha beta\r\ngamma\r\n\r\n\nalpha  BETA\r\ngamma.\n\nrest"
        local d = D.find_duplicate_blocks(t, { min_block_length = 3 })
        assert.equal(1, #d)
        assert.same({ start = 8, stop = 24, line = 3 }, d[1].first)
        assert.same({ start = 30, stop = 48, line = 7 }, d[1].dup)
        assert.equal("alpha beta\r\ngamma", spans_text(t, d[1].first))
        assert.equal("alpha  BETA\r\ngamma.", spans_text(t, d[1].dup))
        assert.equal(D.block_id("alpha beta gamma"), d[1].id)
        assert.equal(d[1].id:sub(5), d[1].victor_id)
      end)

      it("applies min_block_length to the bytes of the normalised block", function()
        assert.equal(1, #D.find_duplicate_blocks("ab\n\n  AB.", { min_block_length = 2 }))
        assert.equal(0, #D.find_duplicate_blocks("ab\n\n  AB.", { min_block_length = 3 }))
        assert.equal(1, #D.find_duplicate_blocks("a   b\n\na b", { min_block_length = 3 }))
        assert.equal(0, #D.find_duplicate_blocks("a   b\n\na b", { min_block_length = 4 }))
        assert.equal(1, #D.find_duplicate_blocks("\195\169\n\n\195\169", { min_block_length = 2 }))
        assert.equal(1, #D.find_duplicate_blocks(" \n\n ", { min_block_length = 0 }) + 1)
        -- the default is Victor's 50
        local s49 = ("x"):rep(49)
        assert.equal(0, #D.find_duplicate_blocks(s49 .. "\n\n" .. s49))
        assert.equal(1, #D.find_duplicate_blocks(s49 .. "y\n\n" .. s49 .. "y"))
      end)

      it("is idempotent and keeps a subsequence of the blocks (random texts)", function()
        local r = rng(7)
        for _ = 1, 300 do
          local t = random_text(r, 30)
          local min = r(3) == 0 and 0 or 20
          local out = D.dedup(t, { min_block_length = min })
          assert.equal(out, (D.dedup(out, { min_block_length = min })))
          assert.same({}, D.find_duplicate_blocks(out, { min_block_length = min }))
        end
      end)

      it("dedups lines like awk '!seen[$0]++' (mawk, random inputs)", function()
        local r = rng(11)
        local words = { "a", "b", "c", "", " ", "a ", "\r", "x\ty", "\0", "caf\195\169", "\255" }
        for _ = 1, 25 do
          local t = {}
          for i = 1, r(40) do t[i] = words[r(#words) + 1] end
          local text = table.concat(t, "\n") .. (r(2) == 0 and "\n" or "")
          local path = os.tmpname()
          local f = assert(io.open(path, "wb"))
          f:write(text)
          f:close()
          local p = assert(io.popen("mawk '!seen[$0]++' " .. path, "r"))
          local want = p:read("*a")
          p:close()
          os.remove(path)
          assert.equal(want, (D.dedup_lines(text)))
        end
        local out, st = D.dedup_lines("a\nb\na\nc\nb\na", { counts = true })
        assert.equal("a\nb\nc\n", out)
        assert.same({ lines = 6, removed = 3, bytes_in = 11, bytes_out = 6, counts = { 3, 2, 1 } }, st)
        out, st = D.dedup_lines("x\0y\0x\0\0\0", { delimiter = "\0" })
        assert.equal("x\0y\0\0", out)
        assert.same({ lines = 5, removed = 2, bytes_in = 8, bytes_out = 5 }, st)
        assert.equal("", (D.dedup_lines("")))
        assert.equal("\n", (D.dedup_lines("\n\n\n")))
      end)

      it("normalises in one pass with opt-in steps", function()
        local all = D.normalizer { crlf = true, ansi = true, zero_width = true, collapse_ws = true, trim_lines = true,
          lower = "ascii" }
        local none = D.normalizer()
        local s = "A\27[1;31mB\27[0m\27]0;title\7 \r\n  x \t \n\226\128\139Z\226\129\160\239\187\191  \194\160 Q  "
        assert.equal(s, none:apply(s))
        assert.equal("ab\n x\nz q", all:apply(s))
        local cases = {
          { { crlf = true }, "a\r\nb\r\rc\r", "a\nb\r\rc\r" },
          { { crlf = true, zero_width = true }, "a\r\226\128\139\nb", "a\r\nb" }, -- removal creates nothing
          { { ansi = true }, "a\27[31mb\27[c\27[1;2\nd\27]8;;x\27\\e\27]2;t\27[1mf\27]x\ng\27x\27",
            "ab\ndef\ng\27x\27" },
          { { ansi = true }, "\27]unterminated", "" },
          { { zero_width = true }, "\226\128\139\226\128\140\226\128\141\226\129\160\239\187\191x\226\128\142",
            "x\226\128\142" },
          { { collapse_ws = true }, "  a \t b  \n\194\160c\r\n", " a b \n c \n" },
          { { trim_lines = true }, "a \t\nb\194\160\r\n c  ", "a\nb\n c" },
          { { collapse_ws = true, trim_lines = true }, " a  b \n  \nc", " a b\n\nc" },
          { { lower = "ascii" }, "ABC \195\128 xYz", "abc \195\128 xyz" },
          { { lower = false, ansi = false }, "AB", "AB" },
          -- À É Σ Ж Ա İ Ÿ Ⱥ ẞ Ｚ: Ⱥ (3-byte lowercase) and 3-byte code points stay
          { { lower = "unicode" }, "A\195\128\195\137\206\163\208\150\212\177\196\176\197\184\200\186" ..
            "\225\186\158\239\188\186\195\151\194\181",
            "a\195\160\195\169\207\131\208\182\213\161i\195\191\200\186\225\186\158\239\188\186\195\151\194\181" },
          { { lower = "unicode" }, "\195\195\128\128\208", "\195\195\160\128\208" },
          { { collapse_ws = true, ansi = true, zero_width = true }, "a \27[0m \226\128\139 b", "a b" },
          { { crlf = true, ansi = true, zero_width = true, collapse_ws = true, trim_lines = true, lower = "ascii" },
            "\255\254 \192\128\0X", "\255\254 \192\128\0x" },
        }
        for _, c in ipairs(cases) do assert.equal(c[3], D.normalizer(c[1]):apply(c[2])) end
      end)

      it("returns nil, msg, ELIMIT past max_bytes", function()
        local r, msg, code = D.dedup("0123456789", { max_bytes = 9 })
        assert.is_nil(r)
        assert.equal("input is 10 bytes, over max_bytes 9", msg)
        assert.equal("ELIMIT", code)
        r, msg, code = D.find_duplicate_blocks("0123456789", { max_bytes = 5 })
        assert.is_nil(r)
        assert.equal("input is 10 bytes, over max_bytes 5", msg)
        assert.equal("ELIMIT", code)
        r, _, code = D.dedup_lines("0123456789", { max_bytes = 0 })
        assert.is_nil(r)
        assert.equal("ELIMIT", code)
        assert.equal("0123456789", (D.dedup("0123456789", { max_bytes = 10 })))
        assert.equal(256 * 1024 * 1024, D.DEFAULT_MAX_BYTES)
      end)

      it("raises on misuse with exact messages", function()
        local cases = {
          { function() D.dedup() end, "bad argument #1 to 'dedup' (string expected, got nil)" },
          { function() D.dedup(1) end, "bad argument #1 to 'dedup' (string expected, got number)" },
          { function() D.dedup("x", 5) end, "bad argument #2 to 'dedup' (table or nil expected, got number)" },
          { function() D.dedup("x", { min = 1 }) end, "bad argument #2 to 'dedup' (unknown option 'min')" },
          { function() D.dedup("x", { min_block_length = -1 }) end,
            "bad argument #2 to 'dedup' (min_block_length must be a non-negative integer)" },
          { function() D.find_duplicate_blocks("x", { max_bytes = 1.5 }) end,
            "bad argument #2 to 'find_duplicate_blocks' (max_bytes must be a non-negative integer)" },
          { function() D.dedup_lines("x", { delimiter = "," }) end,
            "bad argument #2 to 'dedup_lines' (delimiter must be \"\\n\" or \"\\0\")" },
          { function() D.dedup_lines("x", { counts = 1 }) end,
            "bad argument #2 to 'dedup_lines' (counts must be a boolean)" },
          { function() D.dedup_lines("x", { min_block_length = 1 }) end,
            "bad argument #2 to 'dedup_lines' (unknown option 'min_block_length')" },
          { function() D.normalize_block({}) end, "bad argument #1 to 'normalize_block' (string expected, got table)" },
          { function() D.block_id() end, "bad argument #1 to 'block_id' (string expected, got nil)" },
          { function() D.normalizer("x") end, "bad argument #1 to 'normalizer' (table or nil expected, got string)" },
          { function() D.normalizer { lower = "utf8" } end,
            "bad argument #1 to 'normalizer' (lower must be \"ascii\", \"unicode\" or false)" },
          { function() D.normalizer { crlf = 1 } end, "bad argument #1 to 'normalizer' (crlf must be a boolean)" },
          { function() D.normalizer { tabs = true } end, "bad argument #1 to 'normalizer' (unknown option 'tabs')" },
          { function() D.normalizer():apply(1) end, "bad argument #2 to 'apply' (string expected, got number)" },
          { function() D.normalizer().apply("x") end, "bad argument #1 to 'apply' (normalizer expected, got string)" },
        }
        for _, c in ipairs(cases) do assert.has_error(c[1], c[2]) end
      end)
    end)
  end

  -- Big inputs, native only (the fallback is the same code path at 1/40 the speed).
  if backends[1].name == "native" then
    local N = backends[1].mod
    describe("big inputs (native)", function()
      it("handles a million tiny blocks", function()
        if os.getenv("VL_VALGRIND") then pending("too slow under valgrind") return end
        local text = ("a\n\n"):rep(1e6)
        local out, st = N.dedup(text)  -- all shorter than min_block_length: all kept
        assert.equal(text, out)
        assert.same({ blocks = 1e6, removed = 0, bytes_in = #text, bytes_out = #text }, st)
        out, st = N.dedup(text, { min_block_length = 0 })
        assert.equal("a\n\n", out)
        assert.equal(1e6 - 1, st.removed)
        local t = {}
        for i = 1, 1e6 do t[i] = tostring(i) end
        text = table.concat(t, "\n\n")  -- a million distinct ones
        out, st = N.dedup(text, { min_block_length = 0 })
        assert.equal(text, out)
        assert.equal(0, st.removed)
        assert.equal(1e6, #N.find_duplicate_blocks(("b\n\n"):rep(1e6 + 1), { min_block_length = 0 }))
      end)

      it("hashes blocks of megabytes while they grow, with the keys of normalize_block", function()
        -- 1.5 MB paragraphs: their keys are hashed ahead, 256 KB at a time, at lines that
        -- start with a byte no key ends after; the last lines end in space and punctuation
        local lines = {}
        for i = 1, 30000 do
          lines[i] = (i % 7 == 0 and "  Indented " or i % 11 == 0 and ". starts with a dot, " or "Line ") ..
            i .. " of a LONG paragraph\194\160with  spaces\t here"
        end
        local tail = "\n\194\160\n. ,\n ;\n"
        local a = table.concat(lines, "\n") .. tail
        local b = table.concat(lines, " \n "):upper():gsub("\194\160", "\226\128\131") .. "\n\226\128\131\n . , \n;"
        local text = a .. "\n" .. b .. "\n\nshort\n"
        assert.equal(N.normalize_block(a), N.normalize_block(b))
        local out, st = N.dedup(text)
        assert.equal(3, st.blocks)
        assert.equal(1, st.removed)
        assert.equal(a .. "\nshort\n", out)
        local dups = N.find_duplicate_blocks(text)
        assert.equal(1, #dups)
        assert.equal(N.block_id(a), dups[1].id)
        assert.equal(N.block_id(b), dups[1].id)
        assert.equal(#a + 2, dups[1].dup.start)
      end)

      it("dedups 300,000 short lines as awk does (the line set grows many times)", function()
        local t, want, seen = {}, {}, {}
        local x = 12345
        for i = 1, 600000 do
          x = (x * 1103515245 + 12345) % 2147483648
          local l = tostring(x % 300000)
          t[i] = l
          if not seen[l] then seen[l] = 0; want[#want + 1] = l end
          seen[l] = seen[l] + 1
        end
        local out, st = N.dedup_lines(table.concat(t, "\n"), { counts = true })
        assert.equal(table.concat(want, "\n") .. "\n", out)
        assert.equal(600000 - #want, st.removed)
        for i = 1, #want, 997 do assert.equal(seen[want[i]], st.counts[i]) end
      end)

      it("dedups 100 MB in one call and as a stream, with the same output", function()
        if os.getenv("VL_VALGRIND") then pending("too slow under valgrind") return end
        local paras = {}
        for i = 1, 10 do
          paras[i] = ("paragraph %d: "):format(i) .. ("some words of text that repeat "):rep(30)
        end
        local unit = table.concat(paras, "\n\n") .. "\n\n"
        local text = unit:rep(math.ceil(100e6 / #unit))
        local out, st = N.dedup(text)
        assert.equal(unit, out)
        assert.equal(st.blocks - 10, st.removed)
        local s, parts = N.stream(), {}
        for i = 1, #text, 1048576 do parts[#parts + 1] = s:feed(text:sub(i, i + 1048575)) end
        parts[#parts + 1] = s:finish()
        assert.equal(out, table.concat(parts))
        assert.equal(#text, s:stats().bytes_in)
        s:close()
        local big = N.dedup_lines(text)
        local want = { paras[1], "" }  -- the empty line is kept once, after the first
        for i = 2, 10 do want[#want + 1] = paras[i] end
        assert.equal(table.concat(want, "\n") .. "\n", big)
      end)
    end)
  end

  if #backends == 2 then
    local N, F = backends[1].mod, backends[2].mod
    it("keeps its work memory between calls, safe while the GC runs finalizers mid-call", function()
      -- find_duplicate_blocks builds a table per repeat: with the collector stepping on
      -- every allocation, whole GC cycles (and the finalizer that releases the kept
      -- memory of an idle call) pass inside one call; under ASan a release of memory
      -- in use would fail here. Calls of other sizes in between reuse and grow it.
      -- Finalizers that call the kernel run inside those calls too: they must get memory
      -- of their own, not the busy kept memory of the call they interrupt.
      local r = rng(77)
      local inner_text = ("inner block, long enough to be a duplicate candidate\n\n"):rep(40)
      local inner_want = F.dedup(inner_text, { min_block_length = 10 })
      local inner_bad, inside, nested = 0, false, 0
      local function finalizer_garbage(f) getmetatable(newproxy(true)).__gc = f end
      local function finalizer(self)
        if inside then  -- one in, one out: finalizers stay pending all through the calls
          nested = nested + 1
          finalizer_garbage(getmetatable(self).__gc)
        end
        if N.dedup(inner_text, { min_block_length = 10 }) ~= inner_want then inner_bad = inner_bad + 1 end
        if #N.find_duplicate_blocks(inner_text, { min_block_length = 10 }) ~= 39 then inner_bad = inner_bad + 1 end
        local st = N.stream({ min_block_length = 10 })
        if st:feed(inner_text) .. st:finish() ~= inner_want then inner_bad = inner_bad + 1 end
        st:close()
      end
      local pause = collectgarbage("setpause", 0)
      local stepmul = collectgarbage("setstepmul", 1000)
      local ok, err = pcall(function()
        for round = 1, 12 do
          local t = random_text(r, round % 3 == 0 and 400 or 25) .. "\n\n" ..
            ("a paragraph repeated often enough to keep the collector busy\n\n"):rep(r(1500) + 500)
          local o = { min_block_length = ({ 0, 10 })[r(2) + 1] }
          local want_find, want = F.find_duplicate_blocks(t, o), { F.dedup(t, o) }
          local small = ("short repeated block\n\n"):rep(r(5) + 1) .. random_text(r, 3)
          local want_small = { F.dedup(small) }
          for _ = 1, 50 do finalizer_garbage(finalizer) end
          inside = true
          for _ = 1, 100 do  -- many short calls: many chances of a finalizer as one ends
            local got_small = { N.dedup(small) }
            assert.same(want_small, got_small)
          end
          local got_find, got = N.find_duplicate_blocks(t, o), { N.dedup(t, o) }
          local st = N.stream(o)
          local got_stream = st:feed(t) .. st:finish()
          st:close()
          inside = false
          assert.same(want_find, got_find)
          assert.same(want, got)
          assert.equal(want[1], got_stream)
          if round % 4 == 0 then collectgarbage() collectgarbage() end  -- idle cycles: released
        end
      end)
      inside = false  -- (also after a failure) the finalizers stop making more of themselves
      collectgarbage("setpause", pause)
      collectgarbage("setstepmul", stepmul)
      collectgarbage()
      assert(ok, err)
      assert.equal(0, inner_bad)
      assert(nested > 0, "no finalizer ran inside a call: the test did not test")
    end)

    it("gives the same bytes on its AVX2 and SSE2 paths (and the fallback's)", function()
      assert.equal("lua", F.simd())
      assert.is_true(F.set_simd("auto"))
      assert.same({ nil, "the pure-Lua backend has no sse2 path", "EINVAL" }, { F.set_simd("sse2") })
      assert.has_error(function() N.set_simd("neon") end,
        "bad argument #1 to 'set_simd' (one of auto, avx2, sse2 expected, got neon)")
      local had = N.simd()
      if had ~= "avx2" then pending("this CPU has no AVX2: one path only") return end
      local r = rng(4242)
      local bits = { " ", "  ", "   ", "\t", "\n", "\r\n", "\v", "a", "B", "Zz", "word", "Hello", ".", ",",
        "\194\160", "\226\128\131", "\195\137", "\255", "\0", ("x"):rep(40), (" "):rep(33) }
      for _ = 1, 1500 do
        local w = {}
        for i = 1, r(160) do w[i] = bits[r(#bits) + 1] end
        local t = table.concat(w)
        local text = t .. "\n\n" .. t:upper() .. "\n\n" .. t .. "\n"
        local got = {}
        for k, path in ipairs({ "avx2", "sse2" }) do
          assert.is_true(N.set_simd(path))
          assert.equal(path, N.simd())
          got[k] = { N.normalize_block(t), N.find_duplicate_blocks(text, { min_block_length = 0 }) }
        end
        N.set_simd("auto")
        assert.same(got[1], got[2])
        assert.equal(F.normalize_block(t), got[1][1])
      end
      assert.equal(had, N.simd())
    end)

    it("native equals fallback on random texts", function()
      local r = rng(2024)
      local flags = { "crlf", "ansi", "zero_width", "collapse_ws", "trim_lines" }
      for _ = 1, 400 do
        local t = random_text(r, 25)
        local min = ({ 0, 1, 10, 50 })[r(4) + 1]
        local o = { min_block_length = min }
        assert.same({ F.dedup(t, o) }, { N.dedup(t, o) })
        assert.same(F.find_duplicate_blocks(t, o), N.find_duplicate_blocks(t, o))
        assert.same({ F.dedup_lines(t, { counts = true }) }, { N.dedup_lines(t, { counts = true }) })
        assert.same({ F.dedup_lines(t, { delimiter = "\0" }) }, { N.dedup_lines(t, { delimiter = "\0" }) })
        assert.equal(F.normalize_block(t), N.normalize_block(t))
        assert.same({ F.block_id(t) }, { N.block_id(t) })
        local nopts = {}
        for _, k in ipairs(flags) do nopts[k] = r(2) == 1 end
        nopts.lower = ({ "ascii", "unicode", false })[r(3) + 1]
        assert.equal(F.normalizer(nopts):apply(t), N.normalizer(nopts):apply(t))
      end
      -- word-level pieces, so that the C normaliser's 16-byte steps meet space runs,
      -- White_Space code points and non-ASCII bytes at every offset of a step
      local bits = { " ", "  ", "\t", "\n", "\r\n", "a", "B", "Zz", "word", "Hello", "\194\160",
        "\226\128\131", "\195\137", "\227\128\128", ".", ",", ";", ":", "\0", "\255", "\194", "\226\128" }
      for _ = 1, 3000 do
        local w = {}
        for i = 1, r(90) do w[i] = bits[r(#bits) + 1] end
        w = table.concat(w)
        assert.equal(F.normalize_block(w), N.normalize_block(w))
      end
      -- every 2-byte code point, lowercased
      local all2 = {}
      for cp = 0x80, 0x7FF do
        all2[#all2 + 1] = string.char(0xC0 + bit.rshift(cp, 6), 0x80 + bit.band(cp, 0x3F))
      end
      all2 = table.concat(all2, " ")
      assert.equal(F.normalizer({ lower = "unicode" }):apply(all2), N.normalizer({ lower = "unicode" }):apply(all2))
      assert.not_equal(all2, N.normalizer({ lower = "unicode" }):apply(all2))
      -- raw bytes too
      for _ = 1, 300 do
        local t = {}
        for i = 1, r(60) do t[i] = string.char(({ 10, 13, 27, 32, 91, 93, 7, 92, 96, 126, 0xE2, 0x80, 0x8B, 0xC2,
          0xA0, 65, 0xEF, 0xBB, 0xBF, 59 })[r(20) + 1]) end
        local s = table.concat(t)
        local nopts = {}
        for _, k in ipairs(flags) do nopts[k] = r(2) == 1 end
        assert.equal(F.normalizer(nopts):apply(s), N.normalizer(nopts):apply(s))
        assert.equal(F.normalize_block(s), N.normalize_block(s))
        assert.same({ F.dedup(s, { min_block_length = 1 }) }, { N.dedup(s, { min_block_length = 1 }) })
      end
    end)
  end
end)

