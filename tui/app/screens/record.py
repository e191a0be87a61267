"""What the detail screens share (a session's, a workflow run's): one record shown by its
id, read by a load the screen owns, said in the title when it fails; the records walked
to through its links, back going through them; the metadata section, bounded."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from msgspec import Struct
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import OptionList, Static
from textual.worker import Worker, WorkerState

from tui.app.data import as_store_error
from tui.app.keys import builtin_key
from tui.app.render import literal
from tui.app.screens.base import SessionsScreen
from tui.app.screens.walk import Walk
from tui.app.widgets.key_footer import KeyFooter
from tui.domain.text import safe_text

if TYPE_CHECKING:
    from tui.domain.session_detail import Metadata

METADATA_PREVIEW = 20_000
"""Characters of metadata the screen shows: laying out megabytes of text would hold up
the keyboard; the rest is one command away."""


def metadata_text(title: str, metadata: Metadata, note: str | None, whole: str) -> Text:
    """The metadata section: its first `METADATA_PREVIEW` characters, and when cut, the
    command (`whole`) that prints it whole."""
    meta = Text()
    meta.append(title, style="bold underline")
    if note is not None:
        meta.append(f"  ({note})", style="bold yellow")
    meta.append("\n")
    shown, cut = metadata.preview(METADATA_PREVIEW)
    meta.append(safe_text(shown, keep_newlines=True))
    if cut:
        size = len(metadata.raw or "")
        meta.append(
            f"\n… {size:,} characters in all: the first {METADATA_PREVIEW:,} are shown; "
            f"`{whole}` prints it whole",
            "bold yellow",
        )
    return meta


class RecordLayout(Struct, frozen=True):
    """The ids of a record screen's parts: its title line; its body, the record's
    sections (`fields`, in a scroll) beside the list of its links; and that list's
    border title (`{select}`: the key that opens a link)."""

    title: str
    body: str
    scroll: str
    sections: tuple[str, ...]
    links: str
    links_title: str


class RecordScreen(SessionsScreen):
    """One record, by its id (`shown_id`). The screen owns its load: popping it cancels
    the worker (its store call still runs to its end in the link's in-flight set, and
    the answer goes nowhere), and a failed load is said in the title, in place of
    "loading…"."""

    LAYOUT: ClassVar[RecordLayout]
    LOAD_GROUP: ClassVar[str]
    """The worker group of the screen's load."""
    RELOAD_HINT: ClassVar[str | None] = None
    """The reload binding a failed load's title names, if any."""

    def __init__(self, shown_id: str) -> None:
        super().__init__()
        self.shown_id = shown_id
        self.walk = Walk()
        """The records shown before this one on this screen (links): back goes through
        them, then to the list."""

    def compose(self) -> ComposeResult:
        layout = self.LAYOUT
        yield Static(id=layout.title)
        with Horizontal(id=layout.body):
            with VerticalScroll(id=layout.scroll):
                for section in layout.sections:
                    yield Static(id=section)
            yield OptionList(id=layout.links)
        yield KeyFooter()

    def on_mount(self) -> None:
        links = self.query_one(f"#{self.LAYOUT.links}", OptionList)
        links.border_title = self.LAYOUT.links_title.format(
            select=builtin_key(OptionList, "select")
        )
        links.focus()  # the one thing here that moves: no Tab needed to reach it
        self.action_reload()

    def title_with(self, *parts: Text | tuple[str, str]) -> None:
        """The title line: which record, then `parts`."""
        raise NotImplementedError

    async def read(self, record_id: str) -> None:
        """The load: reads `record_id` and shows it (or posts it to be shown)."""
        raise NotImplementedError

    def action_reload(self) -> None:
        self.title_with((" — loading…", "dim"))
        self.run_worker(
            self.read(self.shown_id), group=self.LOAD_GROUP, exclusive=True, exit_on_error=False
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The load failed: say so in place of "loading…", which would otherwise stay."""
        if event.state is not WorkerState.ERROR or event.worker.group != self.LOAD_GROUP:
            return
        error = as_store_error(event.worker.error, self.settings.target)
        said = safe_text(error)  # driver messages can quote stored strings
        self.notify(said, severity="error", timeout=10)
        parts: list[Text | tuple[str, str]] = [(" — could not load: ", "bold red"), literal(said)]
        if self.RELOAD_HINT is not None:
            parts.append((f"  ({self.key(self.RELOAD_HINT)} retries)", "dim"))
        self.title_with(*parts)
        if error.retryable:
            self.sessions_app.disconnected()

    def open(self, record_id: str) -> None:
        """Show another record here (a link); back comes back to this one."""
        self.shown_id = self.walk.forward(self.shown_id, record_id)
        self.action_reload()

    def open_parent(self, parent: str | None, none: str) -> None:
        """The record's parent here; `none` says there is none."""
        if parent:
            self.open(parent)
        else:
            self.notify(none, severity="information")

    def action_back(self) -> None:
        before = self.walk.back()
        if before is None:
            self.app.pop_screen()
        else:
            self.shown_id = before
            self.action_reload()
