"""Regenerate screenshots/*.svg from the deterministic demo database.

python3 -m tests.make_screenshots
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support import run_scenes, scenes

OUT = Path(__file__).resolve().parent.parent / "screenshots"


async def shoot(name: str, scene: scenes.Scene) -> Path:
    if name in run_scenes.RUN_SCENES:
        app = run_scenes.runs_app()
    else:
        app = scenes.scene_app(live=name in scenes.LIVE_SCENES)
    async with app.run_test(size=scenes.SIZE, notifications=True) as pilot:
        await scene(pilot)
        await pilot.pause(0.2)
        path = OUT / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"sessions-tui — {name}"))
        return path


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, scene in {**scenes.SCENES, **run_scenes.RUN_SCENES}.items():
        print(await shoot(name, scene))


if __name__ == "__main__":
    scenes.demo_db()
    scenes.live_demo_db()
    run_scenes.runs_db()
    asyncio.run(main())
