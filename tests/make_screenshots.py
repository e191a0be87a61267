"""Regenerate screenshots/*.svg from the deterministic demo database.

python3 -m tests.make_screenshots
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support import overview_scenes, run_scenes, scenes

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


async def shoot_overview(live: Path, runs: Path) -> Path:
    """The overview over four deployments: two SQLite files read (one of them with
    workflow runs, read-only), a server that refuses, a file that is not there."""
    app = overview_scenes.overview_app(overview_scenes.screenshot_deployments(live, runs))
    async with app.run_test(size=(250, 12), notifications=True) as pilot:
        await overview_scenes.every_row_answered(pilot)
        path = OUT / "overview.svg"
        path.write_text(app.export_screenshot(title="sessions-tui — overview"))
        return path


async def main(live: Path, runs: Path) -> None:
    OUT.mkdir(exist_ok=True)
    for name, scene in {**scenes.SCENES, **run_scenes.RUN_SCENES}.items():
        print(await shoot(name, scene))
    print(await shoot_overview(live, runs))


if __name__ == "__main__":
    scenes.demo_db()
    live = scenes.live_demo_db()
    runs = run_scenes.runs_db()
    asyncio.run(main(live, runs))
