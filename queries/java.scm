; queries/java.scm: victor-lua's Java patterns, before the grammar's tags.scm.
(enum_declaration name: (identifier) @name) @definition.enum
(record_declaration name: (identifier) @name) @definition.class
(constructor_declaration name: (identifier) @name) @definition.method
(field_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.field
(enum_constant name: (identifier) @name) @definition.constant
(import_declaration (scoped_identifier) @name) @reference.import
(type_identifier) @name @reference.type
