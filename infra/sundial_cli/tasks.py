"""`sundial tasks ...`: the task routes of the API."""

from __future__ import annotations

from typing import Any

import click
from sundial_client import Page

from sundial_cli.output import (
    api_options,
    as_json,
    collect_pages,
    console,
    emit_json,
    json_option,
    note,
    state,
)
from sundial_cli.render import runs_table, task_table, tasks_table
from sundial_cli.task_options import TAG, task_body, task_options

PAGE_SIZE = click.IntRange(1, 100)


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
    console().print(tasks_table(found))
    _more("tasks", token)


@tasks.command()
@click.argument("task_id")
@api_options
@json_option
def get(task_id: str) -> None:
    """Show one task."""
    _show_task(as_json(state().client().get_task(task_id)))


@tasks.command()
@click.argument("task_id")
@task_options(update=True)
@click.option("--if-match", metavar="VERSION", help="Only update this version (412 if stale).")
@api_options
@json_option
def update(task_id: str, if_match: str | None, **options: Any) -> None:
    """Change some fields of a task (the others keep their values).

    retry and misfire merge field by field; target, tags and payload are replaced whole.
    """
    body = task_body(options, update=True)
    if not body:
        raise click.UsageError("nothing to update: give a field flag or --file")
    task = as_json(state().client().update_task(task_id, body, if_match=if_match))
    _show_task(task, f"Updated task {task['id']} (version {task['version']}).")


@tasks.command()
@click.argument("task_id")
@click.option("--if-match", metavar="VERSION", help="Only delete this version (412 if stale).")
@api_options
@json_option
def delete(task_id: str, if_match: str | None) -> None:
    """Delete a task (its run history expires on its own)."""
    state().client().delete_task(task_id, if_match=if_match)
    if state().json:
        emit_json({"id": task_id, "deleted": True})
    else:
        click.echo(f"Deleted task {task_id}.")


@tasks.command()
@click.argument("task_id")
@click.option("--if-match", metavar="VERSION", help="Only pause this version (412 if stale).")
@api_options
@json_option
def pause(task_id: str, if_match: str | None) -> None:
    """Pause a task: no fires until it is resumed."""
    _transition(task_id, "pause", if_match, "Paused")


@tasks.command()
@click.argument("task_id")
@click.option("--if-match", metavar="VERSION", help="Only resume this version (412 if stale).")
@api_options
@json_option
def resume(task_id: str, if_match: str | None) -> None:
    """Resume a task from its next fire after now (missed fires are not run)."""
    _transition(task_id, "resume", if_match, "Resumed")


@tasks.command()
@click.argument("task_id")
@api_options
@json_option
def trigger(task_id: str) -> None:
    """Run a task now, also while paused."""
    reply = as_json(state().client().trigger_task(task_id))
    if state().json:
        emit_json(reply)
    else:
        click.echo(reply["execution_id"])
        note(f"Triggered task {task_id}: see `sundial tasks runs {task_id}`.")


@tasks.command()
@click.argument("task_id")
@click.option("--limit", type=PAGE_SIZE, default=50, show_default=True, help="Page size.")
@click.option("--all", "every_page", is_flag=True, help="Follow next_token to the last page.")
@click.option("--next-token", help="Continue from an earlier page.")
@api_options
@json_option
def runs(task_id: str, limit: int, every_page: bool, next_token: str | None) -> None:
    """A task's runs, newest first."""
    client = state().client()

    def page(token: str | None) -> Page[Any]:
        return client.list_runs_page(task_id, limit=limit, next_token=token)

    found, token = collect_pages(page, next_token, every_page)
    if state().json:
        emit_json({"runs": found, "next_token": token})
        return
    console().print(runs_table(found))
    _more("runs", token)


@tasks.command()
@click.argument("task_id")
@click.option("--start", required=True, metavar="RFC3339", help="First scheduled time to run.")
@click.option("--end", required=True, metavar="RFC3339", help="Last scheduled time to run.")
@api_options
@json_option
def backfill(task_id: str, start: str, end: str) -> None:
    """Run the task's scheduled times in [START, END] now (at most 1,000 per call)."""
    reply = as_json(state().client().backfill_task(task_id, start, end))
    if state().json:
        emit_json(reply)
    else:
        click.echo(f"Enqueued {reply['fires']} fires of task {task_id}.")


# --- helpers ------------------------------------------------------------------------------


def _more(what: str, token: str | None) -> None:
    if token:
        note(f"More {what}: add --all, or --next-token {token}")


def _transition(task_id: str, action: str, if_match: str | None, verb: str) -> None:
    client = state().client()
    change = client.pause_task if action == "pause" else client.resume_task
    task = as_json(change(task_id, if_match=if_match or None))
    if state().json:
        emit_json(task)
    else:
        click.echo(f"{verb} task {task['id']}: {task['state']} (version {task['version']}).")


def _show_task(task: dict[str, Any], headline: str | None = None) -> None:
    if state().json:
        emit_json(task)
        return
    if headline:
        note(headline)
    console().print(task_table(task, _in_words(task)))


def _in_words(task: dict[str, Any]) -> str | None:
    """The schedule in English, computed here as the console does (no extra request)."""
    from sundial.core.describe import describe

    try:
        return describe(task["schedule"], task.get("timezone") or "UTC")
    except Exception:  # a schedule form this CLI is older than: leave the line out
        return None
