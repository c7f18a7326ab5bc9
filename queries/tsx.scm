; queries/tsx.scm: victor-lua's TSX patterns (as TypeScript's), before JavaScript's and TypeScript's tags.scm.
(program (lexical_declaration (variable_declarator name: (identifier) @name) @definition.variable))
(program (export_statement declaration: (lexical_declaration (variable_declarator name: (identifier) @name) @definition.variable)))
(import_statement source: (string (string_fragment) @name)) @reference.import
(class_declaration name: (type_identifier) @name) @definition.class
(interface_declaration name: (type_identifier) @name) @definition.interface
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.enum
(public_field_definition name: (property_identifier) @name) @definition.field
(method_definition name: (property_identifier) @name) @definition.method
(type_identifier) @name @reference.type
