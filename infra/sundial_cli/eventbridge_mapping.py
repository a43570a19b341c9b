"""An EventBridge Scheduler schedule (GetSchedule's answer) as the Sundial task it becomes.

`translate` is pure: it reads the schedule and the time, and says either which task to
create (the create body, whether to pause it, and every way the task differs from the
schedule) or why the schedule cannot be imported. A schedule with anything Sundial
cannot express is skipped whole, never imported in part.

The mapping, field by field:

* `ScheduleExpression` (`cron()`, `rate()`, `at()`) is the task's schedule verbatim:
  Sundial parses the EventBridge forms itself. `ScheduleExpressionTimezone` is the
  task's timezone.
* `StartDate` / `EndDate` are `start_at` / `end_at`, except for `at()`, where
  EventBridge ignores them, and so does the import.
* `State` DISABLED: the task is paused right after it is created (the API creates tasks
  active).
* `FlexibleTimeWindow` FLEXIBLE: `jitter_seconds`, the window in seconds. Both start a
  run somewhere in [scheduled time, scheduled time + window]; a window wider than
  Sundial's jitter limit is narrowed to it, so every run still falls inside the window.
* `RetryPolicy`: `MaximumRetryAttempts` + 1 is `retry.max_attempts` (capped at
  Sundial's limit), `MaximumEventAgeInSeconds` is `retry.max_event_age_seconds`.
* `Target`: Lambda, SQS, SNS and EventBridge bus ARNs become targets of those types;
  `Input` is the payload (its JSON value when it parses, else the text).
* Noted, not refused: a dead-letter queue (Sundial keeps failures in its own
  dead-letter list), a KMS key, `ActionAfterCompletion` DELETE, an SQS message group.
* Refused: universal (`aws-sdk`) targets and every other service's targets, and an
  `Input` with context attributes (`<aws.scheduler.scheduled-time>`) that Sundial would
  send as literal text.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sundial.core.errors import SundialError
from sundial.core.planning import Timing, first_due_at
from sundial.core.task import NAME_MAX_LENGTH, parse_task_create
from sundial.core.task.limits import JITTER_MAX, MAX_ATTEMPTS_MAX

# Every imported task carries the schedule's ARN under this tag: it is how a later
# import recognises a schedule it already imported, whatever the task's name.
SCHEDULE_TAG = "eventbridge-schedule"
SOURCE_TAGS = {"source": "eventbridge-scheduler"}
NAME_PREFIX = "ebs"
HASH_LENGTH = 8
# What EventBridge Scheduler assumes when a schedule has no RetryPolicy.
DEFAULT_RETRY_ATTEMPTS = 185
DEFAULT_EVENT_AGE_SECONDS = 86_400
# `<aws.scheduler.scheduled-time>` and its kind: filled in by EventBridge for each
# invocation. Sundial sends the payload as it is (the run's envelope carries the
# equivalents: scheduled_time, execution_id, attempt).
CONTEXT_ATTRIBUTE = re.compile(r"<aws\.scheduler\.[a-z-]+>")
# Services EventBridge Scheduler can target that Sundial does not send to, as people
# call them.
SERVICE_NAMES = {
    "ecs": "ECS task",
    "states": "Step Functions",
    "kinesis": "Kinesis",
    "firehose": "Firehose",
    "sagemaker": "SageMaker pipeline",
    "codebuild": "CodeBuild",
    "codepipeline": "CodePipeline",
    "inspector": "Inspector",
}


@dataclass
class Translation:
    """One schedule and its task: `body` to create (None when `unsupported` says why
    not), `paused` to pause it after creating it, `notes` on how it differs."""

    group: str
    schedule: str
    arn: str
    expression: str
    task_name: str
    # The name used when `task_name` is taken by a task that is not this schedule's.
    fallback_name: str
    body: dict[str, Any] | None = None
    paused: bool = False
    notes: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)


def task_name(group: str, schedule: str) -> str:
    """The task name a schedule imports as: `ebs-<group>-<name>`, valid for Sundial.

    Characters Sundial's names do not allow become '-'. A name longer than Sundial's
    limit is cut and ends with a hash of group and name, so two long names that share a
    beginning still differ, and the same schedule always gets the same name.
    """
    readable = _sanitized(f"{NAME_PREFIX}-{group}-{schedule}")
    if len(readable) <= NAME_MAX_LENGTH:
        return readable
    return _with_hash(readable, f"{group}/{schedule}")


def fallback_name(group: str, schedule: str, arn: str) -> str:
    """The name when `task_name` is taken by another task (the same group and name from
    another region or account, or `a-b`/`c` against `a`/`b-c`): it ends with a hash of
    the schedule's ARN, which no other schedule has."""
    return _with_hash(_sanitized(f"{NAME_PREFIX}-{group}-{schedule}"), arn)


