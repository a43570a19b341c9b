"""The task resource of API.md: what a user may send, what is stored, what is returned.

* `TaskSpec` (alias `TaskCreate`) is a task's full definition: the `POST /tasks` body,
  with every default filled in, and what the store persists (including the HTTP target's
  `signing_secret`).
* `TaskUpdate` is the `PATCH /tasks/{id}` body; `apply_update` merges it into a spec and
  validates the result as a whole.
* `TaskView` is the response shape: the spec without secrets, plus state, version,
  timestamps and the next fire times.
* `parse_task_create` / `parse_task_update` turn JSON-decoded input into a model or raise
  the one `SundialError` that names the first thing wrong (code and dotted field path).

Every validator raises `_invalid(...)`; `to_sundial_error` turns pydantic's error list
into the API.md error. Messages are sentences "<field> <predicate>", e.g.
"retry.max_attempts must be between 1 and 100".
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, TypeAlias
from urllib.parse import urlsplit

import annotated_types
import pydantic
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictInt,
    StrictStr,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from sundial.core.errors import (
    InvalidTarget,
    PayloadTooLarge,
    ScheduleError,
    SundialError,
    ValidationError,
)
from sundial.core.limits import (
    LAMBDA_MAX_TIMEOUT_SECONDS,
    SQS_MAX_MESSAGE_BYTES,
    SQS_MAX_RETENTION_SECONDS,
    SQS_MAX_VISIBILITY_SECONDS,
)
from sundial.core.schedule import parse_schedule
from sundial.core.zones import load_zone

# ---------------------------------------------------------------------------------------
# Limits. Each is a contract with users; the reason is why it is not larger.
# ---------------------------------------------------------------------------------------

# Names appear in URLs, logs and CLI arguments: short, and no characters that need quoting.
NAME_MAX_LENGTH = 64
NAME_PATTERN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{NAME_MAX_LENGTH - 1}}}")
# Longer than any real cron/rate/at/@every expression; bounds the parser's work.
SCHEDULE_MAX_LENGTH = 256
# A note for humans, not a document store: keeps the task item small.
DESCRIPTION_MAX_LENGTH = 1024
# 256 KiB: the SQS message size limit, and a comfortable share of DynamoDB's 400 KB item.
PAYLOAD_MAX_BYTES = SQS_MAX_MESSAGE_BYTES

# Retries are bounded by SQS: a message's visibility can be extended by at most 12 hours
# at a time, and SQS keeps a message at most 14 days.
MAX_ATTEMPTS_MIN, MAX_ATTEMPTS_MAX = 1, 100
BACKOFF_MIN, BACKOFF_MAX = 0, 3600
MAX_BACKOFF_MIN, MAX_BACKOFF_MAX = 1, SQS_MAX_VISIBILITY_SECONDS
MAX_EVENT_AGE_MIN, MAX_EVENT_AGE_MAX = 60, SQS_MAX_RETENTION_SECONDS
# A run executes inside one Lambda invocation, which lasts at most 15 minutes.
TIMEOUT_MIN, TIMEOUT_MAX = 1, LAMBDA_MAX_TIMEOUT_SECONDS
# A day: a fire later than that is not "late" any more, it is a different fire.
GRACE_MIN, GRACE_MAX = 0, 86_400
# Jitter spreads load inside the hour; beyond that it changes what the schedule means.
JITTER_MIN, JITTER_MAX = 0, 3600

# Tags are for filtering (`?tag=k:v`): keys have no `:` so the filter is unambiguous.
TAGS_MAX_COUNT = 50
TAG_KEY_MAX_LENGTH = 128
TAG_KEY_PATTERN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_./@+=-]{{0,{TAG_KEY_MAX_LENGTH - 1}}}")
TAG_VALUE_MAX_LENGTH = 256

# HTTP targets. Headers are stored in the task item and sent on every attempt; most
# servers refuse requests whose header block exceeds 8-16 KiB.
URL_MAX_LENGTH = 2048
HEADERS_MAX_COUNT = 50
HEADERS_MAX_BYTES = 16 * 1024
HEADER_NAME_PATTERN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}")  # RFC 9110 token
# Sundial sets these itself (API.md "What an HTTP target receives") or the HTTP client
# owns them (framing, hop-by-hop); a user value would break signing, dedupe or framing.
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "idempotency-key",
    }
)
RESERVED_HEADER_PREFIX = "x-sundial-"
SIGNING_SECRET_MAX_LENGTH = 1024

# AWS naming rules, as the AWS APIs enforce them.
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d+"
LAMBDA_ARN_PATTERN = re.compile(
    rf"arn:aws[a-z-]*:lambda:{_REGION}:\d{{12}}:function:[A-Za-z0-9_-]{{1,64}}"
    r"(?::(?:\$LATEST|[A-Za-z0-9_-]{1,128}))?"
)
# Any host: the local stack's emulator serves queues at http://127.0.0.1:<port>/<account>/<name>.
SQS_QUEUE_URL_PATTERN = re.compile(r"https?://[^/\s]+/\d{12}/[A-Za-z0-9_-]{1,80}(?:\.fifo)?")
SNS_TOPIC_ARN_PATTERN = re.compile(
    rf"arn:aws[a-z-]*:sns:{_REGION}:\d{{12}}:[A-Za-z0-9_-]{{1,256}}(?:\.fifo)?"
)
_BUS_NAME = r"[A-Za-z0-9._/-]{1,256}"
EVENT_BUS_PATTERN = re.compile(
    rf"{_BUS_NAME}|arn:aws[a-z-]*:events:{_REGION}:\d{{12}}:event-bus/{_BUS_NAME}"
)
EVENT_SOURCE_MAX_LENGTH = 256  # PutEvents limit
EVENT_DETAIL_TYPE_MAX_LENGTH = 128  # PutEvents limit
HANDLER_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,127}")

# ---------------------------------------------------------------------------------------
# The one error every validator raises.
# ---------------------------------------------------------------------------------------

_ERROR_TYPE = "sundial"


def _invalid(
    reason: str, *, at: tuple[str, ...] = (), code: str | None = None, sentence: bool = False
) -> PydanticCustomError:
    """A validation failure for `to_sundial_error` to translate.

    `reason` is a predicate ("must be ...") that gets the field path put in front of it,
    or, with `sentence=True`, a complete message. `at` extends the error's location below
    the validated value (a dict key, a sibling field). `code` overrides the code the
    location implies.
    """
    return PydanticCustomError(
        _ERROR_TYPE, "{reason}", {"reason": reason, "at": at, "code": code, "sentence": sentence}
    )


def _matching(pattern: re.Pattern[str], hint: str) -> Callable[[str], str]:
    """A validator: the whole string matches `pattern`, else "must be <hint>"."""

    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise _invalid(f"must be {hint}")
        return value

    return check


def _no_control_characters(value: str) -> str:
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        raise _invalid("must not contain control characters such as line breaks")
    return value


# ---------------------------------------------------------------------------------------
# Field types.
# ---------------------------------------------------------------------------------------

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
            raise _invalid("must include a UTC offset")
        return value
    if not isinstance(value, str):
        raise _invalid("must be an RFC 3339 timestamp string such as 2026-01-01T09:00:00Z")
    match = _RFC3339.fullmatch(value)
    if not match:
        raise _invalid("must be an RFC 3339 timestamp such as 2026-01-01T09:00:00Z")
    if not match["offset"]:
        raise _invalid(
            "must include a UTC offset, e.g. 2026-01-01T09:00:00Z or 2026-01-01T09:00:00+01:00"
        )
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError:
        raise _invalid("is not a valid date and time") from None


def format_timestamp(value: datetime) -> str:
    """RFC 3339 with the offset the datetime carries (`2026-11-23T02:30:00+01:00`)."""
    return value.isoformat()


Timestamp: TypeAlias = Annotated[
    datetime,
    BeforeValidator(_parse_timestamp),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
]


def _check_timezone(value: str) -> str:
    try:
        load_zone(value)
    except ScheduleError as exc:
        raise _invalid(exc.message, code=exc.code, sentence=True) from None
    return value


TimeZoneName: TypeAlias = Annotated[StrictStr, AfterValidator(_check_timezone)]
TaskName: TypeAlias = Annotated[
    StrictStr,
    Field(max_length=NAME_MAX_LENGTH, examples=["nightly-report"]),
    AfterValidator(
        _matching(
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
        raise _invalid("must be plain JSON (NaN and Infinity are not JSON)") from None
    if size > PAYLOAD_MAX_BYTES:
        raise _invalid(
            f"is {size} bytes as JSON; the limit is {PAYLOAD_MAX_BYTES} bytes (256 KiB)",
            code="payload_too_large",
        )
    return value


Payload: TypeAlias = Annotated[Any, AfterValidator(_check_payload)]


def _check_tags(tags: dict[str, str]) -> dict[str, str]:
    for key, value in tags.items():
        if not TAG_KEY_PATTERN.fullmatch(key):
            raise _invalid(
                f"is not a valid tag key: use 1-{TAG_KEY_MAX_LENGTH} letters, digits or "
                "_ . / @ + = -, "
                "starting with a letter or digit",
                at=(key,),
            )
        if len(value) > TAG_VALUE_MAX_LENGTH:
            raise _invalid(f"must be at most {TAG_VALUE_MAX_LENGTH} characters", at=(key,))
    return tags


Tags: TypeAlias = Annotated[
    dict[StrictStr, StrictStr], Field(max_length=TAGS_MAX_COUNT), AfterValidator(_check_tags)
]

# ---------------------------------------------------------------------------------------
# Targets: a discriminated union on `type`.
# ---------------------------------------------------------------------------------------


class _Model(BaseModel):
    """Unknown fields are rejected everywhere, so typos surface (API.md)."""

    model_config = ConfigDict(extra="forbid")


def _check_url(url: str) -> str:
    hint = "must be an absolute http:// or https:// URL such as https://example.com/hook"
    if any(char.isspace() or ord(char) < 0x20 for char in url):
        raise _invalid(f"{hint} (no spaces or control characters)")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise _invalid(hint) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _invalid(hint)
    return url


def _check_headers(headers: dict[str, str]) -> dict[str, str]:
    seen: set[str] = set()
    size = 0
    for name, value in headers.items():
        lowered = name.lower()
        if not HEADER_NAME_PATTERN.fullmatch(name):
            raise _invalid("is not a valid HTTP header name", at=(name,))
        if lowered in RESERVED_HEADERS or lowered.startswith(RESERVED_HEADER_PREFIX):
            raise _invalid(
                "is set by Sundial or the HTTP client and cannot be overridden", at=(name,)
            )
        if lowered in seen:
            raise _invalid("is given twice (header names are case-insensitive)", at=(name,))
        # CR/LF would let a value inject headers; HTTP clients send values as Latin-1 at
        # best, so anything beyond printable ASCII and tabs fails on every attempt.
        if not all(char == "\t" or " " <= char <= "~" for char in value):
            raise _invalid(
                "must be printable ASCII text, without line breaks or control characters",
                at=(name,),
            )
        seen.add(lowered)
        size += len(name.encode()) + len(value.encode())
    if size > HEADERS_MAX_BYTES:
        raise _invalid(f"must total at most {HEADERS_MAX_BYTES} bytes of names and values")
    return headers


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


class HttpTargetView(_Model):
    """What responses show of an HTTP target: everything but the signing secret."""

    type: Literal["http"]
    url: Annotated[StrictStr, Field(max_length=URL_MAX_LENGTH), AfterValidator(_check_url)]
    method: Annotated[Literal["GET", "POST", "PUT", "PATCH", "DELETE"], BeforeValidator(_upper)] = (
        "POST"
    )
    headers: Annotated[
        dict[StrictStr, StrictStr],
        Field(max_length=HEADERS_MAX_COUNT),
        AfterValidator(_check_headers),
    ] = Field(default_factory=dict)


class HttpTarget(HttpTargetView):
    """A webhook. `signing_secret` is write-only: stored, never returned or logged."""

    signing_secret: Annotated[
        StrictStr | None, Field(min_length=1, max_length=SIGNING_SECRET_MAX_LENGTH)
    ] = Field(default=None, repr=False)


class LambdaTarget(_Model):
    """A Lambda function, invoked asynchronously (`event`) or awaited (`request_response`)."""

    type: Literal["lambda"]
    arn: Annotated[
        StrictStr,
        AfterValidator(
            _matching(
                LAMBDA_ARN_PATTERN,
                "a Lambda function ARN such as "
                "arn:aws:lambda:us-east-1:123456789012:function:my-function",
            )
        ),
    ]
    invocation: Literal["event", "request_response"] = "event"


class SqsTarget(_Model):
    type: Literal["sqs"]
    queue_url: Annotated[
        StrictStr,
        AfterValidator(
            _matching(
                SQS_QUEUE_URL_PATTERN,
                "an SQS queue URL such as https://sqs.us-east-1.amazonaws.com/123456789012/my-queue",
            )
        ),
    ]


class SnsTarget(_Model):
    type: Literal["sns"]
    topic_arn: Annotated[
        StrictStr,
        AfterValidator(
            _matching(
                SNS_TOPIC_ARN_PATTERN,
                "an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:my-topic",
            )
        ),
    ]


def _check_event_source(source: str) -> str:
    if source.startswith("aws."):
        raise _invalid("must not start with 'aws.' (reserved for AWS services)")
    return source


class EventBridgeTarget(_Model):
    """An event put on a bus: `bus` is a name or an ARN, by default the account's default bus."""

    type: Literal["eventbridge"]
    bus: Annotated[
        StrictStr,
        AfterValidator(
            _matching(
                EVENT_BUS_PATTERN,
                "an event bus name or ARN such as 'default' or "
                "arn:aws:events:us-east-1:123456789012:event-bus/my-bus",
            )
        ),
    ] = "default"
    source: Annotated[
        StrictStr,
        Field(min_length=1, max_length=EVENT_SOURCE_MAX_LENGTH),
        AfterValidator(_no_control_characters),
        AfterValidator(_check_event_source),
    ]
    detail_type: Annotated[
        StrictStr,
        Field(min_length=1, max_length=EVENT_DETAIL_TYPE_MAX_LENGTH),
        AfterValidator(_no_control_characters),
    ]


