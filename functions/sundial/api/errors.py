"""One error envelope for every failure the API can answer with (docs/api.md "Errors").

Domain and store errors already are `SundialError`s carrying their code, status and
field. This module adds the errors only the HTTP layer can cause (no route, wrong
method, unauthenticated, idempotency conflicts) and routes Powertools' validation
errors to the one pydantic-error translator (`sundial.core.task.parsing`), so a client
never sees their default 422 bodies, a Python message or a stack trace.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from sundial.core.errors import SundialError, ValidationError
from sundial.core.task import parameter_error, to_sundial_error
from sundial.core.vocabulary import ErrorCode

JSON = "application/json"


class Unauthenticated(SundialError):
    """No tenant could be established for the request."""

    code = ErrorCode.UNAUTHORIZED
    status = 401

    def __init__(self, message: str = "Authentication is required: send a valid API key."):
        super().__init__(message)


class RouteNotFound(SundialError):
    code = ErrorCode.NOT_FOUND
    status = 404

    def __init__(self, method: str, path: str):
        super().__init__(f"There is no route {method} {path}; see /v1/docs for the API.")


class MethodNotAllowed(SundialError):
    code = ErrorCode.METHOD_NOT_ALLOWED
    status = 405

    def __init__(self, method: str, path: str, allowed: Sequence[str]):
        super().__init__(f"{path} does not accept {method}; it accepts {', '.join(allowed)}.")
        self.allowed = list(allowed)


class UnsupportedMediaType(SundialError):
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE
    status = 415

    def __init__(self, content_type: str):
        super().__init__(
            f"The request body must be JSON sent with Content-Type: application/json, "
            f"not {content_type}."
        )


class IdempotencyKeyReused(SundialError):
    code = ErrorCode.IDEMPOTENCY_KEY_REUSED
    status = 409

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used with a different request body; "
            "use a new key for a different request.",
            field="Idempotency-Key",
        )


class IdempotencyInProgress(SundialError):
    code = ErrorCode.IDEMPOTENCY_IN_PROGRESS
    status = 409

    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still being processed; "
            "retry in a few seconds to get its response.",
            field="Idempotency-Key",
        )


class InternalError(SundialError):
    code = ErrorCode.INTERNAL_ERROR
    status = 500

    def __init__(self) -> None:
        super().__init__("Something went wrong on our side; it has been logged. Please retry.")


def error_body(error: SundialError) -> str:
    return json.dumps(error.to_dict())


def error_headers(error: SundialError) -> dict[str, str]:
    if isinstance(error, MethodNotAllowed):
        return {"Allow": ", ".join(error.allowed)}
    return {}


# --- Powertools / pydantic request validation -----------------------------------------------

# Where Powertools says a bad value came from.
_BODY, _HEADER = "body", "header"


def from_validation_errors(
    errors: Sequence[Mapping[str, Any]], body_model: type[BaseModel] | None
) -> SundialError:
    """The API error for the first problem in Powertools' RequestValidationError list.

    Body problems are named by the request model's own translation (codes
    `invalid_schedule`, `invalid_target`, ... and dotted paths such as
    `retry.max_attempts`); query, header and path problems by the parameter's name.
    """
    if not errors:
        return ValidationError("The request is not valid.")
    body_errors = [e for e in errors if e["loc"] and e["loc"][0] == _BODY]
    if body_errors:
        return _body_error(body_errors, body_model)
    error = errors[0]
    loc = tuple(error["loc"])
    name = str(loc[1]) if len(loc) > 1 else None
    if loc[0] == _HEADER and name is not None:
        name = _header_name(name)
    return parameter_error(error, name)


def _body_error(errors: Sequence[Mapping[str, Any]], model: type[BaseModel] | None) -> SundialError:
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    kind, loc = first["type"], tuple(first["loc"])
    if kind == "json_invalid":
        reason = (first.get("ctx") or {}).get("error", "it cannot be parsed")
        position = f" (at character {loc[1]})" if len(loc) > 1 else ""
        return ValidationError(f"The request body is not valid JSON: {reason}{position}.")
    if len(loc) == 1 and kind == "missing":
        return ValidationError("The request body is required: send a JSON object.")
    if len(loc) == 1 and kind in ("model_attributes_type", "model_type", "dict_type"):
        return ValidationError("The request body must be a JSON object.")
    relative = [{**e, "loc": tuple(e["loc"])[1:]} for e in errors]
    if model is None:  # cannot happen for routes declared with a model; stay generic
        return ValidationError("The request body is not valid.")
    return to_sundial_error(relative, model)


def _header_name(name: str) -> str:
    # Powertools reports headers lower-cased; clients know them as e.g. `If-Match`.
    return "-".join(part.capitalize() for part in name.split("-"))
