"""The runs list's search: the sessions list's parser over the runs' own keys, and the
`RunFilter` each token makes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tui.domain.run_search import RUN_SEARCH_KEYS, describe, run_filter, statuses_of
from tui.domain.run_stuck import RunStuckKind
from tui.domain.runs import RunFilter
from tui.domain.search import SEARCH_KEYS, SearchQuery, parse_tokens

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_one_parser_takes_each_lists_keys() -> None:
    raw = 'status:run platform:slack owner:"Ada L" fix'
    assert parse_tokens(raw, RUN_SEARCH_KEYS) == (
        "platform:slack fix",
        {"status": "run", "owner": "Ada L"},
    )
    assert parse_tokens(raw, SEARCH_KEYS) == (
        "status:run owner:Ada L fix",
        {"platform": "slack"},
    )
    assert SearchQuery.parse(raw) == SearchQuery(
        text="status:run owner:Ada L fix", platform="slack"
    )


def test_status_takes_the_statuses_it_starts_and_keeps_an_unknown_one() -> None:
    assert statuses_of("run") == {"running"}
    assert statuses_of("RUN,pa") == {"running", "paused"}
    assert statuses_of("c") == {"completed", "cancelled"}
    assert statuses_of("zombie") == {"zombie"}


def test_each_token_lands_on_its_filter_over_what_is_held() -> None:
    held = RunFilter(conversation_id="c1", stuck=RunStuckKind.QUIET)
    flt = run_filter(held, "status:pe workflow:Deploy codebase:inf owner:ada age:2h ship", NOW)
    assert flt == RunFilter(
        statuses=frozenset({"pending"}),
        workflow="Deploy",
        codebase="inf",
        owner="ada",
        since=NOW - timedelta(hours=2),
        text="ship",
        conversation_id="c1",
        stuck=RunStuckKind.QUIET,
    )
    assert run_filter(held, "", NOW) == held


def test_an_age_that_is_no_duration_is_free_text() -> None:
    assert run_filter(RunFilter(), "age:soon", NOW) == RunFilter(text="age:soon")
    assert run_filter(RunFilter(), "x age:9999999w", NOW) == RunFilter(text="x age:9999999w")


def test_the_filters_are_said_as_data() -> None:
    flt = RunFilter(
        statuses=frozenset({"running"}), workflow="de\x1b[31m", stuck=RunStuckKind.QUIET
    )
    said = describe(flt)
    assert "status running" in said and "stuck quiet" in said
    assert "\x1b" not in said and "de\\e[31m" in said
    assert describe(RunFilter()) == ""
