"""A task's definition: its policies and `TaskSpec`, what `POST /tasks` takes and the
store persists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, Field, StrictInt, ValidationInfo, model_validator

from sundial.core.clock import format_timestamp
from sundial.core.errors import ScheduleError
from sundial.core.schedule import parse_schedule
from sundial.core.task.exclude import Exclude
from sundial.core.task.fields import (
    Description,
    Payload,
    ScheduleExpression,
    StrictModel,
    Tags,
    TaskName,
    Timestamp,
    TimeZoneName,
    invalid,
)
from sundial.core.task.limits import (
    BACKOFF_MAX,
    BACKOFF_MIN,
    GRACE_MAX,
    GRACE_MIN,
    HIDDEN_HEADER_VALUE,
    JITTER_MAX,
    JITTER_MIN,
    MAX_ATTEMPTS_MAX,
    MAX_ATTEMPTS_MIN,
    MAX_BACKOFF_MAX,
    MAX_BACKOFF_MIN,
    MAX_EVENT_AGE_MAX,
    MAX_EVENT_AGE_MIN,
    MAX_RUNS_MAX,
    MAX_RUNS_MIN,
    PAUSE_AFTER_FAILURES_MAX,
    PAUSE_AFTER_FAILURES_MIN,
    TIMEOUT_MAX,
    TIMEOUT_MIN,
)
from sundial.core.task.notifications import HttpDestination, Notifications
from sundial.core.task.targets import HttpTarget, Target, hidden_placeholders

MaxAttempts: TypeAlias = Annotated[StrictInt, Field(ge=MAX_ATTEMPTS_MIN, le=MAX_ATTEMPTS_MAX)]
BackoffSeconds: TypeAlias = Annotated[StrictInt, Field(ge=BACKOFF_MIN, le=BACKOFF_MAX)]
MaxBackoffSeconds: TypeAlias = Annotated[StrictInt, Field(ge=MAX_BACKOFF_MIN, le=MAX_BACKOFF_MAX)]
MaxEventAgeSeconds: TypeAlias = Annotated[
    StrictInt, Field(ge=MAX_EVENT_AGE_MIN, le=MAX_EVENT_AGE_MAX)
]
TimeoutSeconds: TypeAlias = Annotated[StrictInt, Field(ge=TIMEOUT_MIN, le=TIMEOUT_MAX)]
GraceSeconds: TypeAlias = Annotated[StrictInt, Field(ge=GRACE_MIN, le=GRACE_MAX)]
JitterSeconds: TypeAlias = Annotated[StrictInt, Field(ge=JITTER_MIN, le=JITTER_MAX)]
MaxRuns: TypeAlias = Annotated[
    StrictInt,
    Field(
        ge=MAX_RUNS_MIN,
        le=MAX_RUNS_MAX,
        description=(
            "After this many scheduled runs have been dispatched the task becomes "
            "`completed`; manual triggers and backfills do not count. null: no limit."
        ),
    ),
]
PauseAfterFailures: TypeAlias = Annotated[
    StrictInt,
    Field(
        ge=PAUSE_AFTER_FAILURES_MIN,
        le=PAUSE_AFTER_FAILURES_MAX,
        description=(
            "After this many consecutive runs that end `failed` (retries exhausted), the "
            "task pauses itself (`pause_reason: failures`). null: never."
        ),
    ),
]
Overlap: TypeAlias = Literal["allow", "skip", "buffer_one"]
MisfirePolicy: TypeAlias = Literal["fire_once", "fire_all", "skip"]


class Retry(StrictModel):
    """Exponential backoff with full jitter, capped, for at most `max_attempts` runs."""

    max_attempts: MaxAttempts = 3
    backoff_seconds: BackoffSeconds = 2
    max_backoff_seconds: MaxBackoffSeconds = 300
    max_event_age_seconds: MaxEventAgeSeconds = 86_400

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> Retry:
        if self.max_backoff_seconds < self.backoff_seconds:
            raise invalid(
                f"must be at least backoff_seconds ({self.backoff_seconds})",
                at=("max_backoff_seconds",),
            )
        return self


class Misfire(StrictModel):
    """What to do with fires missed for longer than `grace_seconds` (an outage, a backlog)."""

    policy: MisfirePolicy = "fire_once"
    grace_seconds: GraceSeconds = 60


def _check_schedule(expression: str, timezone: str) -> None:
    try:
        parse_schedule(expression, timezone)
    except ScheduleError as exc:
        at = tuple((exc.field or "schedule").split("."))
        raise invalid(exc.message, at=at, code=exc.code, sentence=True) from None


def _documented_default(factory: Callable[[], Any]) -> Any:
    """A field filled by `factory()` whose value also shows as the schema's `default`.

    pydantic leaves a factory's value out of the JSON schema; without it, generated
    clients take the omitted policy objects for "no default" and send null.
    """
    value = factory()
    shown = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return Field(default_factory=factory, json_schema_extra={"default": shown})


class TaskSpec(StrictModel):
    """A task's definition: the POST body, with the API's defaults; what the store persists.

    `schedule` is checked against `timezone` once every field is valid on its own (the
    engine needs a valid zone). The task's id, state and version are not part of it.
    """

    name: TaskName | None = None
    schedule: ScheduleExpression
    timezone: TimeZoneName = "UTC"
    start_at: Timestamp | None = None
    end_at: Timestamp | None = None
    description: Description = ""
    target: Target
    payload: Payload = _documented_default(dict)
    retry: Retry = _documented_default(Retry)
    timeout_seconds: TimeoutSeconds = 30
    overlap: Overlap = "allow"
    misfire: Misfire = _documented_default(Misfire)
    jitter_seconds: JitterSeconds = 0
    tags: Tags = _documented_default(dict)
    max_runs: MaxRuns | None = None
    pause_after_failures: PauseAfterFailures | None = None
    exclude: Exclude = _documented_default(list)
    notifications: Notifications = _documented_default(list)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> TaskSpec:
        _check_schedule(self.schedule, self.timezone)
        if not (info.context or {}).get(AS_SHOWN):
            # A value copied from a response is not the credential: a PATCH that sends
            # it back keeps the stored value (`apply_update`); anywhere else it is a
            # mistake that would send `***` to the target.
            for at, webhook in self._webhooks():
                hidden = hidden_placeholders(webhook.headers)
                if hidden:
                    raise invalid(
                        f"is hidden in responses as {HIDDEN_HEADER_VALUE!r}; send its real value",
                        at=(*at, "headers", hidden[0]),
                    )
        if self.start_at and self.end_at and self.end_at <= self.start_at:
            after = format_timestamp(self.start_at)
            raise invalid(f"must be after start_at ({after})", at=("end_at",))
        return self

    def _webhooks(self) -> list[tuple[tuple[str, ...], HttpTarget]]:
        """The HTTP target and HTTP notification destinations, with their field paths."""
        found: list[tuple[tuple[str, ...], HttpTarget]] = []
        if isinstance(self.target, HttpTarget):
            found.append((("target",), self.target))
        for index, notification in enumerate(self.notifications):
            if isinstance(notification.destination, HttpDestination):
                found.append(
                    (("notifications", str(index), "destination"), notification.destination)
                )
        return found


# Validation context for a definition read back from a response (a client comparing it
# with its own): credential header values come masked there, by design.
AS_SHOWN = "as_shown"


# The `POST /tasks` body is a whole definition.
TaskCreate = TaskSpec
