[(source_file) (function_declaration) (method_declaration) (func_literal) (block)
 (for_statement) (if_statement) (expression_switch_statement) (type_switch_statement)] @local.scope

(function_declaration name: (identifier) @local.definition.parent)
(parameter_declaration name: (identifier) @local.definition)
(variadic_parameter_declaration name: (identifier) @local.definition)
(short_var_declaration left: (expression_list (identifier) @local.definition))
(var_spec name: (identifier) @local.definition)
(const_spec name: (identifier) @local.definition)
(range_clause left: (expression_list (identifier) @local.definition))

(identifier) @local.reference
