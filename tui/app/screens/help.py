"""Every key, generated from the bindings themselves so the help cannot drift."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.app.render import UNRECOGNISED_MARK, behaviour_style, palette
from tui.domain import wording
from tui.domain.stuck import StuckKind
from tui.domain.triggers import Behaviour

if TYPE_CHECKING:
    from tui.app.app import SessionsApp


def _keys(title: str, bindings: list[Binding]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, box=None, expand=True)
    table.add_column("key", style="bold", width=12)
    table.add_column("does")
    keys: dict[tuple[str, str], list[str]] = {}  # one line per action, its keys together
    tips: dict[tuple[str, str], str] = {}
    for b in bindings:
        if b.description:
            keys.setdefault((b.action, b.description), []).append(b.key_display or b.key)
            if b.tooltip:
                tips.setdefault((b.action, b.description), b.tooltip)
    for (action, description), shown in keys.items():
        does = Text(description)
        tip = tips.get((action, description))
        if tip:
            does.append(f"  {tip}", style="dim")
        table.add_row(", ".join(shown), does)
    return table


def legend() -> Text:
    text = Text()
    text.append("ended_reason colours\n", style="bold underline")
    for behaviour in (Behaviour.DEACTIVATES, Behaviour.CREATES, Behaviour.NONE):
        text.append(f"  {behaviour.value:<12}", style=behaviour_style(behaviour))
        text.append(
            {
                Behaviour.DEACTIVATES: "the trigger ended the session",
                Behaviour.CREATES: "the session ended and the next one started at once",
                Behaviour.NONE: "no session to end (first message)",
            }[behaviour]
            + "\n",
            style="dim",
        )
    text.append(f"  {UNRECOGNISED_MARK}value     ", style=palette().unrecognised)
    text.append("unrecognised: a newer service's value, shown as stored\n", style="dim")
    text.append(f"  {wording.NOT_RECORDED}", style="dim italic")
    text.append("  ended before the service stored reasons (migration 016)\n", style="dim")
    text.append(f"  {wording.DASH:<12}", style="dim")
    text.append(f"  {wording.STILL_ACTIVE}\n", style="dim")
    text.append(f"  ● {wording.STUCK:<10}", style="bold red")
    text.append("  active, but stuck: the stuck column says how\n", style="dim")
    text.append("stuck kinds\n", style="bold underline")
    for kind in StuckKind:
        text.append(f"  {kind.wire:<14}", style="bold red")
        text.append(f"{wording.stuck_explanation(kind)}\n", style="dim")
    text.append("conversation marks\n", style="bold underline")
    text.append(f"  {wording.DELETED_MARK:<12}", style="bold")
    text.append(
        "  the service deleted the conversation (its session may still be active)\n", style="dim"
    )
    text.append(f"  {wording.HIDDEN_MARK:<12}", style="bold")
    text.append("  the service hides the conversation\n", style="dim")
    return text


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="help-close"),
        Binding("question_mark", "dismiss", "Close", show=False, id="help-close-2"),
        Binding("q", "dismiss", "Close", show=False, id="help-close-q"),
    ]

    def __init__(self, sections: list[tuple[str, list[Binding]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog", classes="dialog help"):
            yield Static(Text("sessions-tui — keys", style="bold"))
            for title, bindings in self.sections:
                yield Static(_keys(title, bindings))
            yield Static(legend())
            closes = cast("SessionsApp", self.app).key_of("help-close")
            palette = self.app.COMMAND_PALETTE_BINDING
            said = f"{palette} opens the command palette (themes too) · {closes} closes"
            yield Static(Text(said, "dim"))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
