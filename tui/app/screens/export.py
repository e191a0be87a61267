"""Export the current view: every row the filter matches (not the loaded window), as
CSV or JSON, to a file the operator confirms.

What is exported is an `ExportSource`: the sessions list's (`SessionExport`) or another
list's. The rows are read in keyset pages in the list's order and written as they come
by the writer the CLI uses for the same rows (`tui.domain.export.SessionWriter` for
`list --format csv|json`), so the file is what the CLI prints for the same filter.
They go to a new hidden `.part` file next to the target, renamed over it only once
complete (`tui.files`: the part file never follows or reuses an entry planted there): a
cancelled or failed export leaves no file, and an existing file is replaced only when
the operator said so and only if it is a regular file (a FIFO or a device is refused,
Overwrite ticked or not).

Served (`sessions-tui serve`), the server's folders are no use to the operator: the form
asks for a file name only, the file is written in a private temporary folder and, once
complete, handed to the browser as a download (`App.deliver_binary`); nothing stays on
the server.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from msgspec import Struct
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, RadioButton, RadioSet
from textual.worker import Worker, WorkerState

from tui.app.data import as_store_error, run_pages
from tui.app.screens.base import connection_of
from tui.app.screens.early_keys import hand_to_field
from tui.domain.columns import Context
from tui.domain.export import DEFAULT_CSV, SessionWriter
from tui.domain.models import SessionFilter, SortKey
from tui.domain.text import safe_text
from tui.files import NotRegular, check_replaceable, create_new, open_part, replace_with

if TYPE_CHECKING:
    from tui.app.screens.base import Connection
    from tui.store.store import Store

EXPORT_PAGE = 500
"""Rows per keyset page while exporting: one short read each, never the whole view."""
DOWNLOAD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
"""A served export's file name: it goes unquoted into the download's header."""
MIME = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def default_name(fmt: str, now: datetime, noun: str = "session") -> str:
    return f"{noun.replace(' ', '-')}s-{now:%Y%m%d-%H%M%S}.{fmt}"


class PageWriter(Protocol):
    """Rows to CSV or JSON text, page by page (`SessionWriter`, `RunWriter`)."""

    written: int

    def start(self) -> str: ...
    def page(self, rows: Sequence[Any]) -> str: ...
    def finish(self, next_cursor: str | None) -> str: ...


class ExportSource(Protocol):
    """What an export writes: the rows of a view, in its order, and their writer."""

    @property
    def noun(self) -> str:
        """One row, in the form's and the toasts' words ("session", "workflow run")."""

    @property
    def now(self) -> datetime: ...

    def writer(self, fmt: str) -> PageWriter: ...
    def pages(self, app: Connection, store: Store, size: int) -> AsyncIterator[Sequence[Any]]: ...


class SessionExport(Struct, frozen=True):
    """The sessions list's view: its filter, sort and order."""

    flt: SessionFilter
    sort: SortKey
    ascending: bool
    ctx: Context
    noun: str = "session"

    @property
    def now(self) -> datetime:
        return self.ctx.now

    def writer(self, fmt: str) -> PageWriter:
        return SessionWriter(fmt, self.ctx, DEFAULT_CSV)

    async def pages(self, app: Connection, store: Store, size: int) -> AsyncIterator[Sequence[Any]]:
        walk = run_pages(
            app.inflight,
            store,
            self.flt,
            None,
            sort=self.sort,
            ascending=self.ascending,
            page_size=size,
        )
        async for page in walk:
            yield page.rows


