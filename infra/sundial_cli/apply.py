"""`sundial apply -f FILE|DIR`: make the tenant's tasks what task files declare.

It reads and validates every file first (nothing is sent if one is wrong), prints the
plan (`manifests`, `plan`), and carries it out: creates (each with an Idempotency-Key,
so a retried create makes one task), updates of the changed fields with `If-Match` (a
task edited since the plan is a conflict, never overwritten) and, with `--prune`,
deletes of the tenant's tasks that no file names, also with `If-Match`.

`--dry-run` prints the plan only and exits 2 when it has changes, 0 when it has none: a
CI check that the files and the tenant agree.
"""

from __future__ import annotations

from typing import Any

import click
from sundial_client import ApiError, Client, NotFound, VersionMismatch

from sundial_cli.errors import ExitCode, Rejected
from sundial_cli.manifests import load
from sundial_cli.output import api_options, emit_json, json_option, note, state
from sundial_cli.plan import Action, Step, plan

# `apply --dry-run` found changes (for CI); click's usage errors share the code, but a
# dry run that gets as far as a plan has no usage error.
CHANGES_PENDING = 2
LABELS = {
    Action.CREATE: "create",
    Action.UPDATE: "update",
    Action.UNCHANGED: "unchanged",
    Action.DELETE: "delete",
}


@click.command()
@click.option(
    "-f",
    "--file",
    "paths",
    multiple=True,
    required=True,
    metavar="FILE|DIR",
    help="A YAML task file, a directory of them, or - for stdin (repeatable).",
)
@click.option("--prune", is_flag=True, help="Delete the tenant's tasks that no file names.")
@click.option("--dry-run", is_flag=True, help="Show the plan only; exit 2 if it has changes.")
@api_options
@json_option
def apply(paths: tuple[str, ...], prune: bool, dry_run: bool) -> None:
    """Create, update (and with --prune delete) tasks to match YAML task files.

    \b
    sundial apply -f schedules/ --dry-run     # the plan; exit 2 if it has changes
    sundial apply -f schedules/ --prune       # apply it, deleting tasks no file names

    Tasks are keyed by name. ${VAR} in a value is read from the environment and
    never printed.
    """
    declared = load(paths)
    client = state().client()
    steps = plan(declared, client.list_tasks(), prune=prune)
    changes = [step for step in steps if step.action != Action.UNCHANGED]
    if dry_run:
        _show_plan(steps, results=None)
        if changes:
            click.get_current_context().exit(CHANGES_PENDING)
        return
    results = [_carry_out(client, step) for step in steps]
    _show_plan(steps, results)
    refused = [r for r in results if r["status"] in ("conflict", "failed")]
    if refused:
        click.echo(f"error: {len(refused)} task(s) not applied (see above)", err=True)
        click.get_current_context().exit(ExitCode.REJECTED)


def _carry_out(client: Client, step: Step) -> dict[str, Any]:
    """Do one step; a refusal of this task is its result, a failure to reach the API
    ends the command (the rest of the plan is not attempted)."""
    try:
        if step.action == Action.CREATE:
            assert step.declared is not None
            task = client.create_task(step.declared.body)
            return {"status": "created", "id": task.id}
        if step.action == Action.UPDATE:
            assert step.task_id is not None
            task = client.update_task(step.task_id, step.update_body(), if_match=step.version)
            return {"status": "updated", "id": task.id, "version": task.version}
        if step.action == Action.DELETE:
            assert step.task_id is not None
            client.delete_task(step.task_id, if_match=step.version)
            return {"status": "deleted", "id": step.task_id}
        return {"status": "unchanged", "id": step.task_id}
    except VersionMismatch:
        return _conflict(f"changed since the plan read version {step.version}")
    except NotFound:
        return _conflict("deleted since the plan")
    except ApiError as exc:
        if exc.code == "name_conflict":
            return _conflict("a task with this name was created since the plan")
        where = f"{step.source}: " if step.source else ""
        error = Rejected(exc.code, f"{where}task {step.name}: {exc.message}", exc.field)
        return {"status": "failed", "error": error.envelope(), "reason": error.format_message()}


def _conflict(what: str) -> dict[str, Any]:
    return {
        "status": "conflict",
        "reason": f"{what}: not overwritten; run apply again to plan against it",
    }


def _show_plan(steps: list[Step], results: list[dict[str, Any]] | None) -> None:
    if state().json:
        document: dict[str, Any] = {"plan": [step.to_json() for step in steps]}
        if results is not None:
            document["results"] = results
        emit_json(document)
        return
    width = max((len(step.name or "") for step in steps), default=0)
    for number, step in enumerate(steps):
        where = step.source or step.task_id or ""
        name = step.name or "(no name)"
        click.echo(f"{LABELS[step.action]:<10} {name:<{width}}  {where}".rstrip())
        for change in step.changes:
            click.echo(f"    {change.path}: {change.before} -> {change.after}")
        if step.declared and step.declared.omitted and step.action != Action.UNCHANGED:
            left = ", ".join(step.declared.omitted)
            click.echo(f"    left out (variable not set; the stored value is kept): {left}")
        if results is not None:
            result = results[number]
            if result["status"] in ("conflict", "failed"):
                click.echo(f"    {result['status']}: {result['reason']}")
    counts = {action: sum(1 for s in steps if s.action == action) for action in Action}
    summary = (
        f"Plan: {counts[Action.CREATE]} to create, {counts[Action.UPDATE]} to update, "
        f"{counts[Action.DELETE]} to delete, {counts[Action.UNCHANGED]} unchanged."
    )
    note(summary if results is None else summary.replace("Plan:", "Applied plan:"))
