"""From JSON to a model, or to the one API error that names the first problem.

This is the one translator of pydantic's errors: request bodies (the task's and the
API's smaller bodies built from the same field types) and request parameters alike.
Messages are sentences "<field> <predicate>", e.g.
"retry.max_attempts must be between 1 and 100".
"""

from __future__ import annotations

import difflib
import itertools
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import annotated_types
import pydantic
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sundial.core.errors import (
    InvalidTarget,
    PayloadTooLarge,
    ScheduleError,
    SundialError,
    ValidationError,
)
from sundial.core.task.fields import ERROR_TYPE
from sundial.core.task.notifications import DESTINATION_MODELS
from sundial.core.task.spec import TaskSpec
from sundial.core.task.targets import TARGET_MODELS
from sundial.core.vocabulary import ErrorCode

_ModelT = typing.TypeVar("_ModelT", bound=BaseModel)

_CODE_BY_FIELD = {
    "target": ErrorCode.INVALID_TARGET,
    "schedule": ErrorCode.INVALID_SCHEDULE,
    "timezone": ErrorCode.INVALID_TIMEZONE,
}
# The fields that hold a union of models told apart by `type`: pydantic's error
# locations name the chosen model's tag after them, which is not a field clients send.
_TAGGED_UNIONS: dict[str, dict[str, type[BaseModel]]] = {
    "target": TARGET_MODELS,
    "destination": DESTINATION_MODELS,
}
_ERROR_CLASS: dict[ErrorCode, type[SundialError]] = {
    ErrorCode.INVALID_TARGET: InvalidTarget,
    ErrorCode.INVALID_SCHEDULE: ScheduleError,
    ErrorCode.INVALID_TIMEZONE: ScheduleError,
    ErrorCode.PAYLOAD_TOO_LARGE: PayloadTooLarge,
    ErrorCode.VALIDATION_ERROR: ValidationError,
}
# How each kind of pydantic error reads after the name of the field (or parameter) it
# is about; the templates take the error's context.
_PREDICATES = {
    "missing": "is required",
    "int_parsing": "must be an integer",
    "int_type": "must be an integer",
    "string_type": "must be a string",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "literal_error": "must be one of {expected}",
    "enum": "must be one of {expected}",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "greater_than": "must be greater than {gt}",
    "less_than": "must be less than {lt}",
    "string_too_long": "must be at most {max_length} characters",
    "string_too_short": "must be at least {min_length} characters",
    "too_long": "must have at most {max_length} entries",
    "list_type": "must be a JSON array",
}


def parse_task_create(data: Any) -> TaskSpec:
    """A validated `POST /tasks` body, or the SundialError for its first problem."""
    return validate(TaskSpec, data)


def validate(model: type[_ModelT], data: Any, context: dict[str, Any] | None = None) -> _ModelT:
    """`data` (JSON-decoded) as a `model`, or the SundialError for its first problem;
    `context` is pydantic's validation context (e.g. `spec.AS_SHOWN`)."""
    if not isinstance(data, dict):
        raise ValidationError("The request body must be a JSON object.", field=None)
    try:
        return model.model_validate(data, context=context)
    except pydantic.ValidationError as exc:
        raise to_sundial_error(exc, model) from None


def to_sundial_error(
    exc: pydantic.ValidationError | Sequence[Any], model: type[BaseModel]
) -> SundialError:
    """The API error for the first problem pydantic found validating `model`.

    `exc` is pydantic's exception, or its `errors()` list with locations relative to
    `model` (as a web framework that validated the body reports them, minus its prefix).
    An unknown field is reported before anything else: a misspelled key usually is why
    the field it was meant to be is missing.
    """
    errors = exc.errors(include_url=False) if isinstance(exc, pydantic.ValidationError) else exc
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    ours = error["type"] == ERROR_TYPE
    ctx = error.get("ctx") or {}
    path = _dotted(tuple(error["loc"]) + (tuple(ctx["at"]) if ours else ()))
    code = ctx["code"] if ours and ctx["code"] else None
    code = code or _CODE_BY_FIELD.get(path.partition(".")[0], ErrorCode.VALIDATION_ERROR)
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        union = _TAGGED_UNIONS.get(str(error["loc"][-1]), TARGET_MODELS)
        path = f"{path}.type"
        message = f"{path} must be one of {', '.join(union)}"
    elif ours and ctx["sentence"]:
        message = ctx["reason"]
    else:
        message = f"{path or 'The request body'} {_predicate(error, model)}"
    return _ERROR_CLASS[code](message, field=path or None, code=code)


