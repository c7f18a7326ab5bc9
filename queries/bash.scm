; queries/bash.scm: victor-lua's Bash patterns (the grammar ships no tags.scm).
(function_definition name: (word) @name) @definition.function
(program (variable_assignment name: (variable_name) @name) @definition.variable)
(command name: (command_name (word) @name)) @reference.call
