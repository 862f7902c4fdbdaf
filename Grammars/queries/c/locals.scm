[(translation_unit) (function_definition) (compound_statement) (for_statement)] @local.scope

(function_definition declarator: (function_declarator declarator: (identifier) @local.definition.parent))
(function_definition declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @local.definition.parent)))
(parameter_declaration declarator: (identifier) @local.definition)
(parameter_declaration declarator: (pointer_declarator declarator: (identifier) @local.definition))
(parameter_declaration declarator: (array_declarator declarator: (identifier) @local.definition))
(init_declarator declarator: (identifier) @local.definition)
(init_declarator declarator: (pointer_declarator declarator: (identifier) @local.definition))
(declaration declarator: (identifier) @local.definition)
(declaration declarator: (pointer_declarator declarator: (identifier) @local.definition))
(declaration declarator: (array_declarator declarator: (identifier) @local.definition))

(identifier) @local.reference
