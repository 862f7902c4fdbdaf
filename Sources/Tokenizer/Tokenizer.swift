// The Tokenizer module. See ARCHITECTURE.md for what it owns.
