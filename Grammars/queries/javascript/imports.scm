(import_statement (import_clause (named_imports (import_specifier name: (identifier) @import.name))) source: (string) @import.module) @import
(import_statement (import_clause (identifier) @import.name) source: (string) @import.module) @import
(import_statement (import_clause (namespace_import (identifier) @import.alias)) source: (string) @import.module) @import
(import_statement source: (string) @import.module) @import
(lexical_declaration (variable_declarator
  value: (call_expression function: (identifier) @_require arguments: (arguments (string) @import.module)))
  (#eq? @_require "require")) @import
