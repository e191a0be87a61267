"""One workflow run: every field, its metadata (bounded), its events and node sessions
where the version has those tables, and links to its parent run, its sub-runs and its
conversation's sessions."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from tui.app import run_cancel_flow
from tui.app.data import as_store_error
from tui.app.keys import builtin_key
from tui.app.render import literal
from tui.app.screens.base import SessionsScreen
from tui.app.screens.detail import METADATA_PREVIEW, DetailScreen
from tui.app.screens.walk import Walk
from tui.domain.run_detail_view import (
    CHILDREN_TITLE,
    EVENTS_TITLE,
    METADATA_TITLE,
    NO_EVENTS_TABLE,
    NO_NODE_SESSIONS_TABLE,
    NODES_TITLE,
    PARENT_TITLE,
    SESSIONS_TITLE,
    run_detail_view,
    run_line,
    session_line,
)
from tui.domain.runs import RunDetail
from tui.domain.text import safe_text
from tui.domain.wording import DASH, run_status_cell

RUN_LINK = "run:"
SESSION_LINK = "session:"


def _section(title: str, lines: list[str] | None, absent: str) -> Text:
    text = Text()
    text.append(title + "\n", style="bold underline")
    if lines is None:
        text.append(f"  ({absent})\n", style="dim")
    elif not lines:
        text.append(f"  {DASH}\n", style="dim")
    for line in lines or ():
        text.append_text(literal("  " + line))
        text.append("\n")
    return text


class RunDetailScreen(SessionsScreen):
    """Read-only view of one run; its parent, sub-runs and sessions are links. The
    screen owns its load (as the session detail does)."""

    HELP_TITLE = "Workflow run"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "back",
            "Back",
            id="run-detail-back",
            tooltip="The run shown before this one (after a link), else the list",
        ),
        Binding("q", "back", "Back", show=False, id="run-detail-back-q"),
        Binding("p", "parent", "Parent run", id="run-detail-parent", tooltip="Open the parent run"),
        Binding("r", "reload", "Reload", id="run-detail-reload", tooltip="Read the run again"),
        Binding(
            "x",
            "cancel_run",
            "Cancel run",
            show=False,
            id="run-detail-cancel",
            tooltip="Cancel the run shown with the service's own cancel, after a confirmation",
        ),
        Binding(
            "y",
            "copy_id",
            "Copy id",
            show=False,
            id="run-detail-copy-id",
            tooltip="Copy the run's whole id (OSC 52)",
        ),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.detail: RunDetail | None = None
        self.loaded = False
        """The last read answered (the run, or that there is none)."""
        self.walk = Walk()
        """The runs shown before this one on this screen (links): back goes through
        them, then to the list."""

    def compose(self) -> ComposeResult:
        yield Static(id="run-title")
        with Horizontal(id="run-body"):
            with VerticalScroll(id="run-fields-scroll"):
                yield Static(id="run-fields")
                yield Static(id="run-metadata")
                yield Static(id="run-events")
                yield Static(id="run-nodes")
            yield OptionList(id="run-links")
        yield Footer()

    DEFAULT_CSS: ClassVar[str] = """
    RunDetailScreen #run-title { height: 1; background: $panel; padding: 0 1; }
    RunDetailScreen #run-body { height: 1fr; }
    RunDetailScreen #run-fields-scroll { width: 3fr; padding: 0 1; }
    RunDetailScreen #run-fields-scroll Static { margin-bottom: 1; }
    RunDetailScreen #run-links { width: 2fr; border: round $primary 50%; }
    """

    def on_mount(self) -> None:
        links = self.query_one("#run-links", OptionList)
        links.border_title = f"links ({builtin_key(OptionList, 'select')} opens)"
        links.focus()
        self.action_reload()

    def _title(self, *parts: Text | tuple[str, str]) -> None:
        self.query_one("#run-title", Static).update(
            Text.assemble(("workflow run ", "bold"), literal(self.run_id, "bold"), *parts)
        )

    def action_reload(self) -> None:
        self.loaded = False
        self._title((" — loading…", "dim"))
        self.load(self.run_id)

    @work(exclusive=True, group="run-detail", exit_on_error=False)
    async def load(self, run_id: str) -> None:
        detail = await self.sessions_app.inflight.run(self.store.get_run(run_id))
        if run_id == self.run_id:
            self.show(detail)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR or event.worker.group != "run-detail":
            return
        error = as_store_error(event.worker.error, self.sessions_app.settings.target)
        said = safe_text(error)
        self.notify(said, severity="error", timeout=10, markup=False)
        self._title((" — could not load: ", "bold red"), literal(said))
        if error.retryable:
            self.sessions_app.disconnected()

    def show(self, d: RunDetail | None) -> None:
        self.detail, self.loaded = d, True
        if d is None:
            self._title((" — no such run", "bold red"))
            self.query_one("#run-links", OptionList).clear_options()
            return
        now = self.settings.clock()
        view = run_detail_view(d, now)
        self._title(("  ", ""), literal(run_status_cell(d.row), "bold"))
        fields = Text()
        fields.append("Run\n", style="bold underline")
        width = max(len(name) for name, _ in view.fields)
        for name, value in view.fields:
            fields.append(f"  {name:<{width}}  ", style="bold dim")
            fields.append_text(literal(value, "dim" if value == DASH else ""))
            fields.append("\n")
        if view.missing_note is not None:
            fields.append(f"  ({view.missing_note})\n", style="dim")
        self.query_one("#run-fields", Static).update(fields)
        meta = Text()
        meta.append(METADATA_TITLE, style="bold underline")
        if view.metadata_note is not None:
            meta.append(f"  ({view.metadata_note})", style="bold yellow")
        meta.append("\n")
        shown, cut = d.metadata.preview(METADATA_PREVIEW)
        meta.append(safe_text(shown, keep_newlines=True))
        if cut:
            size = len(d.metadata.raw or "")
            meta.append(
                f"\n… {size:,} characters in all: the first {METADATA_PREVIEW:,} are shown; "
                f"`sessions-tui runs show {safe_text(d.row.id)} --format json` prints it whole",
                "bold yellow",
            )
        self.query_one("#run-metadata", Static).update(meta)
        self.query_one("#run-events", Static).update(
            _section(EVENTS_TITLE, view.events, NO_EVENTS_TABLE)
        )
        self.query_one("#run-nodes", Static).update(
            _section(NODES_TITLE, view.node_sessions, NO_NODE_SESSIONS_TABLE)
        )
        self._links(d)

    def _links(self, d: RunDetail) -> None:
        now = self.settings.clock()
        items: list[Option] = [Option(Text(PARENT_TITLE, style="bold"), disabled=True)]
        if d.parent is not None:
            items.append(Option(literal("↑ " + run_line(d.parent, now)), id=RUN_LINK + d.parent.id))
        else:
            items.append(Option(Text(f"  {DASH}", style="dim"), disabled=True))
        items.append(Option(Text(CHILDREN_TITLE, style="bold"), disabled=True))
        items += [Option(literal("↳ " + run_line(c, now)), id=RUN_LINK + c.id) for c in d.children]
        if not d.children:
            items.append(Option(Text(f"  {DASH}", style="dim"), disabled=True))
        items.append(Option(Text(SESSIONS_TITLE, style="bold"), disabled=True))
        items += [
            Option(literal("• " + session_line(h, now)), id=SESSION_LINK + h.id) for h in d.sessions
        ]
        if not d.sessions:
            items.append(Option(Text(f"  {DASH}", style="dim"), disabled=True))
        links = self.query_one("#run-links", OptionList)
        links.set_options(items)
        first = next((i for i, o in enumerate(items) if not o.disabled), None)
        if first is not None:
            links.highlighted = first

    @on(OptionList.OptionSelected, "#run-links")
    def _follow(self, event: OptionList.OptionSelected) -> None:
        target = event.option.id or ""
        if target.startswith(RUN_LINK):
            self.open(target.removeprefix(RUN_LINK))
        elif target.startswith(SESSION_LINK):
            main = self.sessions_app.main_screen
            sid = target.removeprefix(SESSION_LINK)
            self.app.push_screen(DetailScreen(sid, end=main.end_flow.start))

    def open(self, run_id: str) -> None:
        """Show another run here (a link); back comes back to this one."""
        self.run_id = self.walk.forward(self.run_id, run_id)
        self.action_reload()

    def action_back(self) -> None:
        before = self.walk.back()
        if before is None:
            self.app.pop_screen()
        else:
            self.run_id = before
            self.action_reload()

    def action_parent(self) -> None:
        parent = self.detail.row.parent_run_id if self.detail else None
        if parent:
            self.open(parent)
        else:
            self.notify("This run has no parent run", severity="information")

    def action_cancel_run(self) -> None:
        """The run shown, cancelled after its confirmation; then read again."""
        rows = {self.run_id: self.detail.row} if self.detail else {}
        run_cancel_flow.start(self, [self.run_id], rows, after=self.action_reload)

    def action_copy_id(self) -> None:
        self.app.copy_to_clipboard(self.run_id)
        self.notify(f"Copied {self.run_id}", title="Clipboard", markup=False)
