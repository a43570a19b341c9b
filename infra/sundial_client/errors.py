"""What a call to the Sundial API can end in besides a result.

* `ApiError`: the API answered with an error. It carries the error envelope's `code`,
  `message` and `field` (the dotted path of the offending field, or None) and the HTTP
  `status`; a subclass per kind of refusal lets callers catch the ones they handle.
* `Unreachable`: no answer at all (connection refused, DNS, TLS, timeout, a connection
  dropped before the response), after the retries the policy allows.
"""

from __future__ import annotations


class SundialClientError(Exception):
    """Every failure the client raises."""


class ApiError(SundialClientError):
    """An error response: the envelope's `code`, `message`, `field`, and the HTTP `status`.

    `after_lost_attempt` is True when an earlier attempt of the same call was sent but
    its answer was lost: that attempt may have taken effect, and this error may be its
    consequence (a retried delete finding the task already gone).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        *,
        after_lost_attempt: bool = False,
    ):
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.after_lost_attempt = after_lost_attempt
        where = f" ({field})" if field else ""
        super().__init__(f"{code}{where}: {message}")


class BadRequest(ApiError):
    """400: the request is invalid (`invalid_schedule`, `invalid_target`, `validation_error`)."""


class Unauthorized(ApiError):
    """401: missing or invalid credentials."""


class NotFound(ApiError):
    """404: no such task (a task of another tenant is not found either)."""


class Conflict(ApiError):
    """409: a name taken (`name_conflict`), an Idempotency-Key reused with another body."""


class VersionMismatch(ApiError):
    """412: `If-Match` named a version the task no longer has: someone changed it."""


class PayloadTooLarge(ApiError):
    """413: the payload exceeds the API's limit."""


class RateLimited(ApiError):
    """429: too many requests, still refused after the retries."""


class ServerError(ApiError):
    """5xx: the API or its gateway failed, still failing after the retries."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    404: NotFound,
    409: Conflict,
    412: VersionMismatch,
    413: PayloadTooLarge,
    429: RateLimited,
}


def error_class(status: int) -> type[ApiError]:
    """The ApiError subclass for an HTTP status (ApiError itself for the others)."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, ApiError)


class Unreachable(SundialClientError):
    """The API gave no answer: it could not be reached, or the answer was lost."""
