"""`sundial tasks ...`: the task routes of the API."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import click
from sundial_client import Client, Page

from sundial.core.vocabulary import RunStatus
from sundial_cli import follow, resolve
from sundial_cli.completion import task_names
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
from sundial_cli.render import run_line, runs_table, task_table, tasks_table
from sundial_cli.task_options import TAG, task_body, task_options

PAGE_SIZE = click.IntRange(1, 100)
# Every command that acts on one task takes it by id, short id or name.
TASK = click.argument("task", metavar="TASK", shell_complete=task_names)


@click.group()
def tasks() -> None:
    """Create, inspect and control tasks."""


@tasks.command()
@task_options(update=False)
@click.option(
    "--idempotency-key",
    help="A retried create with the same key and body returns the first task.",
)
@api_options
@json_option
@display_options
def create(idempotency_key: str | None, **options: Any) -> None:
    """Create a task from flags, or from --file task.json (flags win).

    \b
    sundial tasks create --name nightly -s "0 30 2 * * *" --tz Europe/Berlin \\
        --target-url https://example.com/hook --payload '{"report": "daily"}'
    """
    body = task_body(options, update=False)
    task = as_json(state().client().create_task(body, idempotency_key=idempotency_key))
    _show_task(task, f"Created task {task['id']}.")


@tasks.command(name="list")
@click.option("--state", "task_state", type=click.Choice(["active", "paused", "completed"]))
@click.option("--tag", type=TAG, help="Only tasks with this KEY:VALUE tag.")
@click.option("--limit", type=PAGE_SIZE, default=50, show_default=True, help="Page size.")
@click.option("--all", "every_page", is_flag=True, help="Follow next_token to the last page.")
@click.option("--next-token", help="Continue from an earlier page.")
@api_options
@json_option
@display_options
def list_(
    task_state: str | None,
    tag: tuple[str, str] | None,
    limit: int,
    every_page: bool,
    next_token: str | None,
) -> None:
    """List tasks: id, name, state, schedule, next fire, last run."""
    client = state().client()
    tag_filter = f"{tag[0]}:{tag[1]}" if tag else None

    def page(token: str | None) -> Page[Any]:
        return client.list_tasks_page(
            state=task_state, tag=tag_filter, limit=limit, next_token=token
        )

    found, token = collect_pages(page, next_token, every_page)
    if state().json:
        emit_json({"tasks": found, "next_token": token})
        return
    console().print(tasks_table(found, state().display))
    _more("tasks", token)


@tasks.command()
@TASK
@api_options
@json_option
@display_options
def get(task: str) -> None:
    """Show one task (TASK: its name, id, or the start of its id)."""
    client = state().client()
    _show_task(as_json(client.get_task(resolve.task_id(client, task))))


@tasks.command()
@TASK
@task_options(update=True)
@click.option("--if-match", metavar="VERSION", help="Only update this version (412 if stale).")
@api_options
@json_option
@display_options
def update(task: str, if_match: str | None, **options: Any) -> None:
    """Change some fields of a task (the others keep their values).

    retry and misfire merge field by field; target, tags and payload are replaced whole.
    """
    body = task_body(options, update=True)
    if not body:
        raise click.UsageError("nothing to update: give a field flag or --file")
    client = state().client()
    updated = as_json(client.update_task(resolve.task_id(client, task), body, if_match=if_match))
    _show_task(updated, f"Updated task {updated['id']} (version {updated['version']}).")


@tasks.command()
@TASK
@click.option("--if-match", metavar="VERSION", help="Only delete this version (412 if stale).")
@api_options
@json_option
def delete(task: str, if_match: str | None) -> None:
    """Delete a task (its run history expires on its own)."""
    client = state().client()
    task_id = resolve.task_id(client, task)
    client.delete_task(task_id, if_match=if_match)
    if state().json:
        emit_json({"id": task_id, "deleted": True})
    else:
        click.echo(f"Deleted task {task_id}.")


@tasks.command()
@TASK
@click.option("--if-match", metavar="VERSION", help="Only pause this version (412 if stale).")
@api_options
@json_option
def pause(task: str, if_match: str | None) -> None:
    """Pause a task: no fires until it is resumed."""
    _transition(task, "pause", if_match, "Paused")


@tasks.command()
@TASK
@click.option("--if-match", metavar="VERSION", help="Only resume this version (412 if stale).")
@api_options
@json_option
def resume(task: str, if_match: str | None) -> None:
    """Resume a task from its next fire after now (missed fires are not run)."""
    _transition(task, "resume", if_match, "Resumed")


@tasks.command()
@TASK
@api_options
@json_option
def trigger(task: str) -> None:
    """Run a task now, also while paused."""
    client = state().client()
    task_id = resolve.task_id(client, task)
    reply = as_json(client.trigger_task(task_id))
    if state().json:
        emit_json(reply)
    else:
        click.echo(reply["execution_id"])
        note(f"Triggered task {task_id}: see `sundial tasks runs {task}`.")


@tasks.command()
@TASK
@click.option(
    "--status",
    type=click.Choice([status.value for status in RunStatus]),
    help="Only runs in this status (filtered by the CLI: a page may show fewer than --limit).",
)
@click.option(
    "--follow",
    "following",
    is_flag=True,
    help=f"Then keep printing runs as they finish (polls every {follow.INTERVAL_SECONDS:g} s;"
    " Ctrl-C stops).",
)
@click.option("--limit", type=PAGE_SIZE, default=50, show_default=True, help="Page size.")
@click.option("--all", "every_page", is_flag=True, help="Follow next_token to the last page.")
@click.option("--next-token", help="Continue from an earlier page.")
@api_options
@json_option
@display_options
def runs(
    task: str,
    status: str | None,
    following: bool,
    limit: int,
    every_page: bool,
    next_token: str | None,
) -> None:
    """A task's runs, newest first; with --follow, then each run as it finishes."""
    if following and state().json:
        raise click.UsageError("--follow prints for people: it does not combine with --json")
    client = state().client()
    task_id = resolve.task_id(client, task)

    def page(token: str | None) -> Page[Any]:
        return client.list_runs_page(task_id, limit=limit, next_token=token)

    def wanted(run: dict[str, Any]) -> bool:
        return status is None or run.get("status") == status

    found, token = collect_pages(page, next_token, every_page)
    shown = [run for run in found if wanted(run)]
    if state().json:
        emit_json({"runs": shown, "next_token": token})
        return
    console().print(runs_table(shown, state().display))
    if not following:
        _more("runs", token)
        return
    _tail(client, task_id, found, wanted)


