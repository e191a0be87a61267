"""One session: every field, its conversation and codebase, metadata, and its chain."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.message_pump import MessagePump
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.app.data import read_detail
from tui.app.messages import DetailLoaded, SessionsEnded
from tui.app.render import literal, reason_text
from tui.app.screens.record import RecordLayout, RecordScreen, metadata_text
from tui.domain import wording
from tui.domain.detail_view import detail_view
from tui.domain.models import ChainHop, SessionChain, SessionDetail, SessionRow
from tui.domain.text import safe_text
from tui.domain.timefmt import human_duration, iso, relative
from tui.domain.wording import (
    RUNS_TITLE,
    run_line,
)

EndSessions = Callable[[list[str], MessagePump], object]
"""Starts the end flow for these ids, replying to this screen (the main screen's `end`)."""


def _section(title: str, fields: list[tuple[str, Any]]) -> Text:
    text = Text()
    text.append(title + "\n", style="bold underline")
    width = max((len(safe_text(k)) for k, _ in fields), default=0)
    for key, value in fields:
        text.append(f"  {safe_text(key):<{width}}  ", style="bold dim")
        if isinstance(value, Text):
            text.append_text(value)
        else:
            text.append_text(literal("—" if value is None or value == "" else value))
        text.append("\n")
    return text


def _when(value: datetime | None, now: datetime) -> Text:
    if value is None:
        return Text("—", style="dim")
    return Text(f"{iso(value)} UTC  ({relative(value, now)})")


def _title_status(row: SessionRow) -> tuple[str, str]:
    if row.active_value is not None:
        return "  " + wording.ODD, "magenta"
    return ("  ● active", "green") if row.active else ("  ended", "dim")


def _hop_prompt(hop: ChainHop, marker: str, style: str = "") -> Text:
    """Two lines per hop: which session, then why it began and why it ended."""
    text = Text()
    text.append(marker, style="bold")
    text.append_text(literal(hop.id[:12], style or "bold"))
    text.append(f"  {_started(hop)}", style="dim")
    if hop.active:
        text.append("  ● active", style="green")
    elif hop.active_value is not None:
        text.append("  " + wording.odd_active(hop.active_value), style="magenta")
    text.append("\n    created by ", style="dim")
    text.append_text(literal(hop.transition_reason or "—"))
    text.append(" · ended by ", style="dim")
    text.append_text(reason_text(hop.reason))
    return text


def _started(hop: ChainHop) -> str:
    return iso(hop.started_at) or "—"


NO_CHAIN = SessionChain(hops=[], children=[])
"""A detail read without its chain (the session went meanwhile): no hops to show."""


class DetailScreen(RecordScreen):
    """Read-only view of one session; the chain's hops are links to their own detail
    (Esc goes back through the sessions shown before, then to the list)."""

    HELP_TITLE = "Detail"
    LAYOUT = RecordLayout(
        title="detail-title",
        body="detail-body",
        scroll="detail-fields",
        sections=("fields", "conversation", "runs", "codebase", "metadata"),
        links="chain",
        links_title="chain (↑↓, {select} opens)",
    )
    LOAD_GROUP = "detail"
    RELOAD_HINT = "detail-reload"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "back",
            "Back",
            id="detail-back",
            tooltip="The session shown before this one (after Parent or a hop), else the list",
        ),
        # q goes back here, as on every pushed screen; only the list's q quits.
        Binding("q", "back", "Back", show=False, id="detail-back-q"),
        Binding("p", "parent", "Parent", id="detail-parent", tooltip="Open the parent session"),
        Binding("x", "end", "End session", id="detail-end", tooltip="End the session shown"),
        Binding("r", "reload", "Reload", id="detail-reload", tooltip="Read the session again"),
        Binding(
            "W",
            "conversation_runs",
            "Workflow runs",
            key_display="W",
            show=False,
            id="runs",
            tooltip="The workflow runs of this session's conversation, in the runs list",
        ),
    ]

    def __init__(self, session_id: str, *, end: EndSessions) -> None:
        super().__init__(session_id)
        self.detail: SessionDetail | None = None
        self.chain: SessionChain | None = None
        self._end = end

    @property
    def session_id(self) -> str:
        """The session shown."""
        return self.shown_id

    def title_with(self, *parts: Text | tuple[str, str]) -> None:
        self.query_one("#detail-title", Static).update(
            Text.assemble(("session ", "bold"), literal(self.session_id), *parts)
        )

    async def read(self, record_id: str) -> None:
        self.post_message(await read_detail(self.sessions_app.inflight, self.store, record_id))

    @on(DetailLoaded)
    def _loaded(self, message: DetailLoaded) -> None:
        if message.session_id != self.session_id:
            return
        self.detail, self.chain = message.detail, message.chain
        now = self.sessions_app.settings.clock()
        title = self.query_one("#detail-title", Static)
        if message.detail is None:
            title.update(Text.assemble(("no session ", "bold red"), literal(self.session_id)))
            return
        d = message.detail
        view = detail_view(
            d, message.chain or NO_CHAIN, now, self.sessions_app.settings.stale_after
        )
        r = view.row
        title.update(
            Text.assemble(
                ("session ", "bold"),
                literal(r.id, "bold"),
                _title_status(r),
            )
        )
        fields: list[tuple[str, Any]] = [
            ("id", r.id),
            (
                "active",
                wording.odd_explained(r.active_value)
                if r.active_value is not None
                else ("true" if r.active else "false"),
            ),
            ("stuck", view.stuck_text),
            ("ended_reason", reason_text(r.reason, era=True)),
            ("transition_reason", r.transition_reason),
            ("started_at", view.started_stored or _when(r.started_at, now)),
            ("ended_at", _when(r.ended_at, now)),
            ("duration", human_duration(r.duration(now))),
            ("assistant", r.ai_assistant_type),
            ("assistant_session_id", d.assistant_session_id),
            ("conversation_id", r.conversation_id),
            ("owner", r.owner),
            ("codebase_id", r.codebase_id),
            ("parent_session_id", r.parent_session_id),
            *sorted(d.extra.items()),
        ]
        section = _section("Session", fields)
        if view.overwritten is not None:
            section.append("⚠ ", style="bold yellow")
            section.append(view.overwritten, style="yellow")
        self.query_one("#fields", Static).update(section)
        self.query_one("#conversation", Static).update(
            _section(
                view.conversation_title, sorted(d.conversation.items()) or [("—", "not found")]
            )
        )
        runs = self.query_one("#runs", Static)
        runs.display = d.workflow_runs is not None
        if d.workflow_runs is not None:
            text = Text()
            text.append(RUNS_TITLE, style="bold underline")
            text.append(f"  ({self.key('runs')} lists all the conversation's runs)\n", style="dim")
            for run in d.workflow_runs or ():
                text.append_text(literal("  " + run_line(run, now)))
                text.append("\n")
            if not d.workflow_runs:
                text.append("  —\n", style="dim")
            runs.update(text)
        self.query_one("#codebase", Static).update(
            _section(view.codebase_title, sorted(d.codebase.items()) or [("—", "none")])
        )
        meta = metadata_text(
            "Metadata",
            d.metadata,
            view.metadata_note,
            f"sessions-tui show {d.row.id} --format json",
        )
        self.query_one("#metadata", Static).update(meta)
        self._show_chain(message.chain)

    def _show_chain(self, chain: SessionChain | None) -> None:
        options = self.query_one("#chain", OptionList)
        items: list[Option] = []
        if chain is not None:
            if chain.truncated:
                items.append(
                    Option(Text("… chain truncated (too deep or cyclic)", "yellow"), disabled=True)
                )
            for hop in chain.hops:
                current = hop.id == self.session_id
                items.append(
                    Option(
                        _hop_prompt(hop, "▶ " if current else "↑ ", "reverse" if current else ""),
                        id=hop.id,
                    )
                )
            shown = {hop.id for hop in chain.hops}
            for child in chain.children:
                if child.id in shown:
                    # A parent link that loops back (a session its own parent, or two
                    # that are each other's): its line is already above.
                    note = Text("↺ ", style="bold yellow")
                    note.append_text(literal(child.id[:12], "yellow"))
                    note.append(" is also above: the parent links loop", style="yellow")
                    items.append(Option(note, disabled=True))
                    continue
                shown.add(child.id)
                items.append(Option(_hop_prompt(child, "↳ "), id=child.id))
        options.set_options(items)
        # The highlight starts on the session shown: Down is the next hop after it. A
        # deep chain is taller than the list: it scrolls there once laid out.
        for index, item in enumerate(items):
            if item.id == self.session_id:
                options.highlighted = index
                options.call_after_refresh(options.scroll_to_highlight)
                break

    @on(OptionList.OptionSelected, "#chain")
    def _jump(self, event: OptionList.OptionSelected) -> None:
        if event.option.id and event.option.id != self.session_id:
            self.open(event.option.id)

    def action_parent(self) -> None:
        parent = self.detail.row.parent_session_id if self.detail else None
        self.open_parent(parent, "This session has no parent")

    def action_end(self) -> None:
        """The session shown, whatever row is highlighted in the table underneath."""
        if self.detail is not None and not self.detail.row.active:
            self.notify("This session is already ended: nothing to end", severity="warning")
            return
        self._end([self.session_id], self)

    def action_conversation_runs(self) -> None:
        """The runs list, filtered on the conversation of the session shown."""
        # Imported here: the runs screens link back to this one (a run's sessions).
        from tui.app.screens.runs import RunsScreen
        from tui.domain.runs import RunFilter

        conversation = self.detail.row.conversation_id if self.detail else None
        if conversation is None:
            self.notify("This session has no conversation", severity="information")
            return
        self.app.push_screen(RunsScreen(RunFilter(conversation_id=conversation)))

    @on(SessionsEnded)
    def _ended(self, message: SessionsEnded) -> None:
        """An end started here has been written: show the session as it is now."""
        if any(outcome.id == self.session_id for outcome in message.outcomes):
            self.action_reload()
