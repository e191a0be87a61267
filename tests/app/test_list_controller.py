"""The list controller driven as a plain object: no app, no widget, no worker.

Each test asks what the operator's step reads (a `PageAsk`), hands it an answer as the
worker would (`PageLoaded`), and checks what the table, the header and the counts are
told. The clock and the waiting timer are the test's.
"""

from __future__ import annotations

from datetime import UTC, datetime

from msgspec.structs import replace

from tests.support.rows import make_row
from tui.app.list_controller import WAITING_AFTER, ListController, LoadMode, Pager, Window
from tui.app.messages import PageLoaded
from tui.domain.models import Cursor, ReasonFacets, SessionFilter, SessionRow, SortKey, Status
from tui.domain.search import SearchQuery

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KEYS = {"back": "esc", "clear": "C", "refresh": "r", "pause": "p", "search-older": "n"}


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def controller(
    *, page_size: int = 3, keys: dict[str, str] | None = None, timer: Clock | None = None
) -> ListController:
    keymap = keys or KEYS
    return ListController(
        page_size=page_size,
        search_window=1000,
        clock=lambda: NOW,
        key=lambda binding_id: keymap[binding_id],
        timer=timer or Clock(),
    )


def rows(*ids: str) -> list[SessionRow]:
    return [make_row(NOW, id=i) for i in ids]


def cursor(after: str) -> Cursor:
    return Cursor(key=NOW, id=after)


def page(
    generation: int,
    mode: LoadMode,
    ids: list[str],
    *,
    next_cursor: Cursor | None = None,
    prev_cursor: Cursor | None = None,
    resume: Cursor | None = None,
    searched: int = 0,
) -> PageLoaded:
    """A page as the read worker posts it."""
    return PageLoaded(
        generation,
        mode,
        rows(*ids),
        next_cursor,
        1.0,
        prev_cursor=prev_cursor,
        resume=resume,
        searched=searched,
    )


def facets(**known: int) -> ReasonFacets:
    groups = tuple((reason, False, n) for reason, n in known.items())
    return ReasonFacets(known=dict(known), not_recorded=0, unrecognised={}, active=0, groups=groups)


def test_a_new_question_drops_the_answers_to_the_old_one() -> None:
    c = controller()
    first = c.ask(ready=True)
    assert first is not None and first.mode is LoadMode.REPLACE and first.cursor is None
    c.state.status = Status.ENDED
    second = c.ask(ready=True)
    assert second is not None and second.generation == first.generation + 1
    assert second.flt.status is Status.ENDED

    assert c.take_page(page(first.generation, LoadMode.REPLACE, ["old"]), ready=True) is None
    assert c.state.order == [], "an answer to the old question never reaches the window"
    shown = c.take_page(page(second.generation, LoadMode.REPLACE, ["a", "b"]), ready=True)
    assert shown is not None and [r.id for r in shown.rows] == ["a", "b"]
    assert shown.new_window and c.state.order == ["a", "b"]


def test_no_store_yet_asks_nothing_but_still_moves_the_generation() -> None:
    c = controller()
    before = c.state.generation
    assert c.ask(ready=False) is None
    assert c.state.generation == before + 1
    assert c.asked_at is None, "nothing is on its way, so nothing waits"


def test_paging_below_asks_once_until_the_page_is_in() -> None:
    c = controller()
    ask = c.ask(ready=True)
    assert ask is not None
    c.take_page(
        page(ask.generation, LoadMode.REPLACE, ["a", "b", "c"], next_cursor=cursor("c")), ready=True
    )
    below = c.below()
    assert below is not None and below.mode is LoadMode.APPEND and below.cursor == cursor("c")
    assert c.below() is None, "a second near-end while the page is on its way asks nothing"
    shown = c.take_page(page(ask.generation, LoadMode.APPEND, ["c", "d"]), ready=True)
    assert shown is not None and shown.append and [r.id for r in shown.rows] == ["d"]
    assert c.state.order == ["a", "b", "c", "d"]
    assert c.below() is None, "the last page had no cursor: the list ends there"
    assert shown.subtitle == "4 loaded"


def test_the_bottom_is_read_from_the_other_end_and_pages_go_on_upwards() -> None:
    c = controller()
    ask = c.ask(ready=True)
    assert ask is not None
    c.take_page(
        page(ask.generation, LoadMode.REPLACE, ["a", "b"], next_cursor=cursor("b")), ready=True
    )
    jump = c.jump(to_end=True)
    assert jump.mode is LoadMode.BOTTOM and jump.from_end and jump.generation > ask.generation
    shown = c.take_page(
        page(jump.generation, LoadMode.BOTTOM, ["y", "z"], prev_cursor=cursor("y")), ready=True
    )
    assert shown is not None and shown.at_end and c.state.order == ["y", "z"]
    assert shown.subtitle == "2 loaded · more above"
    above = c.above()
    assert above is not None and above.mode is LoadMode.PREPEND and above.from_end
    assert above.cursor == cursor("y")
    shown = c.take_page(page(jump.generation, LoadMode.PREPEND, ["x"]), ready=True)
    assert shown is not None and shown.prepend and c.state.order == ["x", "y", "z"]


