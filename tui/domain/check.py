"""`check`, the monitoring plugin: a deployment's snapshot judged against thresholds.

The contract is the Nagios plugin guidelines': the state is the exit code (0 OK,
1 WARNING, 2 CRITICAL, 3 UNKNOWN); the output is one line of text, then `|` and the
perfdata, `'label'=value;warn;crit;min;max`, one per stuck session kind, per stuck run
kind, and the active sessions.

A threshold is a whole number N per kind (the kinds' wire names: `idle`, `quiet`, …):
the kind is in that state when its count is above N, as a Nagios range `N` says
(0..N is fine). A kind without a threshold is measured, never judged. A kind the
service version cannot produce is left out of the perfdata and said in the text; it
changes no state. Across deployments the worst state wins, in the order OK, WARNING,
UNKNOWN, CRITICAL: a deployment that cannot be read is UNKNOWN, which hides a warning
elsewhere but never a known critical.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import IntEnum
from typing import Any

from msgspec import Struct, field

from tui.domain.run_stuck import RunStuckKind
from tui.domain.snapshot import Snapshot
from tui.domain.stuck import StuckKind

PLUGIN = "SESSIONS-TUI"
"""The service name the first line starts with, as plugins name themselves."""
LEVELS = ("warning", "critical")


class State(IntEnum):
    """A plugin's state; its value is the exit code."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


SEVERITY = (State.OK, State.WARNING, State.UNKNOWN, State.CRITICAL)
"""Which state wins when several are combined: the later."""


def worst(states: Iterable[State]) -> State:
    """The state that wins (`SEVERITY`); OK for none."""
    return max(states, key=SEVERITY.index, default=State.OK)


class CheckKind(Struct, frozen=True):
    """One thing `check` measures and may judge: a stuck session kind or a stuck run
    kind, by its wire name; `label` is its perfdata label."""

    name: str
    label: str
    runs: bool
    """A stuck run kind (else a stuck session kind)."""


def _kinds() -> dict[str, CheckKind]:
    found: dict[str, CheckKind] = {}
    for kind in StuckKind:
        found[kind.wire] = CheckKind(kind.wire, f"stuck_{kind.wire.replace('-', '_')}", False)
    for run_kind in RunStuckKind:
        if run_kind.wire in found:
            raise AssertionError(f"a stuck run kind shares a session kind's name: {run_kind.wire}")
        label = f"stuck_run_{run_kind.wire.replace('-', '_')}"
        found[run_kind.wire] = CheckKind(run_kind.wire, label, True)
    return found


CHECK_KINDS: dict[str, CheckKind] = _kinds()
"""Every kind a threshold may name, sessions' first, in the tool's order."""
ACTIVE_LABEL = "active"


class ThresholdError(ValueError):
    """A threshold the plugin cannot use; `str()` is the one line the operator reads."""


