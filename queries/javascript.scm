; queries/javascript.scm: victor-lua's JavaScript patterns, before the grammar's tags.scm
; (TypeScript and TSX use them too).
(program (lexical_declaration (variable_declarator name: (identifier) @name) @definition.variable))
(program (variable_declaration (variable_declarator name: (identifier) @name) @definition.variable))
(program (export_statement declaration: (lexical_declaration (variable_declarator name: (identifier) @name) @definition.variable)))
(import_statement source: (string (string_fragment) @name)) @reference.import
(field_definition property: (property_identifier) @name) @definition.field
(method_definition name: (property_identifier) @name) @definition.method
(call_expression function: (identifier) @name (#eq? @name "require") arguments: (arguments (string (string_fragment) @name))) @reference.import