def test_a_refresh_rereads_the_whole_window_and_keeps_the_position() -> None:
    c = controller(page_size=2)
    ask = c.ask(ready=True)
    assert ask is not None
    c.take_page(
        page(ask.generation, LoadMode.REPLACE, ["a", "b"], next_cursor=cursor("b")), ready=True
    )
    c.below()
    c.take_page(page(ask.generation, LoadMode.APPEND, ["c", "d", "e"]), ready=True)
    again = c.refresh(recount=True)
    assert (
        again.mode is LoadMode.REFRESH and again.limit == 5 and again.generation == ask.generation
    )
    shown = c.take_page(page(ask.generation, LoadMode.REFRESH, ["a", "b", "c"]), ready=True)
    assert shown is not None and shown.keep_position and shown.new_window


def test_a_bounded_search_goes_on_window_by_window() -> None:
    c = controller(keys={**KEYS, "search-older": "N"})
    c.state.search = SearchQuery.parse("needle")
    ask = c.ask(ready=True)
    assert ask is not None and ask.window == 1000, "free text, newest first: one window at a time"
    shown = c.take_page(
        page(ask.generation, LoadMode.REPLACE, [], resume=cursor("w1"), searched=1000), ready=True
    )
    assert shown is not None
    assert shown.subtitle == "no match in the newest 1,000 sessions · N searches older ones"
    assert c.can_search_older
    older = c.older()
    assert older is not None and older.mode is LoadMode.OLDER and older.cursor == cursor("w1")
    assert c.older() is None, "one window at a time"
    shown = c.take_page(page(ask.generation, LoadMode.OLDER, ["hit"], searched=1000), ready=True)
    assert shown is not None and shown.append
    assert c.state.searched == 2000 and not c.can_search_older
    assert shown.subtitle == "1 loaded"

    c.state.sort = SortKey.ENDED
    assert c.window() is None, "another order reads the table, not windows"


def test_waiting_is_said_after_a_second_and_cleared_by_the_answer_or_the_cancel() -> None:
    clock = Clock()
    c = controller(timer=clock, keys={**KEYS, "back": "X"})
    ask = c.ask(ready=True)
    assert ask is not None
    clock.now += WAITING_AFTER / 2
    assert not c.tick() and c.waiting is None
    clock.now += WAITING_AFTER
    assert c.tick() and c.waiting is not None
    said, _style = c.live_line(connected=True, refresh_seconds=5)
    assert said == "⧗ query waiting 2s (X cancels)", "the live binding names the key"
    shown = c.take_page(page(ask.generation, LoadMode.REPLACE, ["a"]), ready=True)
    assert shown is not None and shown.live_changed and c.waiting is None

    c.state.sort = SortKey.ENDED
    c.ask(ready=True)
    c.below()
    clock.now += 2 * WAITING_AFTER
    assert c.tick()
    assert c.cancel(), "the header said it was waiting: it changes"
    assert c.waiting is None and c.asked_at is None and not c.state.loading_more
    assert c.stale_line(cancelled=True) == (
        "cancelled: these rows are from before the change · r asks again"
    )


def test_the_live_line_names_the_keys_as_bound() -> None:
    c = controller(keys={**KEYS, "pause": "P", "refresh": "F5"})
    assert c.live_line(connected=False, refresh_seconds=5)[0] == "✖ disconnected — retrying"
    assert c.live_line(connected=True, refresh_seconds=0)[0] == "auto-refresh off (F5 refreshes)"
    c.state.paused = True
    assert c.live_line(connected=True, refresh_seconds=5)[0] == "⏸ paused (P resumes, F5 refreshes)"


def test_an_empty_view_says_how_to_undo_with_the_bound_keys() -> None:
    c = controller(keys={**KEYS, "back": "Q", "clear": "Z"})
    c.state.status = Status.ACTIVE
    ask = c.ask(ready=True)
    assert ask is not None
    shown = c.take_page(page(ask.generation, LoadMode.REPLACE, []), ready=True)
    assert shown is not None
    assert shown.subtitle == "no sessions match · Q undoes a filter, Z clears all"


def test_counts_are_reused_for_a_reason_only_change_and_stale_ones_dropped() -> None:
    c = controller()
    gen = c.state.bump()
    ask = c.facets_ask(gen, fresh_data=False)
    assert ask.reuse is None and ask.totals, "nothing counted yet: read, with the totals"
    whole = facets(**{"reset-requested": 7, "conversation-closed": 3})
    counted = c.take_facets(gen, ask.flt.without_reasons(), whole, whole)
    assert counted is not None and c.header_counts(counted) is not None

    c.state.reasons = frozenset({"reset-requested"})
    gen = c.state.bump()
    reuse = c.facets_ask(gen, fresh_data=False)
    assert reuse.reuse == counted, "the reasons alone changed: the last counts still hold"
    counts = c.header_counts(counted)
    assert counts is not None and counts.filtered == 7

    c.state.status = Status.ENDED
    stale = c.state.generation
    c.state.bump()
    assert c.facets_ask(c.state.generation, fresh_data=False).reuse is None
    assert c.take_facets(stale, ask.flt, whole, None) is None, "an older question's counts"

    fresh = c.take_facets(c.state.generation, ask.flt, facets(**{"reset-requested": 1}), None)
    assert fresh is not None and fresh.totals == whole, "totals not read again are the last"


