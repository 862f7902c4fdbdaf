[(program) (method) (singleton_method) (class) (module) (block) (do_block) (lambda)] @local.scope

(method_parameters (identifier) @local.definition)
(method_parameters (optional_parameter name: (identifier) @local.definition))
(block_parameters (identifier) @local.definition)
(lambda_parameters (identifier) @local.definition)
(assignment left: (identifier) @local.definition)
(for pattern: (identifier) @local.definition)

(identifier) @local.reference