@tasks.command()
@TASK
@click.option("--start", required=True, metavar="RFC3339", help="First scheduled time to run.")
@click.option("--end", required=True, metavar="RFC3339", help="Last scheduled time to run.")
@api_options
@json_option
def backfill(task: str, start: str, end: str) -> None:
    """Run the task's scheduled times in [START, END] now (at most 1,000 per call)."""
    client = state().client()
    task_id = resolve.task_id(client, task)
    reply = as_json(client.backfill_task(task_id, start, end))
    if state().json:
        emit_json(reply)
    else:
        click.echo(f"Enqueued {reply['fires']} fires of task {task_id}.")


# --- helpers ------------------------------------------------------------------------------


def _more(what: str, token: str | None) -> None:
    if token:
        note(f"More {what}: add --all, or --next-token {token}")


def _tail(
    client: Client, task_id: str, seen: list[dict[str, Any]], wanted: Callable[[Any], bool]
) -> None:
    """Print the task's runs as they finish, until Ctrl-C (which is how a tail ends, so
    it exits 0)."""
    out, display = console(), state().display
    note("Following: each run is printed as it finishes. Ctrl-C stops.")

    def newest() -> list[dict[str, Any]]:
        latest = client.list_runs_page(task_id, limit=follow.PAGE_SIZE)
        return [as_json(run) for run in latest.items]

    with contextlib.suppress(KeyboardInterrupt):
        follow.follow(newest, lambda run: out.print(run_line(run, display)), seen=seen, keep=wanted)


def _transition(task: str, action: str, if_match: str | None, verb: str) -> None:
    client = state().client()
    task_id = resolve.task_id(client, task)
    change = client.pause_task if action == "pause" else client.resume_task
    changed = as_json(change(task_id, if_match=if_match or None))
    if state().json:
        emit_json(changed)
    else:
        click.echo(
            f"{verb} task {changed['id']}: {changed['state']} (version {changed['version']})."
        )


def _show_task(task: dict[str, Any], headline: str | None = None) -> None:
    if state().json:
        emit_json(task)
        return
    if headline:
        note(headline)
    console().print(task_table(task, state().display, _in_words(task)))


def _in_words(task: dict[str, Any]) -> str | None:
    """The schedule in English, computed here as the console does (no extra request)."""
    from sundial.core.describe import describe

    try:
        return describe(task["schedule"], task.get("timezone") or "UTC")
    except Exception:  # a schedule form this CLI is older than: leave the line out
        return None
