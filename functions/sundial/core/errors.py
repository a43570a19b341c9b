"""Errors a user can cause, each with the API.md error code and the field it names."""

from __future__ import annotations


class SundialError(Exception):
    """An error with a machine-readable code, an HTTP status and the offending field.

    `field` is the dotted path of the request field at fault (`retry.max_attempts`),
    or None when no single field is to blame.
    """

    code = "validation_error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, object]:
        """The API.md error envelope."""
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class ScheduleError(SundialError):
    """A schedule expression or time zone that cannot be used.

    `code` is `invalid_schedule` (field `schedule`) or `invalid_timezone` (field `timezone`).
    """

    code = "invalid_schedule"

    def __init__(self, message: str, *, code: str = "invalid_schedule", field: str | None = None):
        if field is None:
            field = "timezone" if code == "invalid_timezone" else "schedule"
        super().__init__(message, field=field, code=code)


class ValidationError(SundialError):
    """Any other bad field: unknown fields, wrong types, values out of bounds."""

    code = "validation_error"


class InvalidTarget(SundialError):
    """Anything wrong inside `target`."""

    code = "invalid_target"


class PayloadTooLarge(SundialError):
    """The payload exceeds what one SQS message and one DynamoDB item can carry."""

    code = "payload_too_large"
    status = 413
