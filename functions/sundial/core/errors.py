"""Errors a user can cause, each with its API error code and the field it names."""

from __future__ import annotations

from sundial.core.vocabulary import ErrorCode


class SundialError(Exception):
    """An error with a machine-readable code, an HTTP status and the offending field.

    `field` is the dotted path of the request field at fault (`retry.max_attempts`),
    or None when no single field is to blame.
    """

    code = ErrorCode.VALIDATION_ERROR
    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: ErrorCode | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, object]:
        """The API's error envelope."""
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class ScheduleError(SundialError):
    """A schedule expression or time zone that cannot be used.

    `code` is `invalid_schedule` (field `schedule`) or `invalid_timezone` (field `timezone`).
    """

    code = ErrorCode.INVALID_SCHEDULE

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode = ErrorCode.INVALID_SCHEDULE,
        field: str | None = None,
    ):
        if field is None:
            field = "timezone" if code == ErrorCode.INVALID_TIMEZONE else "schedule"
        super().__init__(message, field=field, code=code)


class ValidationError(SundialError):
    """Any other bad field: unknown fields, wrong types, values out of bounds."""

    code = ErrorCode.VALIDATION_ERROR


class InvalidTarget(SundialError):
    """Anything wrong inside `target`."""

    code = ErrorCode.INVALID_TARGET


class PayloadTooLarge(SundialError):
    """The payload exceeds what one SQS message and one DynamoDB item can carry."""

    code = ErrorCode.PAYLOAD_TOO_LARGE
    status = 413
