"""`sundial calendars ...`: the tenant's calendars of days that tasks skip
(`--exclude calendar:NAME`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import IO

import click

from sundial_cli.ics import IcsDays, IcsError, ics_days
from sundial_cli.output import (
    api_options,
    as_json,
    console,
    display_options,
    emit_json,
    json_option,
    note,
    state,
)
from sundial_cli.render import calendar_table, calendars_table


@click.group()
def calendars() -> None:
    """Calendars of days that tasks naming them (exclude calendar:NAME) do not fire on."""


@calendars.command()
@click.argument("name")
@click.option(
    "--date",
    "dates",
    multiple=True,
    metavar="DAYS",
    help="A date (2026-12-25) or an inclusive range (2026-12-24..2026-12-31); repeat for more.",
)
@click.option("--description", help="What the calendar holds (default: none).")
@api_options
@json_option
@display_options
def put(name: str, dates: tuple[str, ...], description: str | None) -> None:
    """Create calendar NAME, or replace its dates and description.

    \b
    sundial calendars put holidays --date 2026-12-25 --date 2026-12-31..2027-01-01
    """
    calendar = as_json(state().client().put_calendar(name, list(dates), description=description))
    _show(calendar, f"Calendar {name} holds {len(calendar['dates'])} entries.")


@calendars.command(name="import")
@click.argument("name")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True, help="First day."
)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Last day.")
@click.option("--description", help="What the calendar holds (default: none).")
@api_options
@json_option
@display_options
def import_(
    name: str, file: IO[bytes], start: datetime, end: datetime, description: str | None
) -> None:
    """Create or replace calendar NAME with the all-day events of an iCalendar FILE
    (- for stdin) between --from and --to, recurring events expanded.

    \b
    sundial calendars import holidays holidays.ics --from 2026-01-01 --to 2027-12-31
    """
    first, last = start.date(), end.date()
    if last < first:
        raise click.BadParameter("must not be before --from", param_hint="--to")
    days = _read_ics(file, first, last)
    if days.timed_events or days.cancelled_events:
        note(
            f"Left out {days.timed_events} event(s) with a time of day and "
            f"{days.cancelled_events} cancelled one(s): a calendar holds whole days."
        )
    calendar = as_json(state().client().put_calendar(name, days.entries, description=description))
    _show(calendar, f"Calendar {name} holds {len(calendar['dates'])} entries.")


def _read_ics(file: IO[bytes], first: date, last: date) -> IcsDays:
    try:
        return ics_days(file.read(), first, last)
    except IcsError as exc:
        raise click.BadParameter(str(exc), param_hint="FILE") from None


@calendars.command(name="list")
@api_options
@json_option
@display_options
def list_() -> None:
    """The tenant's calendars, by name."""
    found = [as_json(c) for c in state().client().list_calendars()]
    if state().json:
        emit_json({"calendars": found})
    else:
        console().print(calendars_table(found, state().display))


@calendars.command()
@click.argument("name")
@api_options
@json_option
@display_options
def get(name: str) -> None:
    """Calendar NAME with its dates."""
    _show(as_json(state().client().get_calendar(name)), None)


@calendars.command()
@click.argument("name")
@api_options
@json_option
def delete(name: str) -> None:
    """Delete calendar NAME; refused (calendar_in_use) while a task's exclude names it."""
    state().client().delete_calendar(name)
    if state().json:
        emit_json({"name": name, "deleted": True})
    else:
        click.echo(f"Deleted calendar {name}.")


def _show(calendar: dict[str, object], message: str | None) -> None:
    if state().json:
        emit_json(calendar)
        return
    if message:
        click.echo(message)
    console().print(calendar_table(calendar, state().display))
