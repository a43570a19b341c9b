"""The field types a task is made of, and the one error every validator raises.

Validators raise `invalid(...)`; `sundial.core.task.parsing` turns it (and pydantic's
own errors) into the API's error. Messages are predicates that get the field path put
in front of them: "must be between 1 and 100" becomes
"retry.max_attempts must be between 1 and 100".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictStr,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from sundial.core.clock import (
    EARLIEST_INSTANT,
    LATEST_INSTANT,
    format_timestamp,
    in_planning_range,
)
from sundial.core.errors import ScheduleError
from sundial.core.task.limits import (
    DESCRIPTION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    NAME_PATTERN,
    PAYLOAD_MAX_BYTES,
    SCHEDULE_MAX_LENGTH,
    TAG_KEY_MAX_LENGTH,
    TAG_KEY_PATTERN,
    TAG_VALUE_MAX_LENGTH,
    TAGS_MAX_COUNT,
)
from sundial.core.vocabulary import ErrorCode
from sundial.core.zones import load_zone

# The pydantic error type of `invalid`: the translator reads its context.
ERROR_TYPE = "sundial"


class StrictModel(BaseModel):
    """Unknown fields are rejected everywhere, so typos surface."""

    model_config = ConfigDict(extra="forbid")


def invalid(
    reason: str, *, at: tuple[str, ...] = (), code: ErrorCode | None = None, sentence: bool = False
) -> PydanticCustomError:
    """A validation failure for `parsing.to_sundial_error` to translate.

    `reason` is a predicate ("must be ...") that gets the field path put in front of it,
    or, with `sentence=True`, a complete message. `at` extends the error's location below
    the validated value (a dict key, a sibling field). `code` overrides the code the
    location implies.
    """
    return PydanticCustomError(
        ERROR_TYPE, "{reason}", {"reason": reason, "at": at, "code": code, "sentence": sentence}
    )


def matching(pattern: re.Pattern[str], hint: str) -> Callable[[str], str]:
    """A validator: the whole string matches `pattern`, else "must be <hint>"."""

    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise invalid(f"must be {hint}")
        return value

    return check


def no_control_characters(value: str) -> str:
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        raise invalid("must not contain control characters such as line breaks")
    return value


_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?P<offset>[Zz]|[+-]\d{2}:\d{2})?"
)


def _parse_timestamp(value: object) -> datetime:
    """An aware datetime from an RFC 3339 string with an explicit offset (or an aware datetime).

    Naive times are refused: "09:00" means different instants in different zones, and
    the task's `timezone` governs its schedule, not its window.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise invalid("must include a UTC offset")
        return _in_range(value)
    if not isinstance(value, str):
        raise invalid("must be an RFC 3339 timestamp string such as 2026-01-01T09:00:00Z")
    match = _RFC3339.fullmatch(value)
    if not match:
        raise invalid("must be an RFC 3339 timestamp such as 2026-01-01T09:00:00Z")
    if not match["offset"]:
        raise invalid(
            "must include a UTC offset, e.g. 2026-01-01T09:00:00Z or 2026-01-01T09:00:00+01:00"
        )
    try:
        parsed = datetime.fromisoformat(value.upper())
    except ValueError:
        raise invalid("is not a valid date and time") from None
    return _in_range(parsed)


def _in_range(value: datetime) -> datetime:
    if not in_planning_range(value):
        raise invalid(
            f"must be between {format_timestamp(EARLIEST_INSTANT)} and "
            f"{format_timestamp(LATEST_INSTANT)}"
        )
    return value


Timestamp: TypeAlias = Annotated[
    datetime,
    BeforeValidator(_parse_timestamp),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
    # The serializer's `str` would make responses plain strings in the OpenAPI document:
    # requests and responses alike carry RFC 3339 date-times.
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def _check_timezone(value: str) -> str:
    try:
        load_zone(value)
    except ScheduleError as exc:
        raise invalid(exc.message, code=exc.code, sentence=True) from None
    return value


TimeZoneName: TypeAlias = Annotated[StrictStr, AfterValidator(_check_timezone)]
TaskName: TypeAlias = Annotated[
    StrictStr,
    Field(max_length=NAME_MAX_LENGTH, examples=["nightly-report"]),
    AfterValidator(
        matching(
            NAME_PATTERN,
            f"1-{NAME_MAX_LENGTH} letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        )
    ),
]
ScheduleExpression: TypeAlias = Annotated[
    StrictStr, Field(min_length=1, max_length=SCHEDULE_MAX_LENGTH, examples=["0 30 2 * * *"])
]
Description: TypeAlias = Annotated[StrictStr, Field(max_length=DESCRIPTION_MAX_LENGTH)]


def encode_payload(payload: Any) -> bytes:
    """The compact JSON body a target receives; the size limit applies to exactly this."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def _check_payload(value: Any) -> Any:
    try:
        size = len(encode_payload(value))
    except (TypeError, ValueError):
        raise invalid("must be plain JSON (NaN and Infinity are not JSON)") from None
    if size > PAYLOAD_MAX_BYTES:
        raise invalid(
            f"is {size} bytes as JSON; the limit is {PAYLOAD_MAX_BYTES} bytes (256 KiB)",
            code=ErrorCode.PAYLOAD_TOO_LARGE,
        )
    return value


Payload: TypeAlias = Annotated[Any, AfterValidator(_check_payload)]


def _check_tags(tags: dict[str, str]) -> dict[str, str]:
    for key, value in tags.items():
        if not TAG_KEY_PATTERN.fullmatch(key):
            raise invalid(
                f"is not a valid tag key: use 1-{TAG_KEY_MAX_LENGTH} letters, digits or "
                "_ . / @ + = -, "
                "starting with a letter or digit",
                at=(key,),
            )
        if len(value) > TAG_VALUE_MAX_LENGTH:
            raise invalid(f"must be at most {TAG_VALUE_MAX_LENGTH} characters", at=(key,))
    return tags


Tags: TypeAlias = Annotated[
    dict[StrictStr, StrictStr], Field(max_length=TAGS_MAX_COUNT), AfterValidator(_check_tags)
]