class HandlerTarget(_Model):
    """A handler registered in the executor package, by name (checked when it runs)."""

    type: Literal["handler"]
    name: Annotated[
        StrictStr,
        AfterValidator(
            _matching(
                HANDLER_NAME_PATTERN,
                "a handler name of 1-128 letters, digits or _ . : -, starting with a letter or _",
            )
        ),
    ]


Target: TypeAlias = Annotated[
    HttpTarget | LambdaTarget | SqsTarget | SnsTarget | EventBridgeTarget | HandlerTarget,
    Field(discriminator="type"),
]
TargetView: TypeAlias = Annotated[
    HttpTargetView | LambdaTarget | SqsTarget | SnsTarget | EventBridgeTarget | HandlerTarget,
    Field(discriminator="type"),
]
TARGET_MODELS: dict[str, type[BaseModel]] = {
    "http": HttpTarget,
    "lambda": LambdaTarget,
    "sqs": SqsTarget,
    "sns": SnsTarget,
    "eventbridge": EventBridgeTarget,
    "handler": HandlerTarget,
}
TARGET_TYPES: tuple[str, ...] = tuple(TARGET_MODELS)

# ---------------------------------------------------------------------------------------
# Policies.
# ---------------------------------------------------------------------------------------

MaxAttempts: TypeAlias = Annotated[StrictInt, Field(ge=MAX_ATTEMPTS_MIN, le=MAX_ATTEMPTS_MAX)]
BackoffSeconds: TypeAlias = Annotated[StrictInt, Field(ge=BACKOFF_MIN, le=BACKOFF_MAX)]
MaxBackoffSeconds: TypeAlias = Annotated[StrictInt, Field(ge=MAX_BACKOFF_MIN, le=MAX_BACKOFF_MAX)]
MaxEventAgeSeconds: TypeAlias = Annotated[
    StrictInt, Field(ge=MAX_EVENT_AGE_MIN, le=MAX_EVENT_AGE_MAX)
]
TimeoutSeconds: TypeAlias = Annotated[StrictInt, Field(ge=TIMEOUT_MIN, le=TIMEOUT_MAX)]
GraceSeconds: TypeAlias = Annotated[StrictInt, Field(ge=GRACE_MIN, le=GRACE_MAX)]
JitterSeconds: TypeAlias = Annotated[StrictInt, Field(ge=JITTER_MIN, le=JITTER_MAX)]
Overlap: TypeAlias = Literal["allow", "skip", "buffer_one"]
MisfirePolicy: TypeAlias = Literal["fire_once", "fire_all", "skip"]
TaskState: TypeAlias = Literal["active", "paused", "completed"]


