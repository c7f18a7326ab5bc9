; queries/ruby.scm: victor-lua's Ruby patterns, before the grammar's tags.scm.
(assignment left: (constant) @name) @definition.constant
(call method: (identifier) @_m (#match? @_m "^require(_relative)?$") arguments: (argument_list (string (string_content) @name))) @reference.import
(superclass (constant) @name) @reference.type
