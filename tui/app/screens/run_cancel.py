"""Cancelling workflow runs: confirm exactly what will be written, to which runs, by whom.

The dialog shows the plan the store read before it (`Store.plan_cancel_runs`): each run
and its status now, the service's own write, that the write is cooperative (a live
executor honours it between layers; the tool stops no process), and the actor the audit
rows will name. Cancel is focused: nothing is written unless the confirm button is pressed.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Log, Static

from tui.app.render import literal, palette
from tui.app.screens.end_session import BUTTONS_HEIGHT, room_left
from tui.domain.run_cancel import (
    COOPERATIVE_NOTE,
    RunCancelled,
    RunCancelPlan,
    RunFinished,
    RunOutcome,
)
from tui.domain.runs import RunRow
from tui.domain.text import safe_text
from tui.domain.timefmt import iso_z


def runs_word(n: int) -> str:
    return f"{n} workflow run" + ("" if n == 1 else "s")


def target_line(step: RunOutcome, row: RunRow | None) -> str:
    """One run of the plan: its id, its status now and what the cancel does to it, and
    its workflow where the list has read it."""
    line = safe_text(step.id)
    if isinstance(step, RunCancelled):
        line += f"  {safe_text(step.was or '?')} → cancelled"
    elif isinstance(step, RunFinished):
        status = safe_text(step.status) if step.status is not None else "no status"
        when = iso_z(step.completed_at) or "unknown time"
        line += f"  {status} at {when}: finished, left unchanged"
    else:
        line += "  not found: no such workflow run"
    if row is not None and row.workflow_name:
        line += f"  {safe_text(row.workflow_name)}"
    return line


class ConfirmCancelRunsScreen(ModalScreen[bool]):
    """The exact write, every run of the plan listed with its status, Back focused."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="run-cancel-back"),
        Binding("q", "back", "Back", show=False, id="run-cancel-back-q"),
    ]

    def __init__(
        self,
        plan: RunCancelPlan,
        rows: Mapping[str, RunRow],
        *,
        audit_note: str | None = None,
        batch_size: int | None = None,
    ) -> None:
        """`rows`: the runs as the screen shows them (for their workflow), by id."""
        super().__init__()
        self.plan = plan
        self.rows = rows
        self.audit_note = audit_note
        """Why no audit row will be kept, when none will (`run_cancel.no_run_audit_line`)."""
        self.batch_size = batch_size
        """Runs per transaction (`Store.cancel_runs`); None: all in one."""

    def compose(self) -> ComposeResult:
        n = self.plan.to_cancel
        with Vertical(id="dialog", classes="dialog confirm"):
            yield Label(f"Cancel {runs_word(n)}?", classes="dialog-title")
            with VerticalScroll(id="confirm-body"):
                yield Static(self._writes(), id="writes")
                yield Log(id="targets", highlight=False, auto_scroll=False)
            with Horizontal(classes="buttons"):
                yield Button("Back", id="back", variant="primary")
                yield Button(f"Cancel {runs_word(n)}", id="confirm", variant="error")

    def _writes(self) -> Text:
        if self.batch_size is not None and self.plan.to_cancel > self.batch_size:
            how = f"in transactions of {self.batch_size} runs each"
        else:
            how = "in one transaction"
        text = Text(f"For each run not completed or cancelled when written, {how}:\n")
        text.append("  status       = ")
        text.append("cancelled", style="bold yellow")
        text.append("   (the service's own cancelWorkflowRun)\n", style="dim")
        text.append("  completed_at = the database clock, now, as the service writes it\n")
        text.append("  audit row    target=run, actor=")
        text.append_text(literal(self.plan.actor, "bold"))
        text.append("\n")
        text.append(COOPERATIVE_NOTE)
        text.append("\nA run the service finishes first is left exactly as it is.", style="dim")
        if self.audit_note is not None:
            text.append("\n")
            text.append(self.audit_note, style=palette().warning)
        return text

    def target_lines(self) -> list[str]:
        """Every run of the plan, one line each (`target_line`)."""
        return [target_line(step, self.rows.get(step.id)) for step in self.plan.steps]

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """The scrolling part gets what the dialog leaves once its frame, title and
        buttons are drawn: the buttons are always on screen."""
        title = self.query_one(".dialog-title", Label)
        self.query_one("#confirm-body").styles.max_height = room_left(self, [title], BUTTONS_HEIGHT)

    def on_mount(self) -> None:
        self._fit()
        targets = self.query_one("#targets", Log)
        targets.write_lines(self.target_lines())
        steps = len(self.plan.steps)
        targets.border_title = f"{steps:,} runs" if steps > 1 else None
        targets.scroll_home(animate=False)
        self.query_one("#back", Button).focus()

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)