def _sanitized(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "-", text)


def _with_hash(readable: str, key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:HASH_LENGTH]
    return f"{readable[: NAME_MAX_LENGTH - HASH_LENGTH - 1]}-{digest}"


def translate(schedule: Mapping[str, Any], now: datetime) -> Translation:
    """The task that `schedule` (a GetSchedule answer) becomes, as of `now`."""
    group = schedule.get("GroupName") or "default"
    name = schedule["Name"]
    arn = schedule.get("Arn") or f"schedule/{group}/{name}"
    expression = schedule.get("ScheduleExpression", "")
    result = Translation(
        group=group,
        schedule=name,
        arn=arn,
        expression=expression,
        task_name=task_name(group, name),
        fallback_name=fallback_name(group, name, arn),
        paused=schedule.get("State") == "DISABLED",
    )
    target_spec = schedule.get("Target") or {}
    target = _target(target_spec, result)
    payload = _payload(target_spec.get("Input"), result)
    if result.unsupported or target is None:
        return result
    body: dict[str, Any] = {
        "name": result.task_name,
        "schedule": expression,
        "timezone": schedule.get("ScheduleExpressionTimezone") or "UTC",
        "target": target,
        "retry": _retry(target_spec.get("RetryPolicy"), result),
        "jitter_seconds": _jitter(schedule.get("FlexibleTimeWindow"), result),
        "tags": {**SOURCE_TAGS, SCHEDULE_TAG: arn},
    }
    if payload is not None:
        body["payload"] = payload
    if schedule.get("Description"):
        body["description"] = schedule["Description"]
    _window(schedule, body, result)
    _noted_settings(schedule, target_spec, result)
    _check(body, now, result)
    if not result.unsupported:
        result.body = body
    return result


def _target(target: Mapping[str, Any], result: Translation) -> dict[str, Any] | None:
    arn = target.get("Arn", "")
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        result.unsupported.append(f"the target {arn!r} is not an ARN")
        return None
    _, partition, service, region, account, resource = parts
    if service == "scheduler" and resource.startswith("aws-sdk:"):
        result.unsupported.append(
            f"a universal target ({resource}): Sundial does not call AWS APIs for a task"
        )
        return None
    if service == "lambda":
        # EventBridge Scheduler invokes functions asynchronously: Sundial's `event`.
        return {"type": "lambda", "arn": arn}
    if service == "sns":
        return {"type": "sns", "topic_arn": arn}
    if service == "sqs":
        group = (target.get("SqsParameters") or {}).get("MessageGroupId")
        if group:
            result.notes.append(f"SQS message group {group!r} replaced by the task's id")
        domain = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
        return {"type": "sqs", "queue_url": f"https://sqs.{region}.{domain}/{account}/{resource}"}
    if service == "events" and resource.startswith("event-bus/"):
        parameters = target.get("EventBridgeParameters") or {}
        if not parameters.get("Source") or not parameters.get("DetailType"):
            result.unsupported.append(
                "an EventBridge target without EventBridgeParameters (Source, DetailType)"
            )
            return None
        return {
            "type": "eventbridge",
            "bus": arn,
            "source": parameters["Source"],
            "detail_type": parameters["DetailType"],
        }
    kind = SERVICE_NAMES.get(service, service)
    result.unsupported.append(f"a {kind} target ({arn}): not a kind Sundial sends to")
    return None


