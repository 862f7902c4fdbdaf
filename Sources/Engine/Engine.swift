// The Engine module. See ARCHITECTURE.md for what it owns.
