"""What can go wrong in a store operation, one exception per outcome a caller handles.

Errors a user can cause carry their API error code and HTTP status (they are
`SundialError`s), so the API maps them without a lookup table. The rest are
outcomes of races between workers that the dispatcher and executor act on.
"""

from __future__ import annotations

from sundial.core.errors import SundialError
from sundial.core.vocabulary import ErrorCode


class StoreError(Exception):
    """Base of every store error."""


# --- tasks -----------------------------------------------------------------------------


class TaskNotFound(StoreError, SundialError):
    """No such task for this tenant (another tenant's task is reported exactly like this)."""

    code = ErrorCode.NOT_FOUND
    status = 404

    def __init__(self, task_id: str):
        super().__init__(f"task {task_id} not found")
        self.task_id = task_id


class NameConflict(StoreError, SundialError):
    """The tenant already has a task with this name."""

    code = ErrorCode.NAME_CONFLICT
    status = 409

    def __init__(self, name: str):
        super().__init__(f"a task named {name!r} already exists", field="name")
        self.name = name


class VersionMismatch(StoreError, SundialError):
    """The task changed since the version the caller read (If-Match failed)."""

    code = ErrorCode.VERSION_MISMATCH
    status = 412

    def __init__(self, task_id: str, expected: int | None, actual: int | None):
        if expected is None:  # a merge lost every round to concurrent edits
            message = f"task {task_id} kept changing (now at version {actual}); retry the change"
        else:
            message = f"task {task_id} is at version {actual}, not {expected}"
        super().__init__(message)
        self.task_id = task_id
        self.expected = expected
        self.actual = actual


# --- calendars ---------------------------------------------------------------------------


class CalendarNotFound(StoreError, SundialError):
    """No such calendar for this tenant (another tenant's is reported exactly like this)."""

    code = ErrorCode.NOT_FOUND
    status = 404

    def __init__(self, name: str):
        super().__init__(f"calendar {name!r} not found")
        self.name = name


class UnknownCalendar(StoreError, SundialError):
    """A task's `exclude` names a calendar the tenant does not have."""

    code = ErrorCode.VALIDATION_ERROR
    status = 400

    def __init__(self, name: str):
        super().__init__(
            f"exclude names calendar:{name}, which does not exist; create it with "
            f"PUT /calendars/{name} first",
            field="exclude",
        )
        self.name = name


class CalendarInUse(StoreError, SundialError):
    """The calendar is named by a task's `exclude`, so it cannot be deleted."""

    code = ErrorCode.CALENDAR_IN_USE
    status = 409

    def __init__(self, name: str, references: int):
        super().__init__(
            f"calendar {name!r} is named by the exclude of {references} task(s); remove it "
            "from their exclude first"
        )
        self.name = name
        self.references = references


class TaskAlreadyExists(StoreError):
    """A task with this id exists already (an id was reused: a bug, ULIDs do not collide)."""

    def __init__(self, task_id: str):
        super().__init__(f"task {task_id} already exists")
        self.task_id = task_id


class InvalidPageToken(StoreError, SundialError):
    """A `next_token` that this listing did not issue: forged, tampered or from elsewhere."""

    code = ErrorCode.VALIDATION_ERROR
    status = 400

    def __init__(self, message: str = "next_token is not valid for this listing"):
        super().__init__(message, field="next_token")


class TransactionConflict(StoreError):
    """Concurrent transactions on the same items kept cancelling ours; nothing was written.

    Transient: the same request can be sent again.
    """


# --- runs ------------------------------------------------------------------------------


class ClaimRefused(StoreError):
    """The run could not be claimed; the subclass says why and what to do."""


class Duplicate(ClaimRefused):
    """The run already finished (succeeded, failed or skipped): drop the message."""

    def __init__(self, execution_id: str, status: str):
        super().__init__(f"{execution_id} already {status}")
        self.execution_id = execution_id
        self.status = status


class LeaseHeld(ClaimRefused):
    """Another worker is running this execution; retry after `lease_until` (epoch ms)."""

    def __init__(self, execution_id: str, lease_until: int):
        super().__init__(f"{execution_id} is leased until {lease_until}")
        self.execution_id = execution_id
        self.lease_until = lease_until


class NotYetDue(ClaimRefused):
    """The execution waits for its retry backoff; retry after `next_attempt_at` (epoch ms)."""

    def __init__(self, execution_id: str, next_attempt_at: int):
        super().__init__(f"{execution_id} retries at {next_attempt_at}")
        self.execution_id = execution_id
        self.next_attempt_at = next_attempt_at


class StaleAttempt(StoreError):
    """An outcome write by a worker that no longer holds the run.

    Its lease expired and a newer attempt took over (or the run finished): the
    newer attempt owns the record, so this outcome must not overwrite it.
    """

    def __init__(self, task_id: str, fire_key: str, attempt: int):
        super().__init__(f"attempt {attempt} of run {fire_key} (task {task_id}) no longer holds it")
        self.task_id = task_id
        self.fire_key = fire_key
        self.attempt = attempt
