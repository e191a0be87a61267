"""The demo database's default size and seed: one number for `--demo` and `demo-db`.

Its own module, free of SQLAlchemy, so the settings (read before the first frame) can
name the cached demo file without importing the generator.
"""

DEMO_SESSIONS = 2000
DEMO_SEED = 7
