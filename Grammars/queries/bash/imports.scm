(command name: (command_name) @_command argument: (word) @import.module
  (#any-of? @_command "source" ".")) @import
