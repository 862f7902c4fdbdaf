// The Syntax module. See ARCHITECTURE.md for what it owns.
