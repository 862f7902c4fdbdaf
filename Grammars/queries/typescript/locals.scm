[(program) (statement_block) (function_declaration) (generator_function_declaration) (function_expression)
 (arrow_function) (method_definition) (class_declaration) (for_statement) (for_in_statement) (catch_clause)] @local.scope

(function_declaration name: (identifier) @local.definition.parent)
(generator_function_declaration name: (identifier) @local.definition.parent)
(class_declaration name: (type_identifier) @local.definition.parent)
(interface_declaration name: (type_identifier) @local.definition)
(type_alias_declaration name: (type_identifier) @local.definition)
(enum_declaration name: (identifier) @local.definition)

(required_parameter pattern: (identifier) @local.definition)
(optional_parameter pattern: (identifier) @local.definition)
(required_parameter pattern: (rest_pattern (identifier) @local.definition))
(arrow_function parameter: (identifier) @local.definition)
(variable_declarator name: (identifier) @local.definition)
(variable_declarator name: (object_pattern (shorthand_property_identifier_pattern) @local.definition))
(variable_declarator name: (array_pattern (identifier) @local.definition))
(for_in_statement left: (identifier) @local.definition)
(catch_clause parameter: (identifier) @local.definition)
(import_specifier name: (identifier) @local.definition)
(import_clause (identifier) @local.definition)
(namespace_import (identifier) @local.definition)

(identifier) @local.reference
(shorthand_property_identifier) @local.reference
(type_identifier) @local.reference