class Retry(_Model):
    """Exponential backoff with full jitter, capped, for at most `max_attempts` runs."""

    max_attempts: MaxAttempts = 3
    backoff_seconds: BackoffSeconds = 2
    max_backoff_seconds: MaxBackoffSeconds = 300
    max_event_age_seconds: MaxEventAgeSeconds = 86_400

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> Retry:
        if self.max_backoff_seconds < self.backoff_seconds:
            raise _invalid(
                f"must be at least backoff_seconds ({self.backoff_seconds})",
                at=("max_backoff_seconds",),
            )
        return self


class Misfire(_Model):
    """What to do with fires missed for longer than `grace_seconds` (an outage, a backlog)."""

    policy: MisfirePolicy = "fire_once"
    grace_seconds: GraceSeconds = 60


def _check_schedule(expression: str, timezone: str) -> None:
    try:
        parse_schedule(expression, timezone)
    except ScheduleError as exc:
        at = tuple((exc.field or "schedule").split("."))
        raise _invalid(exc.message, at=at, code=exc.code, sentence=True) from None


# ---------------------------------------------------------------------------------------
# The task definition and its update.
# ---------------------------------------------------------------------------------------


class TaskSpec(_Model):
    """A task's definition: the POST body, with API.md's defaults; what the store persists.

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
    payload: Payload = Field(default_factory=dict)
    retry: Retry = Field(default_factory=Retry)
    timeout_seconds: TimeoutSeconds = 30
    overlap: Overlap = "allow"
    misfire: Misfire = Field(default_factory=Misfire)
    jitter_seconds: JitterSeconds = 0
    tags: Tags = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> TaskSpec:
        _check_schedule(self.schedule, self.timezone)
        if self.start_at and self.end_at and self.end_at <= self.start_at:
            after = format_timestamp(self.start_at)
            raise _invalid(f"must be after start_at ({after})", at=("end_at",))
        return self


# The `POST /tasks` body is a whole definition.
TaskCreate = TaskSpec


class _Patch(_Model):
    """A partial object: absent fields keep their value; null only where `NULLABLE` allows it."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_null_for_required(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                if value is None and key in cls.model_fields and key not in cls.NULLABLE:
                    raise _invalid(
                        "cannot be null; leave it out to keep the current value", at=(key,)
                    )
        return data