def parameter_error(error: Mapping[str, Any], name: str | None) -> ValidationError:
    """The API error for a bad query, header or path parameter, named as clients send it
    (None: the request as a whole)."""
    return ValidationError(f"{name or 'The request'} {_predicate(error, None)}", field=name)


def _dotted(loc: tuple[Any, ...]) -> str:
    """`target.url` for pydantic's `('target', 'http', 'url')`: the union tag is not a field."""
    parts = [str(part) for part in loc if part != "[key]"]
    dotted = parts[:1]
    for before, part in itertools.pairwise(parts):
        if part not in _TAGGED_UNIONS.get(before, {}):
            dotted.append(part)
    return ".".join(dotted)


def _predicate(error: Mapping[str, Any], model: type[BaseModel] | None) -> str:
    """What is wrong with the value, for a field of `model` or (None) a request parameter."""
    kind, loc = error["type"], tuple(error["loc"])
    ctx = dict(error.get("ctx") or {})
    if kind == ERROR_TYPE:
        return str(ctx["reason"])
    if model is None:
        # A parameter is plain text in a URL or a header: its choices read bare, not
        # quoted as pydantic quotes them (a body's choices are JSON strings).
        ctx = {key: _bare(value) for key, value in ctx.items()}
    elif kind == "extra_forbidden":
        known, _ = _walk(model, loc[:-1])
        names = list(known.model_fields) if known else []
        close = difflib.get_close_matches(str(loc[-1]), names, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"known fields: {', '.join(names)}"
        return f"is not a known field ({hint})"
    elif kind in ("greater_than_equal", "less_than_equal"):
        low, high = _bounds(_walk(model, loc)[1])
        if low is not None and high is not None:
            return f"must be between {low} and {high}"
    elif kind == "string_too_short":
        return "must not be empty"  # every bounded string of a body has a minimum of 1
    elif kind == "too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    template = _PREDICATES.get(kind)
    if template is not None:
        return template.format(**ctx)
    return f"is not valid ({error['msg']})" if model is not None else "is not valid"


def _bare(value: Any) -> Any:
    return value.replace("'", "") if isinstance(value, str) else value


def _walk(
    model: type[BaseModel], loc: tuple[Any, ...]
) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """The model found at `loc` below `model` (if one is), and the field `loc` names last."""
    candidates: list[type[BaseModel]] = [model]
    info: FieldInfo | None = None
    for before, part in zip((None, *loc), loc, strict=False):
        tagged = _TAGGED_UNIONS.get(str(before), {}).get(str(part))
        if tagged is not None and tagged in candidates:
            candidates = [tagged]
            continue
        if isinstance(part, int):  # a list's entry: the list's models are its entries'
            continue
        owner = next((m for m in candidates if part in m.model_fields), None)
        if owner is None:
            return None, None
        info = owner.model_fields[part]
        candidates = _models_in(info.annotation)
    return (candidates[0] if len(candidates) == 1 else None), info


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The model classes an annotation may hold (`Retry`, `Target | None`, ...)."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    if origin is list:
        return _models_in(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def _bounds(info: FieldInfo | None) -> tuple[Any, Any]:
    """The (ge, le) bounds of a field, wherever its annotation keeps them."""
    if info is None:
        return None, None
    metadata = list(info.metadata)
    for arg in typing.get_args(info.annotation):  # `MaxAttempts | None` keeps them inside
        if typing.get_origin(arg) is Annotated:
            for extra in typing.get_args(arg)[1:]:
                metadata += getattr(extra, "metadata", [extra])
    low = next((m.ge for m in metadata if isinstance(m, annotated_types.Ge)), None)
    high = next((m.le for m in metadata if isinstance(m, annotated_types.Le)), None)
    return low, high