def _payload(text: str | None, result: Translation) -> Any:
    """The payload `Input` stands for: its JSON value, or the text itself; None without
    one (the task's payload is then the API's default, `{}`)."""
    if text is None:
        return None
    if CONTEXT_ATTRIBUTE.search(text):
        found = ", ".join(sorted(set(CONTEXT_ATTRIBUTE.findall(text))))
        result.unsupported.append(
            f"the input's context attributes ({found}) would be sent as literal text"
        )
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _retry(policy: Mapping[str, Any] | None, result: Translation) -> dict[str, int]:
    policy = policy or {}
    retries = policy.get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS)
    age = policy.get("MaximumEventAgeInSeconds", DEFAULT_EVENT_AGE_SECONDS)
    attempts = retries + 1
    if attempts > MAX_ATTEMPTS_MAX:
        result.notes.append(f"{retries} retries capped: {MAX_ATTEMPTS_MAX} attempts, the limit")
        attempts = MAX_ATTEMPTS_MAX
    return {"max_attempts": attempts, "max_event_age_seconds": age}


def _jitter(window: Mapping[str, Any] | None, result: Translation) -> int:
    if not window or window.get("Mode") != "FLEXIBLE":
        return 0
    minutes = int(window.get("MaximumWindowInMinutes") or 0)
    seconds = minutes * 60
    if seconds > JITTER_MAX:
        result.notes.append(
            f"window of {minutes} min narrowed to {JITTER_MAX // 60} (the jitter limit)"
        )
        return JITTER_MAX
    return seconds


def _window(schedule: Mapping[str, Any], body: dict[str, Any], result: Translation) -> None:
    start, end = schedule.get("StartDate"), schedule.get("EndDate")
    if result.expression.strip().lower().startswith("at("):
        if start or end:
            result.notes.append("StartDate/EndDate left out: EventBridge ignores them for at()")
        return
    if start:
        body["start_at"] = _timestamp(start)
    if end:
        body["end_at"] = _timestamp(end)


def _timestamp(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _noted_settings(
    schedule: Mapping[str, Any], target: Mapping[str, Any], result: Translation
) -> None:
    dead_letters = (target.get("DeadLetterConfig") or {}).get("Arn")
    if dead_letters:
        result.notes.append(f"dead letters stay in Sundial's list, not sent to {dead_letters}")
    if schedule.get("KmsKeyArn"):
        result.notes.append(
            f"input key {schedule['KmsKeyArn']} not used: the payload is stored under "
            "the encryption of Sundial's tables"
        )
    if schedule.get("ActionAfterCompletion") == "DELETE":
        result.notes.append("kept, completed, after its last run (ActionAfterCompletion DELETE)")


def _check(body: dict[str, Any], now: datetime, result: Translation) -> None:
    """Refuse what the API would refuse: the definition (by the API's own model), or a
    schedule with no run left (an `at()` that passed, an `EndDate` behind us)."""
    try:
        spec = parse_task_create(body)
    except SundialError as exc:
        # The API's messages name the field ("target.source must not ...").
        result.unsupported.append(f"not valid in Sundial: {exc.message}")
        return
    timing = Timing(
        task_id=result.task_name,
        schedule=spec.schedule,
        timezone=spec.timezone,
        created_at=now,
        start_at=spec.start_at,
        end_at=spec.end_at,
        jitter_seconds=spec.jitter_seconds,
        misfire_policy=spec.misfire.policy,
        grace_seconds=spec.misfire.grace_seconds,
    )
    if first_due_at(timing, now) is None:
        result.unsupported.append("no run left: its last scheduled time has passed")
