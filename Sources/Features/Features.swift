// The Features module. See ARCHITECTURE.md for what it owns.
