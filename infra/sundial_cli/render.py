"""Tasks, runs and dead letters as rich tables, and the small formatters they use.

Ids are shortened like git's (full with `Display.wide`) and never wrapped; times are in
the CLI's one format (`timefmt`), local or UTC as `Display.utc` says.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from sundial_cli import shortids
from sundial_cli.output import Display, table, text
from sundial_cli.timefmt import parse_time, show_time

STATE_STYLES = {"active": "green", "paused": "yellow", "completed": "dim"}
STATUS_STYLES = {
    "succeeded": "green",
    "failed": "red",
    "retrying": "yellow",
    "running": "cyan",
    "skipped": "dim",
}


def when(value: Any, display: Display, now: datetime | None = None) -> str:
    """`2026-11-23 02:30:00 (in 3h 5m)`: the time as the CLI shows times, and how far off."""
    moment = parse_time(value)
    if moment is None:
        return "-" if value in (None, "") else str(value)
    return f"{show_time(moment, utc=display.utc)} ({relative(moment, now)})"


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


def notifications_summary(notifications: Any) -> str:
    """`run.failed, run.dead_lettered -> http POST https://...`, a line per notification
    (a destination reads as a target does; secrets are never in a response)."""
    lines = []
    for notification in notifications if isinstance(notifications, list) else []:
        destination = notification.get("destination")
        if isinstance(destination, dict) and destination.get("type") == "eventbridge":
            where = f"eventbridge {destination.get('bus', 'default')}"
        else:
            where = target_summary(destination)
        lines.append(f"{', '.join(notification.get('on') or [])} -> {where}")
    return "\n".join(lines)


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


# A time wraps at its space at most: `2026-12-04` over `15:01:15`, never inside a date.
TIME_WIDTH = len("2026-12-04")


def shown_ids(ids: list[str], display: Display) -> dict[str, str]:
    """Each id as a table shows it: in full when wide, else as short as stays distinct."""
    return {value: value for value in ids} if display.wide else shortids.short_forms(ids)


def id_width(shown: dict[str, str]) -> int:
    return max((len(value) for value in shown.values()), default=0)


def tasks_table(tasks: list[dict[str, Any]], display: Display) -> Table:
    ids = shown_ids([str(task.get("id")) for task in tasks], display)
    grid = table(
        "ID",
        "NAME",
        "STATE",
        "SCHEDULE",
        "NEXT FIRE",
        "LAST RUN",
        ids={"ID": id_width(ids)},
        widths={"NEXT FIRE": TIME_WIDTH},
    )
    for task in tasks:
        fires = task.get("next_fire_times") or []
        grid.add_row(
            text(ids[str(task.get("id"))]),
            text(task.get("name")),
            text(task.get("state"), STATE_STYLES.get(str(task.get("state")), "")),
            text(schedule_of(task)),
            text(when(fires[0], display) if fires else None),
            last_run_summary(task.get("last_run")),
        )
    return grid


def task_table(task: dict[str, Any], display: Display, description: str | None = None) -> Table:
    """One task, field by field (its id in full: this is where it is copied from)."""
    grid = table("FIELD", "VALUE")
    # Other values wrap; the id, alone on its row, fits whole.
    grid.columns[1].min_width = len(str(task.get("id")))
    retry = task.get("retry") or {}
    misfire = task.get("misfire") or {}
    rows: list[tuple[str, Any]] = [
        ("id", task.get("id")),
        ("name", task.get("name")),
        ("state", _state(task)),
        ("version", task.get("version")),
        ("schedule", task.get("schedule")),
        ("in words", description),
        ("timezone", task.get("timezone")),
        ("window", _window(task, display)),
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
        ("run limit", _run_limit(task)),
        ("pause after", _pause_after(task)),
        ("excluded", ", ".join(task.get("exclude") or [])),
        ("notify", notifications_summary(task.get("notifications"))),
        ("description", task.get("description")),
        ("next fires", "\n".join(when(t, display) for t in task.get("next_fire_times") or [])),
        ("last run", last_run_summary(task.get("last_run"))),
        ("created", show_time(task.get("created_at"), utc=display.utc)),
        ("updated", show_time(task.get("updated_at"), utc=display.utc)),
    ]
    for name, value in rows:
        grid.add_row(text(name, "bold"), value if isinstance(value, Text) else text(value))
    return grid


def _window(task: dict[str, Any], display: Display) -> str | None:
    start, end = task.get("start_at"), task.get("end_at")
    if not start and not end:
        return None
    start, end = (show_time(start, utc=display.utc), show_time(end, utc=display.utc))
    return f"{start or 'now'} .. {end or 'forever'}"


RUN_COLUMNS = ("EXECUTION", "FIRE AT", "STATUS", "ATTEMPT", "LATENESS", "ERROR / REASON")


def runs_table(runs: list[dict[str, Any]], display: Display) -> Table:
    ids = shown_ids([str(run.get("execution_id")) for run in runs], display)
    grid = table(*RUN_COLUMNS, ids={"EXECUTION": id_width(ids)}, widths={"FIRE AT": TIME_WIDTH})
    for run in runs:
        grid.add_row(*_run_cells(run, ids[str(run.get("execution_id"))], display))
    return grid


def run_line(run: dict[str, Any], display: Display) -> Text:
    """One run on one line, for a live tail where no table can be laid out in advance:
    the runs table's columns, in fixed widths so that lines printed one by one align."""
    execution_id = str(run.get("execution_id"))
    shown = execution_id if display.wide else shortids.shorten(execution_id, shortids.MIN_LENGTH)
    status = str(run.get("status"))
    lateness = run.get("lateness_ms")
    line = Text()
    line.append(f"{shown}  {show_time(run.get('fire_at'), utc=display.utc) or '-'}  ")
    line.append(f"{status:<9}", style=STATUS_STYLES.get(status, ""))
    line.append(f"  attempt {run.get('attempt')}")
    if lateness is not None:
        line.append(f"  {lateness} ms late")
    detail = run.get("error") or run.get("reason")
    if detail:
        line.append(f"  {detail}")
    return line


