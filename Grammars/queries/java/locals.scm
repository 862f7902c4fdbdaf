[(program) (class_body) (method_declaration) (constructor_declaration) (block) (for_statement)
 (enhanced_for_statement) (lambda_expression) (catch_clause)] @local.scope

(method_declaration name: (identifier) @local.definition.parent)
(class_declaration name: (identifier) @local.definition)
(formal_parameter name: (identifier) @local.definition)
(spread_parameter (variable_declarator name: (identifier) @local.definition))
(local_variable_declaration declarator: (variable_declarator name: (identifier) @local.definition))
(field_declaration declarator: (variable_declarator name: (identifier) @local.definition))
(enhanced_for_statement name: (identifier) @local.definition)
(catch_formal_parameter name: (identifier) @local.definition)
(lambda_expression parameters: (identifier) @local.definition)
(inferred_parameters (identifier) @local.definition)

(field_access field: (identifier) @local.member)
(method_invocation name: (identifier) @local.member)
(scoped_identifier name: (identifier) @local.member)

(identifier) @local.reference
