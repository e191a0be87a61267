"""CLI tests: the click commands against real databases."""
