"""What every command shares: the global options, and how results reach the terminal.

With `--json`, stdout carries exactly one JSON document and nothing else (no rich markup,
no notes); without it, rich tables. Notes and errors go to stderr.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import click
from pydantic import BaseModel
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sundial_client import DEFAULT_TIMEOUT_SECONDS, DEFAULT_URL, Client, Page, check_base_url

F = TypeVar("F", bound=Callable[..., Any])
# Piped output has no terminal to measure: a wide terminal's width. Ids are never split
# (see `table`), so grep by id finds its row whatever wraps around it.
PIPE_WIDTH = 120


@dataclass(frozen=True)
class Display:
    """How tables show what the API returned: `utc` times rather than local ones, `wide`
    (full) ids rather than the short ones."""

    utc: bool = False
    wide: bool = False


@dataclass
class CliState:
    """The root command's options, shared by every subcommand through `ctx.obj`."""

    url: str = DEFAULT_URL
    key: str | None = None
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    json: bool = False
    utc: bool = False
    wide: bool = False

    @property
    def display(self) -> Display:
        return Display(utc=self.utc, wide=self.wide)

    def client(self) -> Client:
        try:
            check_base_url(self.url)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--url' / SUNDIAL_URL") from None
        return Client(self.url, self.key, timeout=self.timeout)


def state() -> CliState:
    return click.get_current_context().ensure_object(CliState)


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(CliState).json = True


def json_option(function: F) -> F:
    """`--json`, accepted by every command (and by `sundial` itself, before the command)."""
    return click.option(
        "--json",
        is_flag=True,
        expose_value=False,
        callback=_set_json,
        help="Print machine-readable JSON to stdout (no tables, no colour).",
    )(function)


def _set_flag(name: str) -> Callable[[click.Context, click.Parameter, bool], None]:
    def set_flag(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            setattr(ctx.ensure_object(CliState), name, True)

    return set_flag


def display_options(function: F) -> F:
    """`--utc` and `--wide`, accepted like `--json`: before the command or after it."""
    function = click.option(
        "--wide",
        is_flag=True,
        expose_value=False,
        callback=_set_flag("wide"),
        help="Show ids in full (tables shorten them like git; --json never does).",
    )(function)
    return click.option(
        "--utc",
        is_flag=True,
        expose_value=False,
        callback=_set_flag("utc"),
        help="Show times in UTC (marked Z) rather than in local time.",
    )(function)


def _set_url(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(CliState).url = value


def _set_key(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(CliState).key = value


def api_options(function: F) -> F:
    """`--url` and `--key` after the command too (`sundial tasks list --key ...`)."""
    function = click.option(
        "--key", expose_value=False, callback=_set_key, help="API key (overrides SUNDIAL_API_KEY)."
    )(function)
    return click.option(
        "--url", expose_value=False, callback=_set_url, help="API base URL (overrides SUNDIAL_URL)."
    )(function)


def console() -> Console:
    """A console on the current stdout (CliRunner swaps it), wide when piped."""
    width = None if sys.stdout.isatty() or "COLUMNS" in os.environ else PIPE_WIDTH
    return Console(file=sys.stdout, highlight=False, width=width)


def emit_json(document: Any) -> None:
    click.echo(json.dumps(document, ensure_ascii=False))


def as_json(model: BaseModel) -> dict[str, Any]:
    """A model of the API as the JSON document the API sent (tables render these too)."""
    return model.model_dump(mode="json")


def collect_pages(
    page: Callable[[str | None], Page[Any]], next_token: str | None, every_page: bool
) -> tuple[list[dict[str, Any]], str | None]:
    """The items (as JSON) of the page `next_token` names and the token after it; with
    `every_page`, of every page after it too, to the last (whose token is None)."""
    found: list[dict[str, Any]] = []
    while True:
        current = page(next_token)
        found += [as_json(item) for item in current.items]
        next_token = current.next_token
        if not every_page or not next_token:
            return found, next_token


def note(message: str) -> None:
    """A remark for humans on stderr; silent under --json."""
    if not state().json:
        click.echo(message, err=True)


def table(
    *columns: str, ids: Mapping[str, int] | None = None, widths: Mapping[str, int] | None = None
) -> Table:
    """A plain table: a rule under the header, no borders; long cells wrap, never cut.

    The `ids` columns (name -> the length of the longest id shown in it) never wrap and
    are never narrower than their ids: an id split over two lines can be neither copied
    nor grepped, so the other columns give way instead. The `widths` columns wrap but
    keep at least that many characters (a date is not cut in two).
    """
    ids, widths = ids or {}, widths or {}
    grid = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for column in columns:
        if column in ids:
            grid.add_column(column, no_wrap=True, min_width=ids[column])
        else:
            grid.add_column(column, overflow="fold", min_width=widths.get(column))
    return grid


def text(value: Any, style: str = "") -> Text:
    """A table cell: user data is never read as rich markup."""
    return Text("-" if value is None or value == "" else str(value), style=style)
