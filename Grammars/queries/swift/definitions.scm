; No `body:` capture on function_declaration: with one, libtree-sitter 0.20's query analysis walks most of the Swift
; grammar's states between the name and the body, and compiling this file took 0.7 s (the first completion in a Swift
; file waited for it). The extractor finds the body through its grammar field instead.
(function_declaration name: (simple_identifier) @name) @definition.function
(protocol_function_declaration name: (simple_identifier) @name) @definition.method
(init_declaration body: (function_body) @body) @definition.method
(class_declaration declaration_kind: "extension" name: (user_type (type_identifier) @name) body: (_) @body) @definition.extension
(class_declaration name: (type_identifier) @name body: (_) @body) @definition.type
(protocol_declaration name: (type_identifier) @name body: (protocol_body) @body) @definition.type
(typealias_declaration name: (type_identifier) @name) @definition.type
(protocol_property_declaration name: (pattern (simple_identifier) @name)) @definition.property
(property_declaration name: (pattern (simple_identifier) @name)) @definition.variable
