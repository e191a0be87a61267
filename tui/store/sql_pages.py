"""The list's statements: keyset pages on (sort key, id), so a page costs the same at row
10 as at row 1,000,000 and no row is skipped or repeated between pages; and the
bounded search's windows.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from msgspec.structs import replace
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression

from tui.domain.models import (
    NOT_RECORDED_TOKEN,
    UNRECOGNISED_TOKEN,
    Cursor,
    SessionFilter,
    SortKey,
    Status,
)
from tui.domain.triggers import KNOWN_REASONS
from tui.store.sql_dialect import Dialect, needs_join, with_id
from tui.store.sql_filters import conditions, joined, row_columns, unindexed_active
from tui.store.tables import (
    codebases,
    conversations,
    sessions,
    users,
    workflow_runs,
)

s, c, cb, u, wr = sessions, conversations, codebases, users, workflow_runs

CURSOR_KEY, CURSOR_ID, FLOOR = "cursor_key", "cursor_id", "floor"
"""The names the cursor's values and a window's floor are bound by in every statement
here: what changes from one page or window to the next (`cursor_values`)."""


def cursor_shape(cursor: Cursor | None) -> tuple[bool, bool] | None:
    """What of a cursor the SQL depends on (its values are binds: `cursor_values`)."""
    return None if cursor is None else (cursor.segment_top, cursor.key is None)


def cursor_values(cursor: Cursor | None, floor: Any = None) -> dict[str, Any]:
    """The binds a statement built for another cursor (and floor) of the same shape
    takes for this one."""
    values: dict[str, Any] = {FLOOR: floor}
    if cursor is not None and not cursor.segment_top:
        values[CURSOR_ID] = cursor.id
        values[CURSOR_KEY] = cursor.key
    return values


def _after_cursor(
    key: ColumnElement[Any], cursor: Cursor, *, ascending: bool = False
) -> ColumnElement[bool]:
    """The rows after the cursor in its segment: NULL keys sort as one block (where, the
    backend says: `Traits.nulls_first_desc`) that a (key, id) comparison never enters.
    `ascending` pages the other way: the same rows, read from the other end.

    The cursor's values are the binds `CURSOR_KEY` and `CURSOR_ID`, so a statement built
    for one cursor serves every cursor of its shape (`cursor_shape`) with new values."""
    if cursor.segment_top:
        return key.is_(None) if cursor.key is None else key.is_not(None)
    ident = sa.bindparam(CURSOR_ID, cursor.id, type_=s.c.id.type)
    if cursor.key is None:
        return sa.and_(key.is_(None), s.c.id > ident if ascending else s.c.id < ident)
    right = sa.tuple_(sa.bindparam(CURSOR_KEY, cursor.key, type_=key.type), ident)
    left = sa.tuple_(key, s.c.id)
    return left > right if ascending else left < right


def first_segment(sort: SortKey, *, ascending: bool = False) -> Cursor | None:
    """Where a first page starts: None (the database's own order) but for the `ended`
    sort, whose segments come in one order on every backend: the ended sessions (a key)
    newest first, then the active ones (no key), and the other way round ascending."""
    if sort is not SortKey.ENDED:
        return None
    return Cursor(key=None if ascending else 0, id="", segment_top=True)


def next_segment(
    d: Dialect, cursor: Cursor, *, ascending: bool = False, sort: SortKey = SortKey.STARTED
) -> Cursor | None:
    """Where a page that ran out before `limit` goes on: the other segment of the sort
    key, when it comes after the cursor's in this database's NULL ordering (for the
    `ended` sort, in its own order: `first_segment`).

    An ascending order is the descending one reversed (ASC puts NULLs where DESC does
    not, on both backends), so its segments come in the other order."""
    if sort is SortKey.ENDED:
        if (cursor.key is None) != ascending:
            return None
        other = 0 if ascending else None
        return Cursor(key=other, id="", as_of=cursor.as_of, segment_top=True)
    if cursor.segment_top:
        return None
    after = segment_after(d, cursor)
    if not ascending:
        return after
    if after is not None:  # the other segment follows in DESC, so it came before in ASC
        return None
    other = None if cursor.key is not None else 0
    return Cursor(key=other, id="", as_of=cursor.as_of, segment_top=True)


def segment_after(d: Dialect, cursor: Cursor) -> Cursor | None:
    """The segment of the sort key (NULL keys, or the others) that a newest-first order
    puts after `cursor`'s, if any: the other one (the dated rows where DESC puts NULLs
    first, the NULL keys where it puts them last) or none."""
    if d.backend.traits.nulls_first_desc:
        if cursor.key is not None:
            return None
        return Cursor(key=0, id="", as_of=cursor.as_of, segment_top=True)
    if cursor.key is None:
        return None
    return Cursor(key=None, id="", as_of=cursor.as_of, segment_top=True)


def window_boundary(d: Dialect, cursor: Cursor | None, window: int) -> sa.Select[Any]:
    """The start time `window` dated rows below the cursor (the started_at index read
    newest first), and the next row's: the floor of a bounded search's window. Fewer
    than two rows: the rest of the list fits in the window."""
    key = d.sort_key(SortKey.STARTED, None)
    stmt = sa.select(key.label("floor")).where(s.c.started_at.is_not(None))
    if cursor is not None:
        stmt = stmt.where(_after_cursor(key, cursor))
    return stmt.order_by(key.desc(), s.c.id.desc()).offset(window - 1).limit(2)


def lowest_id_at(d: Dialect, floor: Any) -> sa.Select[Any]:
    """The last row (newest first) with start time `floor`: where the next window goes on."""
    key = d.sort_key(SortKey.STARTED, None)
    # ORDER BY … LIMIT 1, not min(): PostgreSQL has no min() for uuid.
    at = sa.select(s.c.id).where(key == sa.bindparam(FLOOR, floor, type_=key.type))
    return at.order_by(s.c.id.asc()).limit(1)


def _window_range(d: Dialect, cursor: Cursor | None, floor: Any) -> list[ColumnElement[bool]]:
    """The dated rows below the cursor down to start time `floor` (ties all in)."""
    key = d.sort_key(SortKey.STARTED, None)
    window = [s.c.started_at.is_not(None), key >= sa.bindparam(FLOOR, floor, type_=key.type)]
    if cursor is not None:
        window.append(_after_cursor(key, cursor))
    return window


def window_walk(
    d: Dialect, flt: SessionFilter, cursor: Cursor | None, limit: int, floor: Any
) -> sa.Select[Any]:
    """The ids of a bounded search's page: the window's rows read newest first down the
    started_at index, each tested as it is read, stopping at `limit + 1` matches.

    The sessions are read alone, or `joined` when a token needs it (`platform:`,
    `codebase:`, `user:`, a stuck kind); the free text names the session's own columns
    and looks its conversation up by key (`search_condition(walked=True)`). So the walk
    costs what the window holds: joined for the select list, PostgreSQL's planner
    hashed every conversation in the database for it."""
    key = d.sort_key(SortKey.STARTED, None)
    source = joined(d) if needs_join(flt) or (flt.user and flt.user.strip()) else s
    return (
        sa.select(s.c.id)
        .select_from(source)
        .where(*conditions(d, flt, windowed=True), *_window_range(d, cursor, floor))
        .order_by(key.desc(), s.c.id.desc())
        .limit(limit + 1)
    )


def bounded_search_statement(
    d: Dialect, flt: SessionFilter, cursor: Cursor | None, limit: int, floor: Any
) -> sa.Select[Any]:
    """A newest-first page among the dated rows below the cursor down to start time
    `floor` (ties at the floor all in): the rows a bounded search's window covers.

    The page's ids come from `window_walk`; only those rows, at most `limit + 1`, are
    joined for the select list (and sorted again, a page of them). The window's range
    bounds this step too, whatever the planner makes of the id list."""
    key = d.sort_key(SortKey.STARTED, None)
    window = _window_range(d, cursor, floor)
    walk = window_walk(d, flt, cursor, limit, floor).correlate(None)
    return (
        sa.select(*row_columns(d), key.label("_sort_key"))
        .select_from(joined(d))
        .where(s.c.id.in_(walk), *window)
        .order_by(key.desc(), s.c.id.desc())
        .limit(limit + 1)
    )


def list_statement(
    d: Dialect,
    flt: SessionFilter,
    sort: SortKey,
    cursor: Cursor | None,
    limit: int,
    *,
    ascending: bool = False,
) -> sa.Select[Any]:
    """One keyset page (plus one row to know whether another page follows).

    A search's or an owner's window (the newest sessions first) is not this statement:
    `window_boundary`, then `bounded_search_statement` with its floor as a constant.

    `ascending` reads the same order from its other end, through the same index read
    backwards: the oldest/smallest first, or the last rows of a newest-first list.
    """
    branches = reason_branches(d, flt)
    if branches and sort is SortKey.STARTED:
        return _merged_list_statement(d, flt, branches, cursor, limit, ascending=ascending)
    as_of = cursor.as_of if cursor else None
    key = d.sort_key(sort, as_of)
    # By `ended`, the ended index should drive (the page stops after `limit` rows); the
    # active one only where the status asks for active sessions, which it holds apart.
    by_active = sort is not SortKey.ENDED or flt.status is Status.ACTIVE
    conds = conditions(d, flt, active_index=by_active)
    if cursor is not None:
        conds.append(_after_cursor(key, cursor, ascending=ascending))
    conds += with_id(d)
    only_null = flt.reasons == {NOT_RECORDED_TOKEN} and sort is SortKey.STARTED
    order = _newest_first(d, key, null_reason=only_null)
    stmt = (
        sa.select(*row_columns(d), key.label("_sort_key"))
        .select_from(joined(d))
        .order_by(*_ordered(order, ascending))
        .limit(limit + 1)
    )
    return stmt.where(*conds) if conds else stmt


def _ordered(order: list[Any], ascending: bool) -> list[Any]:
    return [_flip(o) for o in order] if ascending else order


def _flip(term: Any) -> Any:
    """An ORDER BY term the other way round: DESC becomes ASC (and the NULLs move with it)."""
    if isinstance(term, UnaryExpression) and term.modifier is operators.desc_op:
        return term.element.asc()  # type: ignore[union-attr]
    return term.desc()


def _newest_first(d: Dialect, key: ColumnElement[Any], *, null_reason: bool) -> list[Any]:
    """ORDER BY for a page, newest first.

    `null_reason`: every row asked for has ended_reason NULL (not recorded); the rows
    should come from ix_sessions_tui_reason_started read backwards. Where the planner
    does not take `ended_reason IS NULL` as pinning that index's first column
    (`Traits.pin_null_order`), the order leads with it: a constant column changes no
    order.
    """
    order: list[Any] = [key.desc(), s.c.id.desc()]
    if null_reason and d.has_ended_reason and d.backend.traits.pin_null_order:
        order[:0] = [s.c.ended_reason.desc()]
    return order


def reason_branches(
    d: Dialect, flt: SessionFilter
) -> list[tuple[ColumnElement[bool], bool]] | None:
    """Several reasons as disjoint terms, each one range of (ended_reason, started_at, id),
    with whether the term pins ended_reason to NULL.

    None when the plain statement is as good: one reason, a pre-016 database, or filters
    that need the join (those are answered through it).
    """
    reasons = flt.reasons
    if len(reasons) < 2 or not d.has_ended_reason or needs_join(flt):
        return None
    if flt.search and flt.search.strip():
        return None
    er = s.c.ended_reason
    raws = sorted(r for r in reasons if r not in (NOT_RECORDED_TOKEN, UNRECOGNISED_TOKEN))
    out: list[tuple[ColumnElement[bool], bool]] = [(er == raw, False) for raw in raws]
    if NOT_RECORDED_TOKEN in reasons:
        out.append((sa.and_(er.is_(None), unindexed_active(d) == sa.false()), True))
    if UNRECOGNISED_TOKEN in reasons:  # minus the raw values already asked for: disjoint
        unknown = er.not_in(sorted(set(KNOWN_REASONS) | set(raws)))
        out.append((sa.and_(er.is_not(None), unknown), False))
    return out


def _merged_list_statement(
    d: Dialect,
    flt: SessionFilter,
    branches: list[tuple[ColumnElement[bool], bool]],
    cursor: Cursor | None,
    limit: int,
    *,
    ascending: bool = False,
) -> sa.Select[Any]:
    """The newest `limit + 1` of each reason in index order, then the newest of those.

    A reason filter with several reasons as one IN/OR makes SQLite gather every match
    and sort it; this costs k pages.
    """
    key = d.sort_key(SortKey.STARTED, None)
    rest = conditions(d, replace(flt, reasons=frozenset()), active_index=False)
    if cursor is not None:
        rest.append(_after_cursor(key, cursor, ascending=ascending))
    rest += with_id(d)
    picks = []
    for branch, null_reason in branches:
        each = (
            sa.select(*row_columns(d), key.label("_sort_key"))
            .select_from(joined(d))
            .where(branch, *rest)
            .order_by(*_ordered(_newest_first(d, key, null_reason=null_reason), ascending))
            .limit(limit + 1)
            .subquery()
        )
        picks.append(sa.select(each))
    picked = sa.union_all(*picks).subquery("picked")
    order = _ordered([picked.c._sort_key.desc(), picked.c.id.desc()], ascending)
    return sa.select(picked).order_by(*order).limit(limit + 1)
