[(source_file) (function_item) (closure_expression) (block) (for_expression) (match_arm) (impl_item) (trait_item)] @local.scope

(function_item name: (identifier) @local.definition.parent)
(parameter pattern: (identifier) @local.definition)
(let_declaration pattern: (identifier) @local.definition)
(let_declaration pattern: (tuple_pattern (identifier) @local.definition))
(tuple_struct_pattern (identifier) @local.definition)
(tuple_struct_pattern type: (identifier) @local.member)
(closure_parameters (identifier) @local.definition)
(for_expression pattern: (identifier) @local.definition)
(const_item name: (identifier) @local.definition)
(static_item name: (identifier) @local.definition)

(scoped_identifier name: (identifier) @local.member)
(scoped_identifier path: (identifier) @local.member)

(identifier) @local.reference
