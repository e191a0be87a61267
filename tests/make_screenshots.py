"""Regenerate screenshots/*.svg from the deterministic demo database.

python3 -m tests.make_screenshots
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support import scenes

OUT = Path(__file__).resolve().parent.parent / "screenshots"


async def shoot(name: str, scene: scenes.Scene) -> Path:
    app = scenes.scene_app(live=name in scenes.LIVE_SCENES)
    async with app.run_test(size=scenes.SIZE, notifications=True) as pilot:
        await scene(pilot)
        await pilot.pause(0.2)
        path = OUT / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"sessions-tui — {name}"))
        return path


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, scene in scenes.SCENES.items():
        print(await shoot(name, scene))


if __name__ == "__main__":
    scenes.demo_db()
    scenes.live_demo_db()
    asyncio.run(main())
