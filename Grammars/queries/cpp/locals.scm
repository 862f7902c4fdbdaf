[(translation_unit) (function_definition) (compound_statement) (for_statement) (for_range_loop) (lambda_expression)
 (namespace_definition)] @local.scope

(function_definition declarator: (function_declarator declarator: (identifier) @local.definition.parent))
(parameter_declaration declarator: (identifier) @local.definition)
(parameter_declaration declarator: (pointer_declarator declarator: (identifier) @local.definition))
(parameter_declaration declarator: (reference_declarator (identifier) @local.definition))
(optional_parameter_declaration declarator: (identifier) @local.definition)
(init_declarator declarator: (identifier) @local.definition)
(init_declarator declarator: (pointer_declarator declarator: (identifier) @local.definition))
(init_declarator declarator: (reference_declarator (identifier) @local.definition))
(declaration declarator: (identifier) @local.definition)
(for_range_loop declarator: (identifier) @local.definition)
(for_range_loop declarator: (reference_declarator (identifier) @local.definition))

(qualified_identifier name: (identifier) @local.member)

(identifier) @local.reference
