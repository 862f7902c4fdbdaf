[(source_file) (function_declaration) (init_declaration) (lambda_literal) (statements)
 (for_statement) (if_statement) (guard_statement) (class_body) (catch_block)] @local.scope

(function_declaration name: (simple_identifier) @local.definition.parent)
(parameter name: (simple_identifier) @local.definition)
(parameter external_name: (simple_identifier) @local.member)
(lambda_parameter name: (simple_identifier) @local.definition)
(property_declaration name: (pattern (simple_identifier) @local.definition))
(for_statement item: (pattern (simple_identifier) @local.definition))

(navigation_suffix suffix: (simple_identifier) @local.member)
(value_argument_label (simple_identifier) @local.member)

(simple_identifier) @local.reference
