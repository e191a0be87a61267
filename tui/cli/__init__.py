"""The command-line interface: `sessions-tui` (see `tui.cli.main`)."""
