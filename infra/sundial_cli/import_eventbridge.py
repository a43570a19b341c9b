"""`sundial import eventbridge`: EventBridge Scheduler schedules become Sundial tasks.

The schedules are read with the AWS SDK (`eventbridge_schedules`), each is translated
(`eventbridge_mapping`: what it becomes, what is noted, why it cannot be imported), and
the tasks are created through the API. A disabled schedule's task is paused right after
it is created.

Importing again creates nothing twice: every imported task carries the schedule's ARN
in its `eventbridge-schedule` tag, and a schedule whose task exists (found by that tag,
whatever the task is called now) is reported as `exists` and left as it is, never
overwritten. With `--dry-run` the tenant's tasks are read, to tell `exists` from
`would create`, and nothing is written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import click
from sundial_client import ApiError, Client, SundialClientError

from sundial.core.task import TaskView
from sundial_cli.errors import CliError, ExitCode, Rejected, cli_error
from sundial_cli.eventbridge_mapping import SCHEDULE_TAG, Translation, translate
from sundial_cli.eventbridge_schedules import ScheduleReader
from sundial_cli.output import api_options, console, emit_json, json_option, state, table, text
from sundial_cli.progress import progress_bar

RESULT_STYLES = {
    "created": "green",
    "would_create": "green",
    "exists": "cyan",
    "skipped": "yellow",
    "failed": "red",
}
ORDER = ("created", "would_create", "exists", "skipped", "failed")
# Errors about the request, not the schedule: no other schedule would fare better.
FATAL_STATUSES = frozenset({401, 403})


@click.command(name="eventbridge")
@click.option("--group", metavar="NAME", help="Only this schedule group (default: every group).")
@click.option(
    "--region",
    metavar="REGION",
    help="The schedules' AWS region (default: the AWS SDK's, e.g. AWS_REGION).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be imported; create nothing.")
@api_options
@json_option
def import_eventbridge(group: str | None, region: str | None, dry_run: bool) -> None:
    """Create a task for each EventBridge Scheduler schedule (AWS credentials needed).

    Schedule, time zone, start and end, state, flexible window (as jitter), retry policy,
    target (Lambda, SQS, SNS, EventBridge bus) and input (as payload) carry over. A
    schedule with something Sundial cannot express (another kind of target, context
    attributes in its input) is skipped whole, with the reason. Tasks are named
    ebs-<group>-<name>; importing again creates nothing twice.

    \b
    sundial import eventbridge --region eu-west-1 --dry-run
    sundial import eventbridge --group reports
    """
    reader = ScheduleReader(region)
    summaries = reader.summaries(group)
    client = state().client()
    importer = _Importer(client, client.list_tasks(), dry_run=dry_run)
    now = datetime.now(UTC)
    fatal: CliError | None = None
    with progress_bar(len(summaries)) as advance:
        for summary in summaries:
            try:
                importer.add(translate(reader.schedule(summary), now))
            except SundialClientError as exc:
                fatal = cli_error(exc, url=state().url, key_given=bool(state().key))
                break
            except CliError as exc:
                fatal = exc
                break
            advance()
    _report(importer.results, dry_run)
    if fatal is not None:
        raise fatal
    failed = sum(1 for r in importer.results if r["status"] == "failed")
    if failed:
        click.echo(f"error: {failed} schedule(s) could not be imported (see above)", err=True)
        click.get_current_context().exit(ExitCode.REJECTED)


class _Importer:
    """Creates (or, in a dry run, plans) each schedule's task, against the tenant's
    tasks as read when the import started plus those it created since."""

    def __init__(self, client: Client, tasks: Iterable[TaskView], *, dry_run: bool):
        self.client = client
        self.dry_run = dry_run
        self.results: list[dict[str, Any]] = []
        self.imported: dict[str, TaskView] = {}  # schedule ARN -> its task
        self.names: set[str] = set()
        for task in tasks:
            if task.name:
                self.names.add(task.name)
            arn = task.tags.get(SCHEDULE_TAG)
            if arn:
                self.imported[arn] = task

    def add(self, translation: Translation) -> None:
        """Record what becomes of one schedule. Raises the client's Unreachable, or its
        ApiError for errors no other schedule would escape (401, 403)."""
        result: dict[str, Any] = {
            "group": translation.group,
            "schedule": translation.schedule,
            "arn": translation.arn,
            "expression": translation.expression,
            "paused": translation.paused,
            "notes": translation.notes,
        }
        self.results.append(result)
        existing = self.imported.get(translation.arn)
        if existing is not None:
            result.update(
                status="exists",
                name=existing.name,
                task_id=existing.id,
                reason="imported before (left as it is)",
            )
            return
        if translation.body is None:
            result.update(status="skipped", reason="; ".join(translation.unsupported))
            return
        name = self._free_name(translation)
        if name is None:
            result.update(
                status="skipped",
                reason=f"the names {translation.task_name} and {translation.fallback_name} "
                "are taken by tasks not imported from this schedule",
            )
            return
        body = {**translation.body, "name": name}
        result["name"] = name
        self.names.add(name)
        if self.dry_run:
            result.update(status="would_create", task=body)
            return
        self._create(body, translation.paused, result)

    def _free_name(self, translation: Translation) -> str | None:
        for name in (translation.task_name, translation.fallback_name):
            if name not in self.names:
                return name
        return None

    def _create(self, body: dict[str, Any], paused: bool, result: dict[str, Any]) -> None:
        try:
            task = self.client.create_task(body)
        except ApiError as exc:
            if exc.status in FATAL_STATUSES:
                self.results.pop()
                raise
            error = Rejected(exc.code, exc.message, exc.field, status=exc.status)
            result.update(status="failed", reason=error.format_message(), error=error.envelope())
            return
        result.update(status="created", task_id=task.id)
        self.imported[result["arn"]] = task
        if not paused:
            return
        # The API creates tasks active; a fire due in the instant before the pause is
        # dropped by the executor, which skips scheduled fires of paused tasks.
        try:
            self.client.pause_task(task.id)
        except SundialClientError as exc:
            why = cli_error(exc, url=state().url, key_given=bool(state().key)).format_message()
            result.update(
                status="failed",
                reason=f"created as {task.id} but not paused ({why}): "
                f"pause it with `sundial tasks pause {task.id}`",
            )
            if not isinstance(exc, ApiError):
                raise


def _report(results: list[dict[str, Any]], dry_run: bool) -> None:
    counts = Counter(result["status"] for result in results)
    if state().json:
        emit_json({"dry_run": dry_run, "schedules": results, "counts": dict(counts)})
        return
    grid = table("SCHEDULE", "RESULT", "TASK", "DETAIL")
    for result in results:
        status = result["status"]
        task = " ".join(filter(None, [result.get("name"), result.get("task_id")]))
        details = [result["reason"]] if result.get("reason") else []
        if result["paused"] and status in ("created", "would_create"):
            details.append("paused (the schedule is disabled)")
        if status in ("created", "would_create"):
            details += result["notes"]
        grid.add_row(
            text(f"{result['group']}/{result['schedule']}"),
            text(status.replace("_", " "), RESULT_STYLES.get(status, "")),
            text(task),
            text("; ".join(details)),
        )
    out = console()
    out.print(grid)
    summary = ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in ORDER if counts[s])
    out.print(text(summary or "no schedules to import"))
