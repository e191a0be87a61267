"""One workflow run: every field, its metadata (bounded), its events and node sessions
where the version has those tables, and links to its parent run, its sub-runs and its
conversation's sessions."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.app import run_cancel_flow
from tui.app.render import literal
from tui.app.screens.detail import DetailScreen
from tui.app.screens.record import RecordLayout, RecordScreen, metadata_text
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


class RunDetailScreen(RecordScreen):
    """Read-only view of one run; its parent, sub-runs and sessions are links (back goes
    through the runs shown before, then to the list)."""

    HELP_TITLE = "Workflow run"
    LAYOUT = RecordLayout(
        title="run-title",
        body="run-body",
        scroll="run-fields-scroll",
        sections=("run-fields", "run-metadata", "run-events", "run-nodes"),
        links="run-links",
        links_title="links ({select} opens)",
    )
    LOAD_GROUP = "run-detail"
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
        super().__init__(run_id)
        self.detail: RunDetail | None = None
        self.loaded = False
        """The last read answered (the run, or that there is none)."""

    @property
    def run_id(self) -> str:
        """The run shown."""
        return self.shown_id

    DEFAULT_CSS: ClassVar[str] = """
    RunDetailScreen #run-title { height: 1; background: $panel; padding: 0 1; }
    RunDetailScreen #run-body { height: 1fr; }
    RunDetailScreen #run-fields-scroll { width: 3fr; padding: 0 1; }
    RunDetailScreen #run-fields-scroll Static { margin-bottom: 1; }
    RunDetailScreen #run-links { width: 2fr; border: round $primary 50%; }
    """

    def title_with(self, *parts: Text | tuple[str, str]) -> None:
        self.query_one("#run-title", Static).update(
            Text.assemble(("workflow run ", "bold"), literal(self.run_id, "bold"), *parts)
        )

    def action_reload(self) -> None:
        self.loaded = False
        super().action_reload()

    async def read(self, record_id: str) -> None:
        detail = await self.sessions_app.inflight.run(self.store.get_run(record_id))
        if record_id == self.run_id:
            self.show(detail)

    def show(self, d: RunDetail | None) -> None:
        self.detail, self.loaded = d, True
        if d is None:
            self.title_with((" — no such run", "bold red"))
            self.query_one("#run-links", OptionList).clear_options()
            return
        now = self.settings.clock()
        view = run_detail_view(d, now)
        self.title_with(("  ", ""), literal(run_status_cell(d.row), "bold"))
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
        meta = metadata_text(
            METADATA_TITLE,
            d.metadata,
            view.metadata_note,
            f"sessions-tui runs show {safe_text(d.row.id)} --format json",
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

    def action_parent(self) -> None:
        parent = self.detail.row.parent_run_id if self.detail else None
        self.open_parent(parent, "This run has no parent run")

    def action_cancel_run(self) -> None:
        """The run shown, cancelled after its confirmation; then read again."""
        rows = {self.run_id: self.detail.row} if self.detail else {}
        run_cancel_flow.start(self, [self.run_id], rows, after=self.action_reload)

    def action_copy_id(self) -> None:
        self.app.copy_to_clipboard(self.run_id)
        self.notify(f"Copied {self.run_id}", title="Clipboard", markup=False)
