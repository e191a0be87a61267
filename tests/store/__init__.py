"""Store tests: SQL, migrations and the warm page, on real SQLite files and PostgreSQL."""
