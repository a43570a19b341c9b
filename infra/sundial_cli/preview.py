"""`sundial preview`: the next fire times of a schedule, offline (no server, no key).

It runs the same code as `POST /preview`, so it answers the same: `--json` prints the
route's response body, and an invalid schedule is the route's error (exit code 3).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from sundial_cli.errors import Rejected
from sundial_cli.output import console, emit_json, json_option, note, state, table, text

MAX_COUNT = 100  # as POST /preview


class Timestamp(click.ParamType):
    """RFC 3339 (`2026-01-01T00:00:00Z`); without an offset, wall time in --timezone."""

    name = "RFC3339"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a timestamp such as 2026-01-01T00:00:00Z", param, ctx)


@click.command()
@click.argument("schedule")
@click.option("--timezone", "--tz", default="UTC", show_default=True, help="IANA time zone.")
@click.option("--after", type=Timestamp(), help="Fire times strictly after this (default now).")
@click.option("--count", "-n", type=click.IntRange(1, MAX_COUNT), default=5, show_default=True)
@json_option
def preview(schedule: str, timezone: str, after: datetime | None, count: int) -> None:
    """Print the next fire times of SCHEDULE, and what it means in words.

    \b
    sundial preview "*/15 * * * *" --tz Europe/Berlin --count 3
    sundial preview "rate(5 minutes)" --after 2026-01-01T00:00:00Z --json
    """
    from sundial.core.describe import describe
    from sundial.core.errors import SundialError
    from sundial.core.preview import preview as next_fires

    try:
        times = next_fires(schedule, timezone, after=after, count=count)
        description = describe(schedule, timezone)
    except SundialError as exc:
        raise Rejected(exc.code, exc.message, exc.field) from None
    fire_times = [t.isoformat() for t in times]
    if state().json:
        emit_json({"fire_times": fire_times, "description": description})
        return
    grid = table("#", f"FIRE TIME ({timezone})", *(["UTC"] if timezone != "UTC" else []))
    for number, moment in enumerate(times, 1):
        utc = [text(moment.astimezone(UTC).isoformat(sep=" "))] if timezone != "UTC" else []
        grid.add_row(text(number), text(moment.isoformat(sep=" ")), *utc)
    out = console()
    out.print(text(description, "bold"))
    out.print(grid)
    if len(times) < count:
        note(f"The schedule has no more fire times after {fire_times[-1]}.")
