"""Each stuck kind is one record and one SQL rule: a kind without its rule fails, never
silently takes another kind's SQL; the rules of the kinds are distinct on both backends;
the list row's columns cover exactly the kinds the query finds."""

from __future__ import annotations

from enum import Enum
from typing import Any

import pytest
import sqlalchemy as sa

from tui.domain.stuck import EVERYWHERE, KindRecord, StuckKind
from tui.domain.triggers import Trigger
from tui.store import queries as q
from tui.store.backends import KINDS, backend_for
from tui.store.codec import STUCK_COLUMNS


def _dialect(kind: str) -> q.Dialect:
    return q.Dialect(backend_for(kind), True, has_deleted=True, has_active_index=True)


def _sql(d: q.Dialect, condition: Any) -> str:
    return str(condition.compile(dialect=d.backend.traits.driver_dialect))


@pytest.mark.parametrize("backend_kind", KINDS)
def test_every_kind_has_its_own_rule(backend_kind: str) -> None:
    d = _dialect(backend_kind)
    rules = {kind: _sql(d, q.stuck_condition(d, kind)) for kind in StuckKind}
    assert len(set(rules.values())) == len(StuckKind), rules
    assert all(rule != _sql(d, sa.false()) for rule in rules.values())


@pytest.mark.parametrize("backend_kind", KINDS)
def test_a_kind_without_a_rule_fails_instead_of_taking_another_kinds(backend_kind: str) -> None:
    """A sixth kind added to the enum and nowhere else: asking for its SQL fails."""
    members = [(k.name, k.value) for k in StuckKind]
    expired = KindRecord(
        "expired", "active past its lifetime", Trigger.RESET_REQUESTED, 3, EVERYWHERE, False
    )
    extended = Enum("StuckKind", [*members, ("EXPIRED", expired)])  # type: ignore[misc]
    with pytest.raises(AssertionError):
        q.stuck_condition(_dialect(backend_kind), extended.EXPIRED)


def test_the_list_columns_are_the_kinds_the_query_finds() -> None:
    assert set(STUCK_COLUMNS) == {k for k in StuckKind if not k.record.by_clock}
    assert {k for k in StuckKind if k.record.by_clock} == {StuckKind.IDLE}
