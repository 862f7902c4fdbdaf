(class_declaration name: (identifier) @name body: (class_body) @body) @definition.type
(interface_declaration name: (identifier) @name body: (interface_body) @body) @definition.type
(enum_declaration name: (identifier) @name body: (enum_body) @body) @definition.type
(record_declaration name: (identifier) @name body: (_) @body) @definition.type
(annotation_type_declaration name: (identifier) @name body: (_) @body) @definition.type
(method_declaration name: (identifier) @name body: (block) @body) @definition.method
(method_declaration name: (identifier) @name) @definition.method
(constructor_declaration name: (identifier) @name body: (constructor_body) @body) @definition.method
(field_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.property
(constant_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.constant
(enum_constant name: (identifier) @name) @definition.constant
