"""Ending sessions: pick a deactivating trigger, then confirm exactly what will be written."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Log, OptionList, Static
from textual.widgets.option_list import Option

from tui.app.keys import builtin_key
from tui.app.render import literal, palette, trigger_line
from tui.app.screens.early_keys import hand_to_field
from tui.domain import wording
from tui.domain.audit import AT_PLACEHOLDER, audit_record
from tui.domain.models import SessionRow
from tui.domain.text import safe_text
from tui.domain.triggers import Trigger, Vocabulary
from tui.domain.wording import stuck_names

if TYPE_CHECKING:
    from tui.app.app import SessionsApp

DIALOG_SHARE = 0.9
"""The dialog's `max-height` (app.tcss `.dialog`: 90%)."""
DIALOG_WIDTH, DIALOG_WIDTH_SHARE = 90, 0.95
"""The dialog's `width` and `max-width` (app.tcss `.dialog`: 90, 95%)."""
PICKER_ROWS = 24
"""The reason list's height at most, on a tall screen."""
BUTTONS_HEIGHT = 3
"""A row of default Buttons (a label between two border lines)."""


INPUT_HEIGHT = 3
"""A default Input (a line between two border lines)."""


def room_left(screen: ModalScreen[Any], labels: list[Label], fixed: int) -> int:
    """Rows the scrolling part of a `.dialog` may take: the dialog's 90% of the screen
    less its frame, `labels` (wrapped to the dialog's width, with their margins) and
    `fixed` other rows; at least 1."""
    dialog = screen.query_one("#dialog")
    width, height = screen.app.size
    inner = min(DIALOG_WIDTH, int(width * DIALOG_WIDTH_SHARE)) - dialog.styles.gutter.width
    used = dialog.styles.gutter.height + fixed
    for label in labels:
        used += -(-len(str(label.render())) // max(inner, 1)) + label.styles.margin.height
    return max(int(height * DIALOG_SHARE) - used, 1)


def _plural(n: int) -> str:
    return f"{n} session" + ("" if n == 1 else "s")


def narrow(vocabulary: Vocabulary, text: str) -> list[Trigger]:
    """The deactivating triggers that match what was typed, best first: a name that
    starts with it, then a name that contains it, then a description that does. Enter
    takes the first, so typing part of a name picks that name, never a trigger whose
    description happens to mention the word ("worktree" is worktree-removed, not
    isolation-changed)."""
    needle = text.strip().lower()
    if not needle:
        return list(vocabulary.deactivating)
    ranked: list[tuple[int, int, Trigger]] = []
    for order, trigger in enumerate(vocabulary.deactivating):
        if trigger.wire.startswith(needle):
            rank = 0
        elif needle in trigger.wire:
            rank = 1
        elif needle in trigger.description.lower():
            rank = 2
        else:
            continue
        ranked.append((rank, order, trigger))
    return [trigger for _, _, trigger in sorted(ranked, key=lambda r: r[:2])]


class EndReasonScreen(ModalScreen[str | None]):
    """Only the vocabulary's deactivating triggers are offered: an operator may end a
    session with nothing else. Dismissed with the trigger's wire value, or None."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker-cancel"),
        Binding("down", "focus_list", "List", show=False, id="picker-down"),
    ]

    def __init__(
        self, count: int, vocabulary: Vocabulary, suggested: tuple[Trigger, str] | None = None
    ) -> None:
        """`suggested`: the trigger to highlight first, and why ("suggested for orphaned")."""
        super().__init__()
        self.count = count
        self.vocabulary = vocabulary
        self.suggested = suggested

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(f"End {_plural(self.count)}: why?", classes="dialog-title")
            if self.suggested is not None:
                trigger, why = self.suggested
                yield Label(
                    f"{trigger.wire} is preselected: {why}",
                    id="suggested",
                    classes="dialog-hint",
                    markup=False,
                )
            yield Input(placeholder="type to narrow the reasons", id="narrow")
            yield OptionList(*self._options(""), id="triggers")
            cancel = cast("SessionsApp", self.app).key_of("picker-cancel")
            choose = builtin_key(OptionList, "select")
            yield Label(f"{choose} choose · {cancel} cancel", classes="dialog-hint")

    def _options(self, text: str) -> list[Option]:
        return [Option(trigger_line(t), id=t.wire) for t in narrow(self.vocabulary, text)]

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """The list gets what the dialog leaves once its frame, labels and input are
        drawn (at most `PICKER_ROWS`): the highlighted reason and the hint stay on screen."""
        room = room_left(self, list(self.query(Label)), INPUT_HEIGHT)
        self.query_one(OptionList).styles.max_height = min(room, PICKER_ROWS)

    def on_mount(self) -> None:
        self._fit()
        options = self.query_one(OptionList)
        options.highlighted = 0
        if self.suggested is not None:
            wires = [t.wire for t in narrow(self.vocabulary, "")]
            if self.suggested[0].wire in wires:
                options.highlighted = wires.index(self.suggested[0].wire)
        self.query_one(Input).focus()

    def on_key(self, event: events.Key) -> None:
        hand_to_field(self, self.query_one(Input), event)

    @on(Input.Changed, "#narrow")
    def _narrow(self, event: Input.Changed) -> None:
        options = self.query_one(OptionList)
        options.set_options(self._options(event.value))
        if options.option_count:
            options.highlighted = 0

    @on(Input.Submitted, "#narrow")
    def _submit(self) -> None:
        options = self.query_one(OptionList)
        option = options.highlighted_option
        if option is not None and option.id:
            self.dismiss(option.id)
        else:
            self.notify("No reason matches what you typed", severity="warning")

    @on(OptionList.OptionSelected, "#triggers")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(event.option.id)

    def action_focus_list(self) -> None:
        self.query_one(OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmEndScreen(ModalScreen[bool]):
    """The second step: the exact writes, every session listed, Cancel focused.

    The audit record shown is built by the function the store writes it with."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="confirm-cancel"),
        Binding("q", "cancel", "Cancel", show=False, id="confirm-cancel-q"),
    ]

    def __init__(
        self,
        ids: list[str],
        rows: dict[str, SessionRow],
        trigger: Trigger,
        actor: str,
        *,
        audit_note: str | None = None,
        batch_size: int | None = None,
    ) -> None:
        super().__init__()
        self.ids = ids
        self.rows = rows
        self.trigger = trigger
        self.actor = actor
        self.audit_note = audit_note
        """Why no audit row will be kept, when none will (`wording.no_audit_note`)."""
        self.batch_size = batch_size
        """Sessions per transaction (`Store.end_sessions`); None: all in one."""

    def compose(self) -> ComposeResult:
        n = len(self.ids)
        with Vertical(id="dialog", classes="dialog confirm"):
            yield Label(
                f"End {_plural(n)} with reason {self.trigger.wire}?", classes="dialog-title"
            )
            # The writes and the sessions scroll; the buttons below them are always shown.
            with VerticalScroll(id="confirm-body"):
                yield Static(self._writes(), id="writes")
                # One line per session, drawn only where visible: 20,000 cost no more than 10.
                yield Log(id="targets", highlight=False, auto_scroll=False)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button(f"End {_plural(n)}", id="confirm", variant="error")

    def _writes(self) -> Text:
        # The record the store sends, spaced so that a narrow dialog wraps between keys.
        record = {**audit_record(self.actor, self.trigger.wire), "at": AT_PLACEHOLDER}
        audit = json.dumps(record, ensure_ascii=False)
        if self.batch_size is not None and len(self.ids) > self.batch_size:
            how = f"in transactions of {self.batch_size} sessions each"
        else:
            how = "in one transaction"
        text = Text(f"For each session that is still active, {how}:\n")
        text.append("  active       = false\n")
        text.append("  ended_reason = ")
        text.append(self.trigger.wire, style="bold yellow")
        text.append(f"   ({self.trigger.description})\n", style="dim")
        text.append("  ended_at     = the database clock, now, as the service writes it\n")
        text.append("  metadata     += endedBy ")
        text.append_text(literal(audit))
        text.append("\nA session someone else ended first is left exactly as it is.", style="dim")
        if self.audit_note is not None:
            text.append("\n")
            text.append(self.audit_note, style=palette().warning)
        return text

    def target_lines(self) -> list[str]:
        """Every session to be written, one line each: id, state, stuck kinds, title."""
        lines = []
        for sid in self.ids:
            row = self.rows.get(sid)
            line = safe_text(sid)
            if row is not None:
                if row.odd:
                    state = wording.odd_active(row.active_value or "")
                else:
                    state = "active" if row.active else "already ended"
                kinds = f"  {stuck_names(row.stuck)}" if row.stuck else ""
                title = safe_text(row.title or row.platform_conversation_id or "")
                line += f"  {state}{kinds}  {title}"
            lines.append(line)
        return lines

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """The scrolling part gets what the dialog's 90% of the screen leaves once its
        frame, title and buttons are drawn: the buttons are always on screen."""
        title = self.query_one(".dialog-title", Label)
        room = room_left(self, [title], BUTTONS_HEIGHT)
        self.query_one("#confirm-body").styles.max_height = room

    def on_mount(self) -> None:
        self._fit()
        targets = self.query_one("#targets", Log)
        targets.write_lines(self.target_lines())
        targets.border_title = f"{len(self.ids):,} sessions" if len(self.ids) > 1 else None
        targets.scroll_home(animate=False)
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)
