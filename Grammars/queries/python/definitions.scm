; Functions and classes; decorated forms contain the same nodes, so they match too.
(function_definition name: (identifier) @name body: (block) @body) @definition.function
(class_definition name: (identifier) @name body: (block) @body) @definition.type

; Module-level names: SHOUTING_CASE ones are constants.
(module (expression_statement (assignment left: (identifier) @name)) @definition.constant
  (#match? @name "^[A-Z][A-Z0-9_]*$"))
(module (expression_statement (assignment left: (identifier) @name)) @definition.variable)

; Class attributes and attributes assigned on self in a method.
(class_definition body: (block (expression_statement (assignment left: (identifier) @name)) @definition.property))
(function_definition
  body: (block (expression_statement
    (assignment left: (attribute object: (identifier) @_self attribute: (identifier) @name)) @definition.property))
  (#eq? @_self "self"))
