(import_declaration (scoped_identifier name: (identifier) @import.name) @import.module) @import
(import_declaration (_) @import.module) @import
