(method name: (_) @name) @definition.method
(singleton_method name: (_) @name) @definition.method
(class name: (constant) @name) @definition.type
(class name: (scope_resolution name: (constant) @name)) @definition.type
(module name: (constant) @name) @definition.module
(program (assignment left: (constant) @name) @definition.constant)
(class (body_statement (assignment left: (constant) @name) @definition.constant))
(call method: (identifier) @_accessor arguments: (argument_list (simple_symbol) @name) @definition.property
  (#any-of? @_accessor "attr_accessor" "attr_reader" "attr_writer"))