class ExportScreen(ModalScreen[None]):
    """Format and path, then the export with its progress; Esc or Cancel stops it."""

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 80; max-width: 95%; height: auto;
        border: thick $primary; background: $surface; padding: 1 2;
    }
    ExportScreen RadioSet { layout: horizontal; height: auto; }
    ExportScreen #export-note { height: auto; color: $warning; }
    ExportScreen #export-buttons { height: auto; align-horizontal: right; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="export-cancel"),
    ]
    AUTO_FOCUS = "#export-path"
    """The path has the focus from the compose on: a character typed at once is its."""

    def __init__(
        self,
        source: ExportSource,
        *,
        expected: int | None,
        cwd: Path,
        served: bool = False,
    ) -> None:
        super().__init__()
        self.source = source
        self.expected = expected
        self.cwd = cwd
        self.served = served
        """In a browser: a file name only, delivered as a download."""
        self._scratch: Path | None = None
        self.fmt = "csv"
        self.written: Path | None = None
        self._part: Path | None = None

    def compose(self) -> ComposeResult:
        noun = self.source.noun
        count = f"every {noun}" if self.expected is None else f"{self.expected:,} {noun}s"
        with Vertical():
            yield Label(f"Export the current view: {count} (not only the rows loaded)")
            with RadioSet(id="export-format"):
                yield RadioButton("CSV", value=True, id="fmt-csv")
                yield RadioButton("JSON", id="fmt-json")
            name = default_name("csv", self.source.now, self.source.noun)
            if self.served:
                yield Label("File name (your browser downloads it):")
                yield Input(name, id="export-path")
            else:
                yield Input(str(self.cwd / name), id="export-path")
                yield Checkbox("Overwrite an existing file", id="export-overwrite")
            yield Label("", id="export-note", markup=False)
            yield ProgressBar(total=self.expected, id="export-progress", show_eta=False)
            with Horizontal(id="export-buttons"):
                yield Button("Export", variant="primary", id="export-go")
                yield Button("Cancel", id="export-stop")

    def on_key(self, event: events.Key) -> None:
        hand_to_field(self, self.query_one("#export-path", Input), event)

    # -- the form ----------------------------------------------------------------------

    @on(RadioSet.Changed, "#export-format")
    def _format(self, event: RadioSet.Changed) -> None:
        """The path's suffix follows the format, unless the operator typed another."""
        old, self.fmt = self.fmt, "json" if event.pressed.id == "fmt-json" else "csv"
        field = self.query_one("#export-path", Input)
        path = Path(field.value)
        if path.suffix == f".{old}":
            field.value = str(path.with_suffix(f".{self.fmt}"))

    def _note(self, text: str) -> None:
        self.query_one("#export-note", Label).update(text)

    def target(self) -> Path | None:
        """The confirmed path, or None with the reason shown."""
        raw = self.query_one("#export-path", Input).value.strip()
        if not raw:
            self._note("Type a file name")
            return None
        if self.served:
            if not DOWNLOAD_NAME.fullmatch(raw):
                self._note("A file name only (letters, digits, . _ -): the browser picks where")
                return None
            return Path(raw)
        path = Path(raw).expanduser()
        path = path if path.is_absolute() else self.cwd / path
        if path.is_dir():
            self._note(f"{safe_text(path)} is a folder: type a file name")
            return None
        if not path.parent.is_dir():
            self._note(f"No such folder: {safe_text(path.parent)}")
            return None
        try:
            check_replaceable(path)
        except NotRegular as refused:
            self._note(safe_text(str(refused)))
            return None
        if path.exists() and not self.query_one("#export-overwrite", Checkbox).value:
            self._note(f"{safe_text(path.name)} exists: tick Overwrite to replace it")
            return None
        return path

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-go")
    def _go(self) -> None:
        if self.running:
            return
        path = self.target()
        if path is not None:
            self._note(f"Exporting to {safe_text(path)} …")
            self.query_one("#export-go", Button).disabled = True
            self.export(path)

    @on(Button.Pressed, "#export-stop")
    def action_cancel(self) -> None:
        if self.running:
            for worker in self.workers:
                if worker.group == "export":
                    worker.cancel()
            self._drop_part()
            self.app.notify("Export cancelled: no file written", severity="warning")
        self.dismiss(None)

    @property
    def running(self) -> bool:
        return any(w.group == "export" and w.is_running for w in self.workers)

    # -- the export --------------------------------------------------------------------

    @work(exclusive=True, group="export", exit_on_error=False)
    async def export(self, path: Path) -> None:
        app = connection_of(self)
        store = app.store
        if store is None:
            raise RuntimeError("the database is not open")
        writer = self.source.writer(self.fmt)
        if self.served:
            self._scratch = Path(tempfile.mkdtemp(prefix="sessions-tui-export-"))
            part = self._part = self._scratch / path.name
            out = create_new(part)
        else:
            part, out = open_part(path)
            self._part = part
        bar = self.query_one("#export-progress", ProgressBar)
        with out:
            out.write(writer.start())
            async for rows in self.source.pages(app, store, EXPORT_PAGE):
                out.write(writer.page(rows))
                bar.advance(len(rows))
            out.write(writer.finish(None))
        noun = self.source.noun
        count = f"{writer.written:,} {noun}" + ("" if writer.written == 1 else "s")
        if self.served:
            self._deliver(part, path.name)
            self.app.notify(
                f"Exported {count}: your browser downloads {safe_text(path.name)}",
                title="Export",
                markup=False,
            )
            self.dismiss(None)
            return
        replace_with(part, path)
        self._part = None
        self.written = path
        self.app.notify(f"Exported {count} to {safe_text(path)}", title="Export", markup=False)
        self.dismiss(None)

    def _deliver(self, part: Path, name: str) -> None:
        """Hand the finished file to the browser. The open handle is what is streamed
        (Textual closes it), so the file and its folder are removed at once."""
        handle = part.open("rb")
        self._drop_part()
        self.app.deliver_binary(handle, save_filename=name, mime_type=MIME[self.fmt])

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "export" or event.state is not WorkerState.ERROR:
            return
        self._drop_part()
        app = connection_of(self)
        failed, target = event.worker.error, app.settings.target
        why = (
            target.scrub(str(failed))
            if isinstance(failed, OSError)
            else str(as_store_error(failed, target))
        )
        self._note(f"Nothing written: {safe_text(why)}")
        self.query_one("#export-go", Button).disabled = False

    def _drop_part(self) -> None:
        if self._part is not None:
            self._part.unlink(missing_ok=True)
            self._part = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
