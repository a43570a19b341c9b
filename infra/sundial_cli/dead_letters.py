"""`sundial dead-letters list|redrive`: executions that failed for good, and running them again."""

from __future__ import annotations

import click

from sundial_cli.output import api_options, console, emit_json, json_option, note, state
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
def list_(limit: int, every_page: bool, next_token: str | None) -> None:
    """The tenant's dead letters, newest first."""
    query = {"limit": limit, "next_token": next_token}
    client = state().client()
    found, token = client.collect("/dead-letters", "dead_letters", query, every_page=every_page)
    if state().json:
        emit_json({"dead_letters": found, "next_token": token})
        return
    console().print(dead_letters_table(found))
    if token:
        note(f"More dead letters: add --all, or --next-token {token}")


@dead_letters.command()
@click.argument("execution_ids", nargs=-1)
@api_options
@json_option
def redrive(execution_ids: tuple[str, ...]) -> None:
    """Run dead letters again: the ones named, or all of the tenant's.

    Each run goes back to `retrying` with its attempt count kept, and leaves the dead
    letters once it succeeds.
    """
    body = {"execution_ids": list(execution_ids)} if execution_ids else None
    reply = state().client().call("POST", "/dead-letters/redrive", body=body).body
    if state().json:
        emit_json(reply)
    else:
        click.echo(f"Redriven: {reply['redriven']}.")
