[(module) (function_definition) (lambda) (class_definition)
 (list_comprehension) (set_comprehension) (dictionary_comprehension) (generator_expression)] @local.scope

(function_definition name: (identifier) @local.definition.parent)
(class_definition name: (identifier) @local.definition.parent)

(parameters (identifier) @local.definition)
(parameters (default_parameter name: (identifier) @local.definition))
(parameters (typed_parameter (identifier) @local.definition))
(parameters (typed_default_parameter name: (identifier) @local.definition))
(parameters (list_splat_pattern (identifier) @local.definition))
(parameters (dictionary_splat_pattern (identifier) @local.definition))
(lambda_parameters (identifier) @local.definition)

(assignment left: (identifier) @local.definition)
(assignment left: (pattern_list (identifier) @local.definition))
(assignment left: (tuple_pattern (identifier) @local.definition))
(for_statement left: (identifier) @local.definition)
(for_statement left: (pattern_list (identifier) @local.definition))
(for_in_clause left: (identifier) @local.definition)
(for_in_clause left: (pattern_list (identifier) @local.definition))
(as_pattern alias: (as_pattern_target (identifier) @local.definition))
(named_expression name: (identifier) @local.definition)

(import_statement name: (dotted_name . (identifier) @local.definition))
(import_from_statement name: (dotted_name (identifier) @local.definition))
(aliased_import alias: (identifier) @local.definition)

(attribute attribute: (identifier) @local.member)
; `os.path`: only the first part of a dotted module name is a name in scope.
(dotted_name (identifier) . (identifier) @local.member)
(keyword_argument name: (identifier) @local.member)

(identifier) @local.reference
