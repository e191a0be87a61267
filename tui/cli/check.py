"""`check`: the monitoring plugin (Nagios, Naemon, Icinga, cron). The rules are
`tui.domain.check`'s; this reads the snapshots and says the verdict."""

from __future__ import annotations

import click

from tui.cli import fleet_output, options
from tui.cli.common import Globals
from tui.cli.plugin_exit import PluginUnknown
from tui.domain.check import (
    CHECK_KINDS,
    Judged,
    State,
    ThresholdError,
    Thresholds,
    fleet_object,
    judge,
    plugin_output,
    read_flag,
    unknown_line,
    verdict_object,
)
from tui.domain.check import (
    fleet_output as fleet_lines,
)
from tui.domain.export import dumps
from tui.domain.snapshot import Snapshot
from tui.domain.text import safe_text

CHECK_HELP = f"""The state of the sessions and workflow runs as a monitoring plugin: exit 0 OK,
1 WARNING, 2 CRITICAL, 3 UNKNOWN (no database, a database that cannot be read, a bad
option or config file: one line on stdout). One line of text, then `|` and the perfdata
('stuck_idle'=3;5;10;0;), one item per stuck session kind, per stuck run kind and the
active sessions; a kind the service version cannot produce is left out and said so.

A kind is WARNING (CRITICAL) when its count is above its warning (critical) threshold;
thresholds come from the config file ([check.warning] then idle = 5) and from
--warning/--critical, which win. Kinds: {", ".join(CHECK_KINDS)}.

With several deployments (-d NAME twice or more, --all) each is read at once, the worst
state wins (OK, WARNING, UNKNOWN, CRITICAL: one that cannot be read is UNKNOWN), and
each perfdata label starts with the deployment's name ('acme_stuck_idle')."""


def _flags(level: str, given: tuple[str, ...]) -> dict[str, int]:
    found: dict[str, int] = {}
    for text in given:
        try:
            name, n = read_flag(level, text)
        except ThresholdError as exc:
            raise PluginUnknown(str(exc)) from None
        found[name] = n
    return found


@click.command("check", help=CHECK_HELP, short_help="Monitoring plugin: OK, WARNING, CRITICAL.")
@click.option(
    "--warning",
    "warnings",
    multiple=True,
    metavar="KIND=N",
    help="WARNING when KIND's count is above N (repeatable; wins over the config file).",
)
@click.option(
    "--critical",
    "criticals",
    multiple=True,
    metavar="KIND=N",
    help="CRITICAL when KIND's count is above N (repeatable; wins over the config file).",
)
@options.format_option("text", "json")
@click.pass_obj
def check(g: Globals, warnings: tuple[str, ...], criticals: tuple[str, ...], fmt: str) -> None:
    from tui.store.errors import StoreError
    from tui.store.snapshot import read_snapshot

    given = Thresholds(_flags("warning", warnings), _flags("critical", criticals))
    configured = (g.config.check if g.config is not None else None) or Thresholds()
    try:
        thresholds = configured.over(given).checked()
    except ThresholdError as exc:
        raise PluginUnknown(str(exc)) from None
    chosen = g.deployments()
    several = len(chosen) > 1
    if not chosen:
        try:
            target = g.target()
        except StoreError as exc:  # no database: said in the format asked for
            missing = Judged("database", None, error=safe_text(g.scrub(str(exc))))
            raise click.exceptions.Exit(int(_say_one(missing, fmt))) from None
        chosen = [fleet_output.Resolved("database", resolved=target)]
    readings = fleet_output.read_all(g, chosen, read_snapshot)
    judged = [
        Judged(
            r.deployment.name,
            r.deployment.title,
            verdict=judge(r.value, thresholds) if isinstance(r.value, Snapshot) else None,
            error=None if r.error is None else safe_text(r.error),
        )
        for r in readings
    ]
    state = _say_fleet(judged, fmt) if several else _say_one(judged[0], fmt)
    raise click.exceptions.Exit(int(state))


def _say_one(one: Judged, fmt: str) -> State:
    if one.verdict is None:
        line = unknown_line(one.error or "")
        if fmt == "json":
            payload = {"state": State.UNKNOWN.name, "exit_code": int(State.UNKNOWN)}
            click.echo(dumps({**payload, "summary": line, "error": one.error}, indent=2))
        else:
            click.echo(line)
        return State.UNKNOWN
    if fmt == "json":
        click.echo(dumps(verdict_object(one.verdict), indent=2))
    else:
        click.echo(plugin_output(one.verdict))
    return one.verdict.state


def _say_fleet(judged: list[Judged], fmt: str) -> State:
    if fmt == "json":
        payload = fleet_object(judged)
        click.echo(dumps(payload, indent=2))
        return State(payload["exit_code"])
    lines = fleet_lines(judged)
    click.echo("\n".join(lines))
    return State(fleet_object(judged)["exit_code"])
