-- sanitize_spec.lua: victor.sanitize and rules/validation.lua (known answers from the reference §10
-- probes, and the fixes).
local sanitize = require "victor.sanitize"

local native = sanitize.backend == "native"

describe("victor.sanitize (plain Lua parts)", function()
  it("strips markup", function()
    assert.equal("Hello World", sanitize.strip_markup("<div>Hello</div> <span>World</span>"))
    assert.equal("a c d <e", sanitize.strip_markup("a<b>c  d\n<e"))
  end)

  it("validates tool names, first failing reason", function()
    local cases = {
      { "", false, "empty_or_invalid_type" }, { "tool_name_x", false, "invalid_prefix:tool_name" },
      { "my_tool", false, "invalid_prefix:my_" }, { "read/", false, "invalid_suffix" },
      { "<read", false, "starts_with_tag" }, { "read file", false, "contains_whitespace" },
      { "1read", false, "starts_with_number" }, { "tool-name", false, "invalid_characters" },
      { "r\195\169ad", false, "invalid_characters" }, { "read_file\n", false, "invalid_characters" },
      { "read_file", true, nil },
    }
    for _, c in ipairs(cases) do
      local ok, why = sanitize.validate_tool_name(c[1])
      assert.same({ c[2], c[3] }, { ok, why }, c[1])
    end
    assert.same({ false, "empty_or_invalid_type" }, { sanitize.validate_tool_name(nil) })
  end)

  it("extracts paths, code blocks, shell commands and tool calls", function()
    assert.equal("hello.py", sanitize.extract_file_path("I'll write to hello.py"))
    assert.equal("src/main.rs", sanitize.extract_file_path("Edit the file `src/main.rs`"))
    assert.is_nil(sanitize.extract_file_path("nothing here"))
    assert.same({ "print(1)" }, sanitize.extract_code_blocks("x\n```python\nprint(1)\n```\n"))
    assert.same({ "def f():\n    return 1" },
      sanitize.extract_code_blocks("Here:\n\n    def f():\n        return 1\n\nend"))
    assert.same({ "ls -la" }, sanitize.extract_shell_commands("Run this:\n```bash\nls -la\n```"))
    assert.same({ "make test" }, sanitize.extract_shell_commands("$ make test\n"))
    local call = sanitize.extract_tool_call("Write to app.py:\n```python\ndef main():\n    pass\n```", "write_file")
    assert.same({ path = "app.py", content = "def main():\n    pass" }, call.args)
    assert.equal(0.95, call.confidence)
    assert.same({ path = "a/b.txt" }, sanitize.extract_tool_call("read the file a/b.txt", "read_file").args)
    assert.same({ command = "ls -la" }, sanitize.extract_tool_call("```sh\nls -la\n```", "shell").args)
    assert.same({ path = "." }, sanitize.extract_tool_call("list it", "ls").args)
    assert.is_nil(sanitize.extract_tool_call("hi", "unknown"))
  end)
end)

describe("victor.sanitize (rules/validation.lua)", function()
  if not native then
    it("needs the native module", function()
      assert.has_error(function() sanitize.response("x") end)
    end)
    return
  end

  it("sanitizes responses as Victor does (reference probes)", function()
    assert.equal("test Hello", sanitize.response("<function>test</function> Hello"))
    assert.equal("ab", sanitize.response("a</x></y></z>b"))
    assert.equal("tAnswer\nDone", sanitize.response("<think>t</think>Answer\nparameter=foo\n</end>\nDone"))
    assert.equal("a\n\n\nb", sanitize.response("a\n\n\n\n\nb"))
    assert.equal("keep <important> this", sanitize.response("keep <important> this"))
    assert.equal("", sanitize.response(""))
    assert.equal("x  y", sanitize.response('x {"name": "f", "arguments": {"a": {"b": 1}}} y'))
  end)

  it("keeps <toolbar> (Victor's tool rule ate it)", function()
    assert.equal("<toolbar>x", sanitize.response("<toolbar>x"))
    assert.equal("x", sanitize.response("<tool_call>x</tool_call>"))
  end)

  it("reports leaked prompt phrases with their spans", function()
    assert.same({ { start = 5, stop = 42, rule = "no_new_params" },
      { start = 44, stop = 78, rule = "begin_list_dir" } },
      sanitize.leaks("ok. Do not invent any new parameters here.\nBegin by calling list_directory now"))
    assert.equal("ok.", sanitize.response("ok. Do not invent any new or additional parameters here."))
  end)

  it("detects garbage", function()
    assert.same({ true, "function-call-brace" }, { sanitize.is_garbage("FUNCTION_CALL {") })
    assert.same({ true, "tool-request-marker" }, { sanitize.is_garbage("x [END_TOOL_REQUEST]") })
    assert.same({ true, "instruction-line" }, { sanitize.is_garbage("fine\n  NEVER do that") })
    assert.same({ true, "double-function-close" }, { sanitize.is_garbage("</function> </function>") })
    assert.same({ false }, { sanitize.is_garbage("A normal answer. Do not worry.") })
    assert.same({ false }, { sanitize.is_garbage("") })
  end)
end)
