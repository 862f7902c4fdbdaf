(function_item name: (identifier) @name body: (block) @body) @definition.function
(function_signature_item name: (identifier) @name) @definition.method
(struct_item name: (type_identifier) @name) @definition.type
(enum_item name: (type_identifier) @name) @definition.type
(union_item name: (type_identifier) @name) @definition.type
(trait_item name: (type_identifier) @name body: (declaration_list) @body) @definition.type
(type_item name: (type_identifier) @name) @definition.type
(impl_item type: (type_identifier) @name body: (declaration_list) @body) @definition.extension
(impl_item type: (generic_type type: (type_identifier) @name) body: (declaration_list) @body) @definition.extension
(mod_item name: (identifier) @name body: (declaration_list) @body) @definition.module
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.variable
(field_declaration name: (field_identifier) @name) @definition.property
(macro_definition name: (identifier) @name) @definition.function