def _run_cells(run: dict[str, Any], shown_id: str, display: Display) -> list[Text]:
    status = str(run.get("status"))
    lateness = run.get("lateness_ms")
    return [
        text(shown_id),
        text(show_time(run.get("fire_at"), utc=display.utc)),
        text(status, STATUS_STYLES.get(status, "")),
        text(run.get("attempt")),
        text(None if lateness is None else f"{lateness} ms"),
        text(run.get("error") or run.get("reason")),
    ]


def dead_letters_table(
    letters: list[dict[str, Any]], names: dict[str, str | None], display: Display
) -> Table:
    """Dead letters with their task's name (`names`: task id -> name; a task deleted since
    is shown by its id) and why each was dead-lettered."""
    ids = shown_ids([str(letter.get("execution_id")) for letter in letters], display)
    grid = table(
        "EXECUTION",
        "TASK",
        "FIRE AT",
        "DEAD-LETTERED",
        "REASON / ERROR",
        ids={"EXECUTION": id_width(ids)},
        widths={"FIRE AT": TIME_WIDTH, "DEAD-LETTERED": TIME_WIDTH},
    )
    for letter in letters:
        task_id = str(letter.get("task_id"))
        grid.add_row(
            text(ids[str(letter.get("execution_id"))]),
            text(names.get(task_id) or _short_task(task_id, display)),
            text(show_time(letter.get("fire_at"), utc=display.utc)),
            text(show_time(letter.get("dead_lettered_at"), utc=display.utc)),
            _why(letter),
        )
    return grid


def _why(letter: dict[str, Any]) -> Text:
    """The reason (bold) and attempt over the last error: one column rather than three,
    so that a dead letter fits 80 columns."""
    reason, attempt, error = letter.get("reason"), letter.get("attempt"), letter.get("error")
    headline = " ".join(
        part for part in (reason, None if attempt is None else f"(attempt {attempt})") if part
    )
    why = Text(headline, style="bold")
    if error:
        why.append(("\n" if headline else "") + str(error))
    return why if why.plain else text(None)


def _short_task(task_id: str, display: Display) -> str:
    return task_id if display.wide else shortids.shorten(task_id, shortids.MIN_LENGTH)


def _run_limit(task: dict[str, Any]) -> str:
    """`max_runs` and what is left of it, or "none"."""
    if task.get("max_runs") is None:
        return "none"
    return f"{task.get('remaining_runs')} of {task.get('max_runs')} scheduled runs left"


def _state(task: dict[str, Any]) -> Text:
    """The state, and why a paused task is paused."""
    state = str(task.get("state"))
    shown = text(state, STATE_STYLES.get(state, ""))
    reason = task.get("pause_reason")
    if state == "paused" and reason == "user":
        shown.append(" (by its user)")
    elif state == "paused" and reason:
        limit = task.get("pause_after_failures")
        shown.append(
            f" (after {limit} consecutive failed runs)" if limit else " (after failed runs)"
        )
    return shown


def _pause_after(task: dict[str, Any]) -> str:
    """`pause_after_failures`, or "never"."""
    limit = task.get("pause_after_failures")
    return "never" if limit is None else f"{limit} consecutive failed runs"


def calendars_table(calendars: list[dict[str, Any]], display: Display) -> Table:
    grid = table("NAME", "DATES", "DESCRIPTION", "UPDATED")
    for calendar in calendars:
        grid.add_row(
            text(calendar.get("name")),
            text(len(calendar.get("dates") or [])),
            text(calendar.get("description")),
            text(show_time(calendar.get("updated_at"), utc=display.utc)),
        )
    return grid


def calendar_table(calendar: dict[str, Any], display: Display) -> Table:
    """One calendar, its dates one a line."""
    grid = table("FIELD", "VALUE")
    rows = [
        ("name", calendar.get("name")),
        ("description", calendar.get("description")),
        ("dates", "\n".join(calendar.get("dates") or [])),
        ("updated", show_time(calendar.get("updated_at"), utc=display.utc)),
    ]
    for name, value in rows:
        grid.add_row(text(name, "bold"), text(value))
    return grid
