; queries/rust.scm: victor-lua's Rust patterns, before the grammar's tags.scm.
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.variable
(use_declaration argument: (_) @name) @reference.import
(impl_item type: (type_identifier) @name body: (declaration_list)) @scope
(impl_item type: (generic_type type: (type_identifier) @name) body: (declaration_list)) @scope
(field_declaration name: (field_identifier) @name) @definition.field
(enum_variant name: (identifier) @name) @definition.constant
(type_identifier) @name @reference.type
(function_signature_item name: (identifier) @name) @definition.method
