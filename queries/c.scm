; queries/c.scm: victor-lua's C patterns, before the grammar's tags.scm.
; File-scope variables: declarations anywhere (also inside #if blocks and extern "C"); those inside
; function bodies are locals and are dropped by the kernel.
(function_definition declarator: (function_declarator declarator: (identifier) @name)) @definition.function
(function_definition declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))) @definition.function
(function_definition declarator: (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))) @definition.function
(struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
(union_specifier name: (type_identifier) @name body: (_)) @definition.struct
(enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
(enumerator name: (identifier) @name) @definition.constant
(type_definition declarator: (type_identifier) @name) @definition.type
(type_definition declarator: (pointer_declarator declarator: (type_identifier) @name)) @definition.type
(type_definition declarator: (function_declarator declarator: (parenthesized_declarator (pointer_declarator declarator: (type_identifier) @name)))) @definition.type
(preproc_def name: (identifier) @name) @definition.macro
(preproc_function_def name: (identifier) @name) @definition.macro
(declaration declarator: (init_declarator declarator: (identifier) @name)) @definition.variable
(declaration declarator: (identifier) @name) @definition.variable
(declaration declarator: (array_declarator declarator: (identifier) @name)) @definition.variable
(declaration declarator: (init_declarator declarator: (array_declarator declarator: (identifier) @name))) @definition.variable
(declaration declarator: (pointer_declarator declarator: (identifier) @name)) @definition.variable
(declaration declarator: (init_declarator declarator: (pointer_declarator declarator: (identifier) @name))) @definition.variable
(field_declaration declarator: (field_identifier) @name) @definition.field
(field_declaration declarator: (pointer_declarator declarator: (field_identifier) @name)) @definition.field
(field_declaration declarator: (array_declarator declarator: (field_identifier) @name)) @definition.field
(call_expression function: (identifier) @name) @reference.call
(preproc_include path: (_) @name) @reference.import
(type_identifier) @name @reference.type
(declaration declarator: (function_declarator declarator: (identifier) @name)) @definition.function
(declaration declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))) @definition.function
; declarators nested two and three deep (pointers to pointers, arrays of pointers, ...)
(type_definition declarator: (_ declarator: (_ declarator: (type_identifier) @name))) @definition.type
(type_definition declarator: (_ declarator: (_ declarator: (_ declarator: (type_identifier) @name)))) @definition.type
(type_definition declarator: (array_declarator declarator: (type_identifier) @name)) @definition.type
(type_definition declarator: (function_declarator declarator: (type_identifier) @name)) @definition.type
(field_declaration declarator: (_ declarator: (_ declarator: (field_identifier) @name))) @definition.field
(field_declaration declarator: (_ declarator: (_ declarator: (_ declarator: (field_identifier) @name)))) @definition.field
(field_declaration declarator: (function_declarator declarator: (parenthesized_declarator (_ declarator: (field_identifier) @name)))) @definition.field
(declaration declarator: (_ declarator: (_ declarator: (identifier) @name))) @definition.variable
; `#define NAME` inside an ERROR node (a parse that failed around a macro call with no `;`,
; e.g. OpenSSL's `DECLARE_ASN1_FUNCTIONS(T)` lines): the directive loses its preproc_def node
(ERROR "#define" @definition.macro . (identifier) @name)
; `typedef void (APIENTRYP NAME)(...)` (OpenGL's headers): the unknown macro before the name
; is an ERROR inside the parenthesized declarator; the name is the type_identifier after it
(type_definition declarator: (function_declarator declarator: (parenthesized_declarator (type_identifier) @name))) @definition.type
