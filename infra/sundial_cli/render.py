"""Tasks, runs and dead letters as rich tables, and the small formatters they use."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from sundial_cli.output import table, text

STATE_STYLES = {"active": "green", "paused": "yellow", "completed": "dim"}
STATUS_STYLES = {
    "succeeded": "green",
    "failed": "red",
    "retrying": "yellow",
    "running": "cyan",
    "skipped": "dim",
}


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def when(value: Any, now: datetime | None = None) -> str:
    """`2026-11-23 02:30:00+01:00 (in 3h 5m)`: the time as the API gave it, and how far off."""
    moment = parse_time(value)
    if moment is None:
        return "-" if value in (None, "") else str(value)
    return f"{moment.isoformat(sep=' ')} ({relative(moment, now)})"


def relative(moment: datetime, now: datetime | None = None) -> str:
    seconds = int((moment - (now or datetime.now(UTC))).total_seconds())
    if seconds == 0:
        return "now"
    amount = _span(abs(seconds))
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


def _span(seconds: int) -> str:
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
        if len(parts) == 2:
            break
    return " ".join(parts) or "0s"


def target_summary(target: Any) -> str:
    if not isinstance(target, dict):
        return str(target)
    kind = target.get("type")
    if kind == "http":
        return f"http {target.get('method', 'POST')} {target.get('url')}"
    if kind == "lambda":
        return f"lambda {target.get('arn')}"
    if kind == "sqs":
        return f"sqs {target.get('queue_url')}"
    if kind == "sns":
        return f"sns {target.get('topic_arn')}"
    if kind == "eventbridge":
        return (
            f"eventbridge {target.get('bus', 'default')} "
            f"{target.get('source')}/{target.get('detail_type')}"
        )
    if kind == "handler":
        return f"handler {target.get('name')}"
    return json.dumps(target)


def schedule_of(task: dict[str, Any]) -> str:
    zone = task.get("timezone") or "UTC"
    return task.get("schedule", "") + ("" if zone == "UTC" else f" ({zone})")


def last_run_summary(run: Any) -> Text:
    if not isinstance(run, dict):
        return text(None)
    status = str(run.get("status", "?"))
    moment = parse_time(run.get("finished_at")) or parse_time(run.get("fire_at"))
    label = status if moment is None else f"{status} {relative(moment)}"
    return text(label, STATUS_STYLES.get(status, ""))


def tasks_table(tasks: list[dict[str, Any]]) -> Table:
    grid = table("ID", "NAME", "STATE", "SCHEDULE", "NEXT FIRE", "LAST RUN")
    for task in tasks:
        fires = task.get("next_fire_times") or []
        grid.add_row(
            text(task.get("id")),
            text(task.get("name")),
            text(task.get("state"), STATE_STYLES.get(str(task.get("state")), "")),
            text(schedule_of(task)),
            text(when(fires[0]) if fires else None),
            last_run_summary(task.get("last_run")),
        )
    return grid


def task_table(task: dict[str, Any], description: str | None = None) -> Table:
    """One task, field by field."""
    grid = table("FIELD", "VALUE")
    retry = task.get("retry") or {}
    misfire = task.get("misfire") or {}
    rows: list[tuple[str, Any]] = [
        ("id", task.get("id")),
        ("name", task.get("name")),
        ("state", text(task.get("state"), STATE_STYLES.get(str(task.get("state")), ""))),
        ("version", task.get("version")),
        ("schedule", task.get("schedule")),
        ("in words", description),
        ("timezone", task.get("timezone")),
        ("window", _window(task)),
        ("target", target_summary(task.get("target"))),
        ("payload", json.dumps(task.get("payload"), ensure_ascii=False)),
        (
            "retry",
            f"{retry.get('max_attempts')} attempts, backoff {retry.get('backoff_seconds')} s "
            f"up to {retry.get('max_backoff_seconds')} s, "
            f"for at most {retry.get('max_event_age_seconds')} s",
        ),
        ("timeout", f"{task.get('timeout_seconds')} s"),
        ("overlap", task.get("overlap")),
        ("misfire", f"{misfire.get('policy')}, grace {misfire.get('grace_seconds')} s"),
        ("jitter", f"{task.get('jitter_seconds')} s"),
        ("tags", ", ".join(f"{k}:{v}" for k, v in (task.get("tags") or {}).items())),
        ("description", task.get("description")),
        ("next fires", "\n".join(when(t) for t in task.get("next_fire_times") or [])),
        ("last run", last_run_summary(task.get("last_run"))),
        ("created", task.get("created_at")),
        ("updated", task.get("updated_at")),
    ]
    for name, value in rows:
        grid.add_row(text(name, "bold"), value if isinstance(value, Text) else text(value))
    return grid


def _window(task: dict[str, Any]) -> str | None:
    start, end = task.get("start_at"), task.get("end_at")
    if not start and not end:
        return None
    return f"{start or 'now'} .. {end or 'forever'}"


def runs_table(runs: list[dict[str, Any]]) -> Table:
    grid = table("EXECUTION", "FIRE AT", "STATUS", "ATTEMPT", "LATENESS", "ERROR / REASON")
    for run in runs:
        status = str(run.get("status"))
        lateness = run.get("lateness_ms")
        grid.add_row(
            text(run.get("execution_id")),
            text(run.get("fire_at")),
            text(status, STATUS_STYLES.get(status, "")),
            text(run.get("attempt")),
            text(None if lateness is None else f"{lateness} ms"),
            text(run.get("error") or run.get("reason")),
        )
    return grid


def dead_letters_table(letters: list[dict[str, Any]]) -> Table:
    grid = table("EXECUTION", "TASK", "FIRE AT", "ATTEMPT", "DEAD-LETTERED", "ERROR")
    for letter in letters:
        grid.add_row(
            text(letter.get("execution_id")),
            text(letter.get("task_id")),
            text(letter.get("fire_at")),
            text(letter.get("attempt")),
            text(letter.get("dead_lettered_at")),
            text(letter.get("error")),
        )
    return grid
