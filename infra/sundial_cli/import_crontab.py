"""`sundial import-crontab FILE`: each job line of a crontab becomes a task.

The command of a line is not run by Sundial: it is handed to a target that runs it,
`--target-url` (a webhook that receives `{"command": ..., "line": n, ...}`) or
`--handler` (a handler registered in the executor package). See `crontab.py` for how
each kind of line is read.

Task names are `<prefix>-<program>-<hash of the job>`, so importing the same crontab
again creates nothing twice: a job already imported is reported as `exists`. With
`--dry-run`, every task is validated offline by the API's own model and nothing is sent.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import IO, Any

import click
from sundial_client import ApiError, Client, SundialClientError

from sundial_cli.crontab import CronJob, Remark, parse_crontab
from sundial_cli.errors import CliError, ExitCode, Rejected, cli_error
from sundial_cli.output import api_options, console, emit_json, json_option, state, table, text
from sundial_cli.progress import progress_bar
from sundial_cli.task_options import TAG

RESULT_STYLES = {
    "created": "green",
    "would_create": "green",
    "exists": "cyan",
    "applied": "dim",
    "skipped": "yellow",
    "failed": "red",
}
# Errors that are about the request, not the line: no other line would fare better.
FATAL_STATUSES = frozenset({401, 403})
# Validates a dry run's tasks when no target was given (the target is not the line's).
PLACEHOLDER_TARGET = {"type": "handler", "name": "dry_run"}
COMMAND_SHOWN = 60


@click.command(name="import-crontab")
@click.argument("crontab", type=click.File("r"), metavar="FILE")
@click.option("--target-url", metavar="URL", help="Each task POSTs its command to this URL.")
@click.option("--handler", metavar="NAME", help="Each task runs this registered handler.")
@click.option(
    "--timezone",
    "--tz",
    default="UTC",
    show_default=True,
    help="Timezone of the lines before any CRON_TZ= line (cron itself uses the machine's).",
)
@click.option(
    "--system",
    is_flag=True,
    help="A system crontab (/etc/crontab, /etc/cron.d/*): a user column before the command.",
)
@click.option("--name-prefix", help="Task names: <prefix>-<program>-<hash> (default: FILE's name).")
@click.option("--tag", "tags", type=TAG, multiple=True, help="KEY:VALUE on every task.")
@click.option("--dry-run", is_flag=True, help="Validate and show the tasks; create nothing.")
@api_options
@json_option
def import_crontab(
    crontab: IO[str],
    target_url: str | None,
    handler: str | None,
    timezone: str,
    system: bool,
    name_prefix: str | None,
    tags: tuple[tuple[str, str], ...],
    dry_run: bool,
) -> None:
    """Turn each job line of a crontab FILE (- for stdin) into a task.

    Sundial does not run the commands: each task sends its target the payload
    {"command": ..., "line": n} (plus "stdin", "user", "env" when the crontab has them),
    and the target runs it. Importing again creates nothing twice. CRON_TZ/TZ lines set
    the timezone of the lines below; MAILTO and @reboot are skipped, with the reason.

    \b
    crontab -l | sundial import-crontab - --handler run_command --tz Europe/Berlin
    sundial import-crontab /etc/crontab --system --target-url https://runner/run --dry-run
    """
    target = _target(target_url, handler, dry_run)
    _check_timezone(timezone)
    try:
        parsed = parse_crontab(crontab.read(), timezone=timezone, system=system)
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {crontab.name}: {exc}") from None
    prefix = name_prefix or _default_prefix(crontab.name)
    importer = _Importer(
        client=None if dry_run else state().client(),
        prefix=prefix,
        target=target,
        tags=dict(tags),
    )
    fatal: CliError | None = None
    with progress_bar(len(parsed.jobs)) as advance:
        for entry in parsed.entries:
            if isinstance(entry, Remark):
                importer.results.append(_remark(entry))
                continue
            try:
                importer.add(entry)
            except SundialClientError as exc:
                fatal = cli_error(exc, url=state().url, key_given=bool(state().key))
                break
            advance()
    _report(importer.results, parsed.ignored, dry_run)
    if fatal is not None:
        raise fatal
    failed = sum(1 for r in importer.results if r["status"] == "failed")
    if failed:
        click.echo(f"error: {failed} line(s) could not be imported (see above)", err=True)
        click.get_current_context().exit(ExitCode.REJECTED)


class _Importer:
    def __init__(
        self,
        client: Client | None,
        prefix: str,
        target: dict[str, Any] | None,
        tags: dict[str, str],
    ):
        self.client = client
        self.prefix = prefix
        self.target = target
        self.tags = tags
        self.results: list[dict[str, Any]] = []
        self.seen: dict[str, int] = {}  # job digest -> first line

    def add(self, job: CronJob) -> None:
        """Create (or, in a dry run, validate) the job's task and record the outcome.

        Raises the client's Unreachable, or its ApiError for errors no other line would
        escape (401, 403).
        """
        body = job.task(self.prefix, self.target or PLACEHOLDER_TARGET, self.tags)
        result: dict[str, Any] = {
            "line": job.line,
            "text": job.text,
            "schedule": job.schedule,
            "timezone": job.timezone,
            "command": job.command,
            "name": body["name"],
        }
        if job.warning:
            result["warning"] = job.warning
        self.results.append(result)
        first = self.seen.setdefault(job.digest(), job.line)
        if first != job.line:
            result.update(status="skipped", reason=f"the same job as line {first}")
            return
        if self.client is None:
            self._validate(body, result)
            return
        try:
            task = self.client.create_task(body)
        except ApiError as exc:
            if exc.status in FATAL_STATUSES:
                self.results.pop()
                raise
            if exc.code == "name_conflict":
                result.update(
                    status="exists", reason=f"a task named {body['name']} exists (imported before)"
                )
            else:
                error = Rejected(exc.code, exc.message, exc.field, status=exc.status)
                result.update(
                    status="failed", reason=error.format_message(), error=error.envelope()
                )
            return
        result.update(status="created", task_id=task.id)

    def _validate(self, body: dict[str, Any], result: dict[str, Any]) -> None:
        from sundial.core.errors import SundialError
        from sundial.core.task import parse_task_create

        try:
            parse_task_create(body)
        except SundialError as exc:
            error = Rejected(exc.code, exc.message, exc.field)
            result.update(status="failed", reason=error.format_message(), error=error.envelope())
            return
        if self.target is None:
            del body["target"]
        result.update(status="would_create", task=body)


def _remark(remark: Remark) -> dict[str, Any]:
    return {
        "line": remark.line,
        "text": remark.text,
        "status": remark.status,
        "reason": remark.reason,
    }


def _target(target_url: str | None, handler: str | None, dry_run: bool) -> dict[str, Any] | None:
    if target_url and handler:
        raise click.UsageError("--target-url and --handler both name a target: give one")
    if target_url:
        return {"type": "http", "url": target_url}
    if handler:
        return {"type": "handler", "name": handler}
    if dry_run:
        return None
    raise click.UsageError(
        "give --target-url URL or --handler NAME: what runs each line's command "
        "(or --dry-run to only check the file)"
    )


def _check_timezone(timezone: str) -> None:
    from sundial.core.errors import ScheduleError
    from sundial.core.zones import load_zone

    try:
        load_zone(timezone)
    except ScheduleError as exc:
        raise click.BadParameter(exc.message, param_hint="'--timezone'") from None


def _default_prefix(filename: str) -> str:
    stem = Path(filename).name.split(".")[0] if filename not in ("-", "<stdin>") else ""
    return stem or "crontab"


def _report(results: list[dict[str, Any]], ignored: int, dry_run: bool) -> None:
    results.sort(key=lambda result: result["line"])
    counts = Counter(result["status"] for result in results)
    if state().json:
        emit_json(
            {"dry_run": dry_run, "lines": results, "counts": dict(counts), "ignored": ignored}
        )
        return
    grid = table("LINE", "RESULT", "SCHEDULE", "COMMAND", "DETAIL")
    for result in results:
        status = result["status"]
        if "command" in result:
            schedule = result["schedule"] + (
                "" if result["timezone"] == "UTC" else f" ({result['timezone']})"
            )
            command = _shorten(result["command"])
        else:
            schedule, command = None, _shorten(result["text"])
        detail = result.get("reason") or " ".join(
            filter(None, [result.get("task_id"), result.get("name")])
        )
        if result.get("warning"):
            detail = f"{detail}; warning: {result['warning']}"
        grid.add_row(
            text(result["line"]),
            text(status.replace("_", " "), RESULT_STYLES.get(status, "")),
            text(schedule),
            text(command),
            text(detail),
        )
    out = console()
    out.print(grid)
    order = ["created", "would_create", "exists", "applied", "skipped", "failed"]
    summary = ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in order if counts[s])
    out.print(text(f"{summary or 'nothing to import'}; {ignored} comment and blank lines"))


def _shorten(command: str) -> str:
    return command if len(command) <= COMMAND_SHOWN else command[: COMMAND_SHOWN - 1] + "…"
