"""Unit tests: the domain layer, no database and no terminal."""
