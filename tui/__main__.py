"""`python -m tui`: the same as the `sessions-tui` command."""

from tui.cli.main import main

if __name__ == "__main__":
    main()
