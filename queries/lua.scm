; queries/lua.scm: victor-lua's Lua patterns, before the grammar's tags.scm.
(chunk (variable_declaration (assignment_statement (variable_list name: (identifier) @name))) @definition.variable)
(chunk (variable_declaration (variable_list name: (identifier) @name)) @definition.variable)
(chunk (assignment_statement (variable_list name: (identifier) @name)) @definition.variable)
(chunk (assignment_statement (variable_list name: (dot_index_expression field: (identifier) @name))) @definition.field)
(function_call name: (identifier) @_req (#eq? @_req "require") arguments: (arguments (string content: (string_content) @name))) @reference.import
; `function M.f` / `function M:f`: M is a scope of f
(function_declaration name: (dot_index_expression table: (identifier) @name)) @scope
(function_declaration name: (method_index_expression table: (identifier) @name)) @scope
