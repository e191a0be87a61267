"""sessions-tui: an operator's dashboard over an Archon-style service's session table."""

__version__ = "0.1.0"
TOOL_NAME = "sessions-tui"
