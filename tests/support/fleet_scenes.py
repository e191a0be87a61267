"""A database for the commands that read several deployments: sessions and runs the
service's own statements wrote (`run_writes`, `service_writes` cite them)."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.dbs import create_service_db
from tests.support.run_writes import ServiceRuns, writer
from tests.support.templates import ServiceTemplates


def seeded(request: pytest.FixtureRequest, url: str, era: str = "v0.8") -> ServiceRuns:
    """Four active sessions, one of them idle (quiet three days), two ended an hour ago
    (`reset-requested`, and one whose reason was not recorded), and one run paused at an
    approval gate, written the service's way. Written once per era and backend on a
    template (`service_templates`) and copied to `url` (not made yet: `db_url`); the
    times are the service's clock when it was written, none near a threshold that moves
    within a test session (idle at a day, the paused run's kind at any age)."""
    templates: ServiceTemplates = request.getfixturevalue("service_templates")
    server = None if url.startswith("sqlite") else request.getfixturevalue("pg_server")

    def write(at: str) -> None:
        asyncio.run(create_service_db(at, era=era))
        svc = writer(at, server, era)
        db = svc.db
        db.sessions(3, db.now_minus(60))
        quiet = db.session(db.now_minus(3 * 86400))
        db.run(
            f"UPDATE remote_agent_conversations SET last_activity_at = {db.now_minus(3 * 86400)}"
            f" WHERE id = (SELECT conversation_id FROM remote_agent_sessions WHERE id = '{quiet}')"
        )
        db.session(db.now_minus(7200), ended=db.now_minus(3600), reason="reset-requested")
        db.session(db.now_minus(7200), ended=db.now_minus(3600))
        if era != "016":
            waiting = svc.create("review", svc.conversation())
            svc.start(waiting)
            svc.pause(waiting)

    templates.copy_built(url, server, ("fleet-seeded", era), write)
    return writer(url, server, era)
