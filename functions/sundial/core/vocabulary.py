"""The words Sundial's stored items, queue messages, metrics and HTTP contract share.

Each is a `StrEnum`: a member is its value (`RunStatus.FAILED == "failed"`, and
`str()`, f-strings, `json.dumps` and pydantic all give `"failed"`), so what is stored,
sent and answered is the same plain string as the word it names, and a value read
back from DynamoDB or JSON compares equal to its member without conversion.
"""

from __future__ import annotations

from enum import StrEnum


class TaskState(StrEnum):
    """A task's state: whether its schedule still fires it."""

    ACTIVE = "active"  # due to fire: the dispatcher sees it
    PAUSED = "paused"  # scheduled fires are dropped; triggers still run
    COMPLETED = "completed"  # no fire left (a one-time `at(...)` fired, `end_at` passed)


class PauseReason(StrEnum):
    """Why a paused task is paused."""

    USER = "user"  # POST /tasks/{id}/pause
    FAILURES = "failures"  # `pause_after_failures` consecutive runs failed


class EventType(StrEnum):
    """The events a task's notifications can ask for."""

    RUN_SUCCEEDED = "run.succeeded"
    RUN_FAILED = "run.failed"  # a run's final failure
    RUN_RETRYING = "run.retrying"  # a failed attempt with another to come
    RUN_DEAD_LETTERED = "run.dead_lettered"
    TASK_PAUSED = "task.paused"  # by `pause_after_failures`
    TASK_COMPLETED = "task.completed"


class RunStatus(StrEnum):
    """A run's status: where one execution of a task stands."""

    RUNNING = "running"  # claimed: a worker holds its lease
    RETRYING = "retrying"  # waiting for its next attempt (backoff, redrive): claimable
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # for good: dead-lettered
    SKIPPED = "skipped"  # not run, with a `reason` (overlap)


# A run in one of these never runs again (unless redriven from `failed`): a message for
# it is a duplicate.
FINISHED_RUN_STATUSES = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SKIPPED})


class FireKind(StrEnum):
    """Why a fire message was sent (its `kind`)."""

    SCHEDULED = "scheduled"  # the dispatcher, from the schedule
    MANUAL = "manual"  # `POST /tasks/{id}/trigger`
    BACKFILL = "backfill"  # `POST /tasks/{id}/backfill`
    REDRIVE = "redrive"  # `POST /dead-letters/redrive`


class Outcome(StrEnum):
    """What became of one delivered fire message in the executor.

    The first four are the run's new status; the rest say what happened to the message
    instead of a run. Each is counted by a metric of its own or of its group.
    """

    # The run's new status.
    SUCCEEDED = RunStatus.SUCCEEDED.value
    RETRYING = RunStatus.RETRYING.value
    FAILED = RunStatus.FAILED.value
    SKIPPED = RunStatus.SKIPPED.value
    # Dropped (acknowledged) without running.
    DUPLICATE = "duplicate"  # the run already finished
    STALE = "stale"  # the task is gone or paused, or was rescheduled since
    MALFORMED = "malformed"  # not a fire message: dead-lettered
    SUPERSEDED = "superseded"  # the attempt lost its claim to a newer one
    # Back to the queue, to be delivered again later.
    EARLY = "early"  # more than a second before its fire time
    NO_TIME = "no_time"  # too little time left in this invocation to start
    LEASE_HELD = "lease_held"  # another worker runs it now
    NOT_YET_DUE = "not_yet_due"  # its retry backoff has not passed
    WAITING = "waiting"  # buffered behind the task's running run (overlap buffer_one)
    ERROR = "error"  # an unexpected error; retried after a short backoff


class ErrorCode(StrEnum):
    """The `code` of every error body a client can get."""

    # Set by the API's own errors.
    VALIDATION_ERROR = "validation_error"
    INVALID_SCHEDULE = "invalid_schedule"
    INVALID_TIMEZONE = "invalid_timezone"
    INVALID_TARGET = "invalid_target"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    NAME_CONFLICT = "name_conflict"
    CALENDAR_IN_USE = "calendar_in_use"
    VERSION_MISMATCH = "version_mismatch"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    ENQUEUE_FAILED = "enqueue_failed"
    INTERNAL_ERROR = "internal_error"
    # Set by API Gateway's own responses (template.yaml GatewayResponses), never by a
    # function: throttling, denied callers, requests it refuses before any function.
    RATE_LIMITED = "rate_limited"
    FORBIDDEN = "forbidden"
    BAD_REQUEST = "bad_request"
    # Not an HTTP answer: the reason a work-queue message is dead-lettered unread.
    MALFORMED_MESSAGE = "malformed_message"
