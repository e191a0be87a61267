"""screenshots/serve.png: the served dashboard in headless chromium, on the demo data.

python3 -m tests.web.screenshot

The demo is anchored at the real now (as a live service's would be), served read-only
as `serve` does by default, and shot once the database is open and the counts are in.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from tests.support.browser import chromium, find_chromium, serving, wait_for_screen
from tui.domain.timefmt import utcnow
from tui.store.demo import write_demo_db

OUT = Path(__file__).resolve().parents[2] / "screenshots" / "serve.png"


def main() -> int:
    why = find_chromium()
    if why is not None:
        print(f"cannot run: {why}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="archon-") as folder:
        path = Path(folder) / "archon.db"
        asyncio.run(write_demo_db(path, n_sessions=3000, anchor=utcnow()))
        with serving(["--db", str(path)]) as served, chromium() as driver:
            driver.get(served.url)
            wait_for_screen(
                driver,
                lambda s: "● live" in s.splitlines()[0] and "of 5 kinds" in s,
                "the dashboard with its counts",
            )
            OUT.parent.mkdir(exist_ok=True)
            driver.save_screenshot(str(OUT))
    print(OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
