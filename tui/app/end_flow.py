"""Ending sessions from the dashboard, top to bottom: the checks, the reason picker, the
confirmation, the write, and what the list and the toasts say afterwards.

The flow runs in its screen's `end` worker (the dialogs are awaited there) and talks
to the list only through the screen's public parts: its state, its table, its toasts.
The write and the re-read are `data.write_end` (`operations.rows_by_id`: one read per
batch of ids); the result comes back as one SessionsEnded message.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from textual.message_pump import MessagePump
from textual.worker import Worker

from tui.app import data
from tui.app.messages import SessionsEnded
from tui.app.outcomes import describe_outcomes
from tui.domain import wording
from tui.domain.models import OddActive
from tui.domain.stuck import suggested
from tui.domain.text import safe_text
from tui.domain.wording import no_audit_note

if TYPE_CHECKING:
    from tui.app.screens.main import MainScreen


class EndFlow:
    """One list screen's ending: what it asks, writes and says."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.audit_note_said = False
        """Whether this dashboard session has said that an end kept no audit row."""

    def start(self, ids: list[str], reply_to: MessagePump | None = None) -> Worker[None]:
        """The flow (`run`) in the screen's `end` worker: not exclusive, a write in
        flight is never cancelled by the next one. `reply_to` (a detail screen) gets
        the result too."""
        return self.screen.run_worker(self.run(ids, reply_to), group="end", exit_on_error=False)

    def end_sessions(self, ids: list[str], reason: str, actor: str | None) -> Worker[None]:
        """The flow's write alone, without the dialogs (scripts, the benchmark)."""
        write = self.write(ids, reason, actor, None)
        return self.screen.run_worker(write, group="end", exit_on_error=False)

    async def run(self, ids: list[str], reply_to: MessagePump | None = None) -> None:
        """The checks, the reason picker, the confirmation, the write, one SessionsEnded.
        Cancel at either dialog writes nothing. `reply_to` (a detail screen) gets the
        result too, to re-read itself."""
        screen = self.screen
        app, state = screen.sessions_app, screen.controller.state
        store = app.store
        if not ids:
            return
        if store is None or not app.check_file():
            screen.notify("Nothing was ended: no database is open (the header says why)")
            return
        if store.can_end:
            screen.notify(f"Ending is disabled: {store.can_end}", severity="error")
            return
        odd = [row for i in ids if (row := state.rows.get(i)) is not None and row.odd]
        for row in odd:  # never ended by this tool: the toast says why
            refusal = wording.outcome_line(OddActive(row.id, row.active_value or ""), short=True)
            screen.notify(refusal, severity="warning")
        ids = [i for i in ids if all(i != row.id for row in odd)]
        if not ids:
            return
        known = [state.rows.get(i) for i in ids]
        if all(row is not None and not row.active for row in known):
            what = "This session is" if len(ids) == 1 else "These sessions are"
            screen.notify(f"{what} already ended: nothing to end", severity="warning")
            return
        vocabulary = store.vocabulary
        kind = state.stuck
        hint = suggested(kind, vocabulary) if kind is not None else None
        why = f"suggested for {kind.wire} sessions" if kind is not None else ""
        from tui.app.screens.end_session import ConfirmEndScreen, EndReasonScreen
        from tui.domain.audit import default_actor

        picker = EndReasonScreen(len(ids), vocabulary, (hint, why) if hint else None)
        reason = await screen.app.push_screen_wait(picker)
        if reason is None:
            return
        trigger = vocabulary.require_deactivating(reason)
        actor = screen.settings.actor or default_actor()
        rows = {i: row for i in ids if (row := state.row(i)) is not None}
        from tui.store.store import END_BATCH  # loaded by now: the store is open

        note = (
            None
            if store.audit_kept
            else no_audit_note(
                store.schema.audit_table, ahead=True, shape=store.schema.audit_problem
            )
        )
        confirm = ConfirmEndScreen(ids, rows, trigger, actor, audit_note=note, batch_size=END_BATCH)
        if not await screen.app.push_screen_wait(confirm):
            return
        kinds = {i: tuple(k.wire for k in row.stuck) for i, row in rows.items() if row.stuck}
        await self.write(ids, trigger.wire, actor, reply_to, kinds)

    async def write(
        self,
        ids: list[str],
        reason: str,
        actor: str | None,
        reply_to: MessagePump | None,
        kinds: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """The write, then one SessionsEnded; `kinds` (session id to its stuck kinds)
        go into the audit rows. Nothing is written when the file at the path is no
        longer the one open: the end goes to the file at the path, or nowhere."""
        screen = self.screen
        if not screen.sessions_app.check_file():
            screen.notify(
                "Nothing was ended: the database file changed under the dashboard "
                "(replaced, deleted or made unreadable: the header says which); "
                "check the rows reloaded from the path and end again",
                severity="error",
                timeout=15,
            )
            return
        run = screen.sessions_app.inflight
        ended = await data.write_end(run, screen.store, ids, reason, actor, kinds)
        screen.post_message(ended)
        if reply_to is not None and reply_to is not screen:
            reply_to.post_message(dataclasses.replace(ended))  # a message is posted once

    def ended(self, message: SessionsEnded) -> None:
        """The rows as they are now, the selection without them, and the toasts: each
        outcome, an interrupted end, a missing audit table (once), a failed re-read."""
        screen = self.screen
        app, state, table = screen.sessions_app, screen.controller.state, screen.table
        now = screen.settings.clock()
        for sid, row in message.rows.items():
            state.selected.discard(sid)
            if sid in state.rows:
                state.rows[sid] = row
                table.update_row(
                    row, now=now, stale_after=screen.settings.stale_after, selected=False
                )
        for text, severity in describe_outcomes(message.outcomes):
            screen.notify(text, severity=severity, timeout=8)
        if message.interrupted is not None:
            screen.notify(safe_text(message.interrupted), severity="error", timeout=20)
            if message.interrupted.retryable:
                app.disconnected()
        if message.audit_note is not None and not self.audit_note_said:
            self.audit_note_said = True  # once per dashboard session
            screen.notify(message.audit_note, severity="warning", timeout=15)
        if message.reread_error is not None:
            screen.notify(
                f"The end was written, but the rows could not be read back: "
                f"{safe_text(message.reread_error)}. Press {screen.key('refresh')} to reload.",
                severity="warning",
                timeout=15,
            )
            if message.reread_error.retryable:
                app.disconnected()