def _count(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ThresholdError(f"{where}: must be a whole number of at least 0, e.g. 5")
    return value


def _kind(where: str, name: str) -> str:
    if name not in CHECK_KINDS:
        raise ThresholdError(f"{where}: unknown kind {name!r} (known: {', '.join(CHECK_KINDS)})")
    return name


class Thresholds(Struct, frozen=True):
    """Warning and critical counts, by kind name."""

    warning: Mapping[str, int] = field(default_factory=dict)
    critical: Mapping[str, int] = field(default_factory=dict)

    def over(self, given: Thresholds) -> Thresholds:
        """These, with `given`'s kinds replacing theirs, level by level."""
        return Thresholds({**self.warning, **given.warning}, {**self.critical, **given.critical})

    def checked(self) -> Thresholds:
        """Themselves; ThresholdError when a kind's warning is above its critical."""
        for name, warn in self.warning.items():
            crit = self.critical.get(name)
            if crit is not None and warn > crit:
                raise ThresholdError(
                    f"{name}: the warning threshold ({warn}) is above the critical one ({crit})"
                )
        return self


def read_thresholds(raw: Any, where: str = "check") -> Thresholds:
    """The config file's `[check]` table: `warning` and `critical` tables of
    `kind = N` (`[check.warning]` then `idle = 5`, or `warning.idle = 5` under
    `[check]`: TOML reads both the same)."""
    if not isinstance(raw, dict):
        raise ThresholdError(f"{where}: must be a table: [{where}.warning] then idle = 5")
    levels: dict[str, dict[str, int]] = {level: {} for level in LEVELS}
    for level, table in raw.items():
        if level not in LEVELS:
            raise ThresholdError(f"{where}.{level}: unknown key (known: {', '.join(LEVELS)})")
        if not isinstance(table, dict):
            raise ThresholdError(
                f"{where}.{level}: must be a table: [{where}.{level}] then idle = 5"
            )
        for name, value in table.items():
            key = f"{where}.{level}.{name}"
            levels[level][_kind(key, name)] = _count(key, value)
    return Thresholds(levels["warning"], levels["critical"]).checked()


def read_flag(level: str, text: str) -> tuple[str, int]:
    """`KIND=N` as `--warning`/`--critical` take it."""
    name, sep, value = text.partition("=")
    where = f"--{level} {text}"
    if not sep:
        raise ThresholdError(f"{where}: expected KIND=N, e.g. idle=5")
    try:
        number = int(value.strip())
    except ValueError:
        raise ThresholdError(f"{where}: N must be a whole number of at least 0") from None
    return _kind(where, name.strip().lower()), _count(where, number)


class Measure(Struct, frozen=True):
    """One kind's count at the read (None: not detectable there), its thresholds and
    the state they put it in."""

    kind: CheckKind
    value: int | None
    warning: int | None
    critical: int | None
    state: State

    def breach(self) -> str | None:
        """`idle 7 > 5` when a threshold is crossed, else None."""
        if self.value is None or self.state is State.OK:
            return None
        limit = self.critical if self.state is State.CRITICAL else self.warning
        return f"{self.kind.name} {self.value} > {limit}"


class Verdict(Struct, frozen=True):
    """One deployment judged: its state, its active sessions, every kind's measure."""

    state: State
    version: str
    active: int
    measures: tuple[Measure, ...]
    has_runs: bool

    def breaches(self) -> list[str]:
        """The crossed thresholds, critical first."""
        order = (State.CRITICAL, State.WARNING)
        return [
            said
            for state in order
            for m in self.measures
            if m.state is state and (said := m.breach()) is not None
        ]

    def counts_text(self) -> str:
        """`12 active; stuck: idle 3, …; stuck runs: quiet 1, …`, a kind not detectable
        said so."""

        def part(runs: bool) -> str:
            shown = [
                f"{m.kind.name} {'not detectable' if m.value is None else m.value}"
                for m in self.measures
                if m.kind.runs is runs
            ]
            return ", ".join(shown)

        runs = part(True) if self.has_runs else "no runs table"
        return f"{self.active} active; stuck: {part(False)}; stuck runs: {runs}"

    def perfdata(self, prefix: str = "") -> list[str]:
        """`'active'=12;;;0;` then one item per detectable kind, labels after `prefix`."""
        items = [perf_item(f"{prefix}{ACTIVE_LABEL}", self.active, None, None)]
        items += [
            perf_item(f"{prefix}{m.kind.label}", m.value, m.warning, m.critical)
            for m in self.measures
            if m.value is not None
        ]
        return items


def perf_item(label: str, value: int, warning: int | None, critical: int | None) -> str:
    """`'label'=value;warn;crit;0;` (the guidelines' order; no maximum)."""

    def opt(n: int | None) -> str:
        return "" if n is None else str(n)

    return f"'{label}'={value};{opt(warning)};{opt(critical)};0;"


def judge(snapshot: Snapshot, thresholds: Thresholds) -> Verdict:
    """The snapshot's counts against the thresholds."""
    values: dict[str, int | None] = {k.wire: n for k, n in snapshot.stuck.items()}
    values |= {k.wire: (n if snapshot.has_runs else None) for k, n in snapshot.stuck_runs.items()}
    measures: list[Measure] = []
    for name, kind in CHECK_KINDS.items():
        value = values.get(name)
        warn, crit = thresholds.warning.get(name), thresholds.critical.get(name)
        state = State.OK
        if value is not None and crit is not None and value > crit:
            state = State.CRITICAL
        elif value is not None and warn is not None and value > warn:
            state = State.WARNING
        measures.append(Measure(kind, value, warn, crit, state))
    return Verdict(
        state=worst(m.state for m in measures),
        version=snapshot.version,
        active=snapshot.active,
        measures=tuple(measures),
        has_runs=snapshot.has_runs,
    )


class Judged(Struct, frozen=True):
    """One deployment's outcome: its verdict, or why it could not be read (UNKNOWN)."""

    name: str
    title: str | None
    verdict: Verdict | None = None
    error: str | None = None

    @property
    def state(self) -> State:
        return State.UNKNOWN if self.verdict is None else self.verdict.state

    def brief(self) -> str:
        """`acme WARNING (idle 7 > 5)`, `gone UNKNOWN (why)`, `beta OK`."""
        if self.verdict is None:
            return f"{self.name} UNKNOWN ({plain(self.error or '')})"
        crossed = self.verdict.breaches()
        return f"{self.name} {self.state.name}" + (f" ({', '.join(crossed)})" if crossed else "")


def plugin_output(verdict: Verdict) -> str:
    """One deployment's whole output: `SESSIONS-TUI STATE - text | perfdata`."""
    crossed = verdict.breaches()
    text = "; ".join([*crossed, verdict.counts_text()])
    return f"{PLUGIN} {verdict.state.name} - {text} | {' '.join(verdict.perfdata())}"


def fleet_output(judged: list[Judged]) -> list[str]:
    """Several deployments: the first line says each one's state and carries every
    perfdata item, labels prefixed `NAME_`; one line per deployment follows (the
    plugin's long output)."""
    state = worst(j.state for j in judged)
    perf = [
        item for j in judged if j.verdict is not None for item in j.verdict.perfdata(f"{j.name}_")
    ]
    first = f"{PLUGIN} {state.name} - {', '.join(j.brief() for j in judged)}"
    if perf:
        first += f" | {' '.join(perf)}"
    rest = [f"{j.name}: " + _long(j) for j in judged]
    return [first, *rest]


def _long(j: Judged) -> str:
    if j.verdict is None:
        return f"cannot be read: {plain(j.error or '')}"
    return j.verdict.counts_text()


def plain(text: str) -> str:
    """`text` on one line without `|`, which would start the perfdata."""
    return " ".join(text.replace("|", "/").split())


def unknown_line(why: str) -> str:
    """The one line of a check that could not judge anything."""
    return f"{PLUGIN} {State.UNKNOWN.name} - {plain(why)}"


def measure_objects(verdict: Verdict) -> list[dict[str, Any]]:
    return [
        {
            "kind": m.kind.name,
            "of": "runs" if m.kind.runs else "sessions",
            "count": m.value,
            "detectable": m.value is not None,
            "warning": m.warning,
            "critical": m.critical,
            "state": m.state.name,
        }
        for m in verdict.measures
    ]


def verdict_object(verdict: Verdict) -> dict[str, Any]:
    """`check --format json` of one deployment."""
    return {
        "state": verdict.state.name,
        "exit_code": int(verdict.state),
        "summary": plugin_output(verdict).partition(" | ")[0],
        "version": verdict.version,
        "active": verdict.active,
        "has_runs": verdict.has_runs,
        "kinds": measure_objects(verdict),
    }


def fleet_object(judged: list[Judged]) -> dict[str, Any]:
    """`check --format json` across deployments: the worst state, then each one."""
    state = worst(j.state for j in judged)
    return {
        "state": state.name,
        "exit_code": int(state),
        "summary": fleet_output(judged)[0].partition(" | ")[0],
        "deployments": [
            {
                "deployment": j.name,
                "title": j.title,
                "state": j.state.name,
                "error": j.error,
                "version": None if j.verdict is None else j.verdict.version,
                "active": None if j.verdict is None else j.verdict.active,
                "has_runs": None if j.verdict is None else j.verdict.has_runs,
                "kinds": [] if j.verdict is None else measure_objects(j.verdict),
            }
            for j in judged
        ],
    }
