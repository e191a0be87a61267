"""Domain layer: triggers and plain data models. No SQL, no Textual."""
