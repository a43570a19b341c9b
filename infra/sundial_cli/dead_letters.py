"""`sundial dead-letters list|redrive`: executions that failed for good, and running them again."""

from __future__ import annotations

from typing import Any

import click
from sundial_client import Page

from sundial_cli import resolve
from sundial_cli.output import (
    api_options,
    as_json,
    collect_pages,
    console,
    display_options,
    emit_json,
    json_option,
    note,
    state,
)
from sundial_cli.render import dead_letters_table


@click.group(name="dead-letters")
def dead_letters() -> None:
    """Dead-lettered executions: list them, run them again."""


@dead_letters.command(name="list")
@click.option("--limit", type=click.IntRange(1, 100), default=50, show_default=True)
@click.option("--all", "every_page", is_flag=True, help="Follow next_token to the last page.")
@click.option("--next-token", help="Continue from an earlier page.")
@api_options
@json_option
@display_options
def list_(limit: int, every_page: bool, next_token: str | None) -> None:
    """The tenant's dead letters, newest first: task name, reason, error."""
    client = state().client()

    def page(token: str | None) -> Page[Any]:
        return client.list_dead_letters_page(limit=limit, next_token=token)

    found, token = collect_pages(page, next_token, every_page)
    if state().json:
        emit_json({"dead_letters": found, "next_token": token})
        return
    # One listing of the tasks names them all (a task deleted since shows by its id).
    names = {task.id: task.name for task in client.list_tasks()} if found else {}
    console().print(dead_letters_table(found, names, state().display))
    if token:
        note(f"More dead letters: add --all, or --next-token {token}")


@dead_letters.command()
@click.argument("execution_ids", nargs=-1)
@api_options
@json_option
def redrive(execution_ids: tuple[str, ...]) -> None:
    """Run dead letters again: the ones named (in full, or as `dead-letters list` shows
    them), or all of the tenant's.

    Each run goes back to `retrying` with its attempt count kept, and leaves the dead
    letters once it succeeds.
    """
    client = state().client()
    named = resolve.execution_ids(client, execution_ids) if execution_ids else None
    reply = as_json(client.redrive_dead_letters(named))
    if state().json:
        emit_json(reply)
    else:
        click.echo(f"Redriven: {reply['redriven']}.")