class RetryPatch(_Patch):
    max_attempts: MaxAttempts | None = None
    backoff_seconds: BackoffSeconds | None = None
    max_backoff_seconds: MaxBackoffSeconds | None = None
    max_event_age_seconds: MaxEventAgeSeconds | None = None


class MisfirePatch(_Patch):
    policy: MisfirePolicy | None = None
    grace_seconds: GraceSeconds | None = None


class TaskUpdate(_Patch):
    """The `PATCH /tasks/{id}` body. Every field is optional; see `apply_update` for merging.

    Each field is validated as in `TaskSpec`; rules that span fields (schedule against
    zone, end after start, backoff cap) are checked on the merged result.
    """

    NULLABLE = frozenset({"name", "start_at", "end_at", "payload"})

    name: TaskName | None = None
    schedule: ScheduleExpression | None = None
    timezone: TimeZoneName | None = None
    start_at: Timestamp | None = None
    end_at: Timestamp | None = None
    description: Description | None = None
    target: Target | None = None
    payload: Payload = None
    retry: RetryPatch | None = None
    timeout_seconds: TimeoutSeconds | None = None
    overlap: Overlap | None = None
    misfire: MisfirePatch | None = None
    jitter_seconds: JitterSeconds | None = None
    tags: Tags | None = None


