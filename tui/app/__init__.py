"""App layer: screens, widgets and styles. Imported only when the dashboard opens."""

from tui.app.app import SessionsApp, make_app, run

__all__ = ["SessionsApp", "make_app", "run"]
