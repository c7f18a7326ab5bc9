; queries/python.scm: victor-lua's Python patterns, before the grammar's tags.scm.
(import_statement name: (dotted_name) @name) @reference.import
(import_statement name: (aliased_import name: (dotted_name) @name)) @reference.import
(import_from_statement module_name: (dotted_name) @name) @reference.import
(import_from_statement module_name: (relative_import) @name) @reference.import
(module (expression_statement (assignment left: (pattern_list (identifier) @name)) @definition.variable))
(class_definition body: (block (expression_statement (assignment left: (identifier) @name) @definition.field)))
(class_definition superclasses: (argument_list (identifier) @name) @reference.type)
(type (identifier) @name) @reference.type
; module-level names bound inside if/else/try blocks, chained assignments, lambdas
(module (if_statement consequence: (block (expression_statement (assignment left: (identifier) @name) @definition.variable))))
(module (if_statement alternative: (else_clause body: (block (expression_statement (assignment left: (identifier) @name) @definition.variable)))))
(module (if_statement alternative: (elif_clause consequence: (block (expression_statement (assignment left: (identifier) @name) @definition.variable)))))
(module (try_statement body: (block (expression_statement (assignment left: (identifier) @name) @definition.variable))))
(module (try_statement (except_clause (block (expression_statement (assignment left: (identifier) @name) @definition.variable)))))
(module (expression_statement (assignment right: (assignment left: (identifier) @name) @definition.variable)))
(assignment left: (identifier) @name right: (lambda)) @definition.function