def apply_update(current: TaskSpec, update: TaskUpdate) -> TaskSpec:
    """The definition after a PATCH, validated as a whole, or the SundialError it violates.

    Merge semantics (the policy objects merge, everything else is replaced):

    * a field left out keeps its value; `null` clears `name`, `start_at`, `end_at`
      (and sets `payload` to JSON null);
    * `retry` and `misfire` merge field by field: `{"retry": {"max_attempts": 5}}`
      keeps the other retry settings;
    * `target`, `tags` and `payload` are replaced whole (`"tags": {}` removes all tags);
    * exception: an `http` target sent without a `signing_secret` key keeps the stored
      secret when the stored target is `http` too, because responses never show the
      secret and a GET-edit-PATCH round trip must not drop it. `"signing_secret": null`
      removes it.
    """
    merged = current.model_dump(mode="json")
    changes = update.model_dump(mode="json", exclude_unset=True)
    for policy in ("retry", "misfire"):
        if policy in changes:
            merged[policy] = {**merged[policy], **changes.pop(policy)}
    target = changes.get("target")
    if (
        target is not None
        and target["type"] == "http"
        and "signing_secret" not in target
        and isinstance(current.target, HttpTarget)
    ):
        target["signing_secret"] = current.target.signing_secret
    merged.update(changes)
    return _validate(TaskSpec, merged)


