; queries/cpp.scm: victor-lua's C++ patterns, before the grammar's tags.scm.
(function_definition declarator: (function_declarator declarator: (identifier) @name)) @definition.function
(function_definition declarator: (function_declarator declarator: (field_identifier) @name)) @definition.method
(function_definition declarator: (function_declarator declarator: (qualified_identifier name: (identifier) @name))) @definition.method
(struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
(union_specifier name: (type_identifier) @name body: (_)) @definition.struct
(enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
(class_specifier name: (type_identifier) @name body: (_)) @definition.class
(namespace_definition name: (namespace_identifier) @name) @definition.module
(enumerator name: (identifier) @name) @definition.constant
(type_definition declarator: (type_identifier) @name) @definition.type
(alias_declaration name: (type_identifier) @name) @definition.type
(preproc_def name: (identifier) @name) @definition.macro
(preproc_function_def name: (identifier) @name) @definition.macro
(declaration declarator: (init_declarator declarator: (identifier) @name)) @definition.variable
(field_declaration declarator: (field_identifier) @name) @definition.field
(call_expression function: (identifier) @name) @reference.call
(call_expression function: (field_expression field: (field_identifier) @name)) @reference.call
(call_expression function: (qualified_identifier name: (identifier) @name)) @reference.call
(preproc_include path: (_) @name) @reference.import
(type_identifier) @name @reference.type
(declaration declarator: (function_declarator declarator: (identifier) @name)) @definition.function
; `Type::method` defined outside its class: Type is a scope of the method
(function_definition declarator: (function_declarator declarator: (qualified_identifier scope: (namespace_identifier) @name))) @scope
; as in c.scm: pointer, array and reference declarators (nested up to three deep) of file-scope
; variables, typedefs and class/struct members (`Init *A;`, `AAResults *AA = nullptr;`)
(declaration declarator: (_ declarator: (identifier) @name)) @definition.variable
(declaration declarator: (_ declarator: (_ declarator: (identifier) @name))) @definition.variable
(declaration declarator: (init_declarator declarator: (reference_declarator (identifier) @name))) @definition.variable
(field_declaration declarator: (_ declarator: (field_identifier) @name)) @definition.field
(field_declaration declarator: (_ declarator: (_ declarator: (field_identifier) @name))) @definition.field
(field_declaration declarator: (_ declarator: (_ declarator: (_ declarator: (field_identifier) @name)))) @definition.field
(field_declaration declarator: (reference_declarator (field_identifier) @name)) @definition.field
(type_definition declarator: (_ declarator: (type_identifier) @name)) @definition.type
(type_definition declarator: (_ declarator: (_ declarator: (type_identifier) @name))) @definition.type
(type_definition declarator: (function_declarator declarator: (parenthesized_declarator (_ declarator: (type_identifier) @name)))) @definition.type
; `typedef void (APIENTRYP NAME)(...)`: the ERROR holds the macro, or (in some contexts) the name
(type_definition declarator: (function_declarator declarator: (parenthesized_declarator (ERROR) . (type_identifier) @name))) @definition.type
(type_definition declarator: (function_declarator declarator: (parenthesized_declarator (type_identifier) . (ERROR (identifier) @name)))) @definition.type
(function_definition declarator: (_ declarator: (function_declarator declarator: (identifier) @name))) @definition.function
(ERROR "#define" @definition.macro . (identifier) @name)
