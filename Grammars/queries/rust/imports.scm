(use_declaration argument: (scoped_identifier name: (identifier) @import.name) @import.module) @import
(use_declaration argument: (scoped_use_list list: (use_list (identifier) @import.name)) @import.module) @import
(use_declaration argument: (use_as_clause path: (_) @import.module alias: (identifier) @import.alias)) @import
(use_declaration argument: (_) @import.module) @import
(extern_crate_declaration name: (identifier) @import.module) @import