def test_counts_under_a_typed_question_follow_the_searchs_window() -> None:
    """Free text or `user:`: the counts are asked over the window the search covered
    (at least one), follow an older window, and `n` widens them alone where the list
    reads no window; a window that held every session leaves nothing to widen."""
    c = controller()
    gen = c.state.bump()
    assert c.facets_ask(gen, fresh_data=False).window is None, "no typed question: every session"

    c.state.search = SearchQuery.parse("needle")
    ask = c.ask(ready=True)
    assert ask is not None
    first = page(ask.generation, LoadMode.REPLACE, [], resume=cursor("w1"), searched=1000)
    assert c.take_page(first, ready=True) is not None
    counts = c.facets_ask(ask.generation, fresh_data=False)
    assert counts.window == 1000 and counts.reuse is None
    windowed = replace(facets(**{"reset-requested": 2}), window=1000)
    counted = c.take_facets(ask.generation, counts.flt.without_reasons(), windowed, None, 1000)
    assert counted is not None and c.expected() is None, "a window's count is not the view's"
    older = c.older()
    assert older is not None
    second = page(ask.generation, LoadMode.OLDER, [], resume=cursor("w2"), searched=1000)
    assert c.take_page(second, ready=True) is not None
    again = c.facets_ask(ask.generation, fresh_data=False)
    assert again.window == 2000 and again.reuse is None, "the counts follow the older window"

    c.state.search = SearchQuery.parse("user:ada")
    ask = c.ask(ready=True)
    assert ask is not None and ask.window is None, "an owner's list is complete"
    owned = page(ask.generation, LoadMode.REPLACE, ["a"], next_cursor=cursor("a"))
    assert c.take_page(owned, ready=True) is not None
    assert c.counts_window() == 1000 and not c.can_search_older and c.can_widen_counts
    c.widen_counts()
    assert c.facets_ask(ask.generation, fresh_data=False).window == 2000
    whole = facets(**{"reset-requested": 5})  # the window held every session: exact
    c.take_facets(ask.generation, SessionFilter(user="ada"), whole, None, 2000)
    assert not c.can_widen_counts and c.expected() == 5


def test_a_recount_is_asked_once() -> None:
    c = controller()
    c.refresh(recount=True)
    ask = c.facets_ask(c.state.generation, fresh_data=True)
    assert ask.recount and ask.stuck_recount
    assert not c.facets_ask(c.state.generation, fresh_data=True).recount


def test_selected_sessions_the_new_window_lacks_are_checked() -> None:
    c = controller()
    c.state.selected = {"gone", "a"}
    ask = c.ask(ready=True)
    assert ask is not None
    shown = c.take_page(page(ask.generation, LoadMode.REPLACE, ["a", "b"]), ready=True)
    assert shown is not None and shown.check == frozenset({"gone"})
    assert c.ids_to_copy("b") == ["a", "gone"], "the selection, window order first"
    c.state.selected = set()
    assert c.ids_to_copy("b") == ["b"] and c.ids_to_copy(None) == []


def test_the_warm_page_is_counted_only_while_it_answers_the_question() -> None:
    c = controller()
    gen = c.start()
    c.take_page(page(gen, LoadMode.REPLACE, ["a"]), ready=False)
    assert c.warm_answers()
    c.warm_unmarked = True
    assert not c.warm_answers(), "read without its marks: read again"
    c.warm_unmarked = False
    c.ask(ready=True)
    assert not c.warm_answers(), "the question changed meanwhile"


def test_the_pager_alone_pages_a_list_without_filters() -> None:
    """The audit's paging: the same generation, page-below and waiting rules."""
    clock = Clock()
    window: Window[int] = Window()
    pager = Pager(window, timer=clock)
    first = pager.ask_first()
    assert pager.claim_below() is None, "nothing below is asked before the first page is in"
    again = pager.ask_first()  # a reload meanwhile
    assert not pager.take(first, 10), "the first question's page is dropped"
    clock.now += 2 * WAITING_AFTER
    assert pager.tick() and pager.waiting is not None
    assert pager.take(again, 10) and pager.waiting is None
    assert pager.claim_below() == 10
    assert pager.claim_below() is None, "one page at a time"
    assert pager.failed() is False and not window.loading_more
    assert pager.claim_below() == 10, "a failed page is asked again"
    assert pager.take(again, None)
    assert pager.claim_below() is None, "the list ends there"