# ---------------------------------------------------------------------------------------
# The response.
# ---------------------------------------------------------------------------------------


class TaskView(_Model):
    """A task as the API returns it (API.md "Task resource"); never carries a signing secret."""

    id: str
    name: str | None
    schedule: str
    timezone: str
    start_at: Timestamp | None
    end_at: Timestamp | None
    description: str
    target: TargetView
    payload: Any
    retry: Retry
    timeout_seconds: int
    overlap: Overlap
    misfire: Misfire
    jitter_seconds: int
    tags: dict[str, str]
    state: TaskState
    version: int
    next_fire_times: list[Timestamp]
    # The run resource of API.md (its shape belongs to the runs module), or null.
    last_run: dict[str, Any] | None
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(
        cls,
        spec: TaskSpec,
        *,
        task_id: str,
        state: TaskState,
        version: int,
        created_at: datetime,
        updated_at: datetime,
        next_fire_times: Iterable[datetime] = (),
        last_run: dict[str, Any] | None = None,
    ) -> TaskView:
        """The view of a stored task; fire times are shown in the task's zone."""
        zone = load_zone(spec.timezone)
        definition = spec.model_dump(exclude={"target": {"signing_secret"}})
        return cls(
            id=task_id,
            **definition,
            state=state,
            version=version,
            next_fire_times=[time.astimezone(zone) for time in next_fire_times],
            last_run=last_run,
            created_at=created_at,
            updated_at=updated_at,
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready response body."""
        return self.model_dump(mode="json")


# ---------------------------------------------------------------------------------------
# From JSON to a model, or to the one error that names the first problem.
# ---------------------------------------------------------------------------------------

_ModelT = typing.TypeVar("_ModelT", bound=BaseModel)

_CODE_BY_FIELD = {
    "target": "invalid_target",
    "schedule": "invalid_schedule",
    "timezone": "invalid_timezone",
}
_ERROR_CLASS: dict[str, type[SundialError]] = {
    "invalid_target": InvalidTarget,
    "invalid_schedule": ScheduleError,
    "invalid_timezone": ScheduleError,
    "payload_too_large": PayloadTooLarge,
    "validation_error": ValidationError,
}


def parse_task_create(data: Any) -> TaskSpec:
    """A validated `POST /tasks` body, or the SundialError for its first problem."""
    return _validate(TaskSpec, data)


def parse_task_update(data: Any) -> TaskUpdate:
    """A validated `PATCH /tasks/{id}` body (apply it with `apply_update`), or the SundialError."""
    return _validate(TaskUpdate, data)


def _validate(model: type[_ModelT], data: Any) -> _ModelT:
    if not isinstance(data, dict):
        raise ValidationError("The request body must be a JSON object.", field=None)
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise to_sundial_error(exc, model) from None


def to_sundial_error(
    exc: pydantic.ValidationError | Sequence[Any], model: type[BaseModel]
) -> SundialError:
    """The API.md error for the first problem pydantic found validating `model`.

    `exc` is pydantic's exception, or its `errors()` list with locations relative to
    `model` (as a web framework that validated the body reports them, minus its prefix).
    An unknown field is reported before anything else: a misspelled key usually is why
    the field it was meant to be is missing.
    """
    errors = exc.errors(include_url=False) if isinstance(exc, pydantic.ValidationError) else exc
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    ours = error["type"] == _ERROR_TYPE
    ctx = error.get("ctx") or {}
    path = _dotted(tuple(error["loc"]) + (tuple(ctx["at"]) if ours else ()))
    code = ctx["code"] if ours and ctx["code"] else None
    code = code or _CODE_BY_FIELD.get(path.partition(".")[0], "validation_error")
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        path = f"{path}.type"
        message = f"{path} must be one of {', '.join(TARGET_TYPES)}"
    elif ours and ctx["sentence"]:
        message = ctx["reason"]
    else:
        message = f"{path or 'The request body'} {_predicate(error, model)}"
    return _ERROR_CLASS[code](message, field=path or None, code=code)


def _dotted(loc: tuple[Any, ...]) -> str:
    """`target.url` for pydantic's `('target', 'http', 'url')`: the union tag is not a field."""
    parts = [str(part) for part in loc if part != "[key]"]
    if len(parts) > 1 and parts[0] == "target" and parts[1] in TARGET_MODELS:
        del parts[1]
    return ".".join(parts)


def _predicate(error: Any, model: type[BaseModel]) -> str:
    kind, ctx, loc = error["type"], error.get("ctx") or {}, tuple(error["loc"])
    if kind == _ERROR_TYPE:
        return str(ctx["reason"])
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        known, _ = _walk(model, loc[:-1])
        names = list(known.model_fields) if known else []
        close = difflib.get_close_matches(str(loc[-1]), names, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"known fields: {', '.join(names)}"
        return f"is not a known field ({hint})"
    if kind in ("greater_than_equal", "less_than_equal"):
        low, high = _bounds(_walk(model, loc)[1])
        if low is not None and high is not None:
            return f"must be between {low} and {high}"
        if kind == "greater_than_equal":
            return f"must be at least {ctx.get('ge')}"
        return f"must be at most {ctx.get('le')}"
    messages = {
        "string_type": "must be a string",
        "int_type": "must be an integer",
        "dict_type": "must be a JSON object",
        "model_type": "must be a JSON object",
        "model_attributes_type": "must be a JSON object",
        "literal_error": f"must be one of {ctx.get('expected')}",
        "string_too_long": f"must be at most {ctx.get('max_length')} characters",
        "string_too_short": "must not be empty",
        "too_long": f"must have at most {ctx.get('max_length')} entries",
    }
    return messages.get(kind, f"is not valid ({error['msg']})")


def _walk(
    model: type[BaseModel], loc: tuple[Any, ...]
) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """The model found at `loc` below `model` (if one is), and the field `loc` names last."""
    candidates: list[type[BaseModel]] = [model]
    info: FieldInfo | None = None
    for part in loc:
        tagged = TARGET_MODELS.get(str(part))
        if tagged is not None and tagged in candidates:
            candidates = [tagged]
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
