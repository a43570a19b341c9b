"""Request and response bodies of the routes that the task model does not already define.

The task resource itself (`TaskSpec`, `TaskUpdate`, `TaskView`) lives in
`sundial.core.task`; these are the envelopes around it and the smaller bodies (preview,
backfill, trigger, runs, dead letters, errors). Every request model rejects unknown
fields, so typos surface, and every one is in the generated OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from sundial.core.task import SCHEDULE_MAX_LENGTH, RunView, TaskView, Timestamp
from sundial.core.task.exclude import CalendarDates, Exclude
from sundial.core.task.limits import DESCRIPTION_MAX_LENGTH

# The API's bounds: ?limit= is 1-100 (default 50); preview's count is 1-100 (default 5).
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
DEFAULT_PREVIEW_COUNT = 5
MAX_PREVIEW_COUNT = 100
# A redrive names at most this many executions: one request stays well inside the API
# Gateway timeout (29 s) even when every one of them must be re-enqueued.
MAX_REDRIVE_IDS = 1000
# An Idempotency-Key is a client's UUID or similar; longer ones are not keys, they are payloads.
MAX_IDEMPOTENCY_KEY_LENGTH = 255


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests ------------------------------------------------------------------------------


class PreviewRequest(_Request):
    """`POST /preview`: the next fire times of a schedule; nothing is stored."""

    schedule: Annotated[
        StrictStr, Field(min_length=1, max_length=SCHEDULE_MAX_LENGTH, examples=["0 30 2 * * *"])
    ]
    timezone: Annotated[StrictStr, Field(examples=["Europe/Berlin"])] = "UTC"
    after: Annotated[Timestamp | None, Field(description="exclusive; default now")] = None
    count: Annotated[StrictInt, Field(ge=1, le=MAX_PREVIEW_COUNT)] = DEFAULT_PREVIEW_COUNT
    exclude: Exclude = Field(default_factory=list, json_schema_extra={"default": []})


class BackfillRequest(_Request):
    """`POST /tasks/{id}/backfill`: run the scheduled times in [start, end] now, each
    carrying its scheduled time (run `fire_at`, X-Sundial-Scheduled-Time)."""

    start: Timestamp
    end: Timestamp


class RedriveRequest(_Request):
    """`POST /dead-letters/redrive`: the executions to redrive; all of the tenant's if absent."""

    execution_ids: Annotated[
        list[Annotated[StrictStr, Field(min_length=1, max_length=512)]] | None,
        Field(max_length=MAX_REDRIVE_IDS),
    ] = None


class CalendarPut(_Request):
    """`PUT /calendars/{name}`: the calendar's days (dates and inclusive date ranges)."""

    description: Annotated[StrictStr, Field(max_length=DESCRIPTION_MAX_LENGTH)] = ""
    dates: CalendarDates


# --- responses -----------------------------------------------------------------------------


class TaskList(BaseModel):
    tasks: list[TaskView]
    next_token: str | None


class RunList(BaseModel):
    runs: list[RunView]
    next_token: str | None


class PreviewResponse(BaseModel):
    fire_times: list[Timestamp]
    description: str


class TriggerResponse(BaseModel):
    execution_id: str


class BackfillResponse(BaseModel):
    fires: int


class DeadLetterView(BaseModel):
    """A dead-lettered execution, as `GET /dead-letters` lists it."""

    model_config = ConfigDict(extra="allow")

    execution_id: str
    task_id: str
    fire_at: Timestamp | None = None
    attempt: int | None = None
    error: str | None = None
    reason: str | None = Field(
        default=None,
        description=(
            "why the run was dead-lettered: permanent (the target refused it for good), "
            "attempts_exhausted or event_too_old (retry.max_event_age_seconds passed)"
        ),
    )
    dead_lettered_at: Timestamp | None = None


class DeadLetterList(BaseModel):
    dead_letters: list[DeadLetterView]
    next_token: str | None = None


class RedriveResponse(BaseModel):
    redriven: int


class CalendarView(BaseModel):
    """A calendar: days that tasks naming it (`"exclude": ["calendar:NAME"]`) do not fire on."""

    name: str
    description: str
    dates: list[str]
    updated_at: Timestamp


class CalendarList(BaseModel):
    calendars: list[CalendarView]


class ErrorDetail(BaseModel):
    code: str = Field(examples=["validation_error"])
    message: str
    field: str | None = Field(examples=["retry.max_attempts"])


class ErrorEnvelope(BaseModel):
    """The body of every error response: a code, a human message and the field at fault."""

    error: ErrorDetail
