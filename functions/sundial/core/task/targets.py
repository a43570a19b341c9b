"""Where a task's fires go: a discriminated union of target models on `type`."""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StrictStr

from sundial.core.task.fields import StrictModel, invalid, matching, no_control_characters
from sundial.core.task.limits import (
    CREDENTIAL_HEADER_WORDS,
    CREDENTIAL_HEADERS,
    EVENT_BUS_PATTERN,
    EVENT_DETAIL_TYPE_MAX_LENGTH,
    EVENT_SOURCE_MAX_LENGTH,
    HANDLER_NAME_PATTERN,
    HEADER_NAME_PATTERN,
    HEADERS_MAX_BYTES,
    HEADERS_MAX_COUNT,
    HIDDEN_HEADER_VALUE,
    LAMBDA_ARN_PATTERN,
    RESERVED_HEADER_PREFIX,
    RESERVED_HEADERS,
    SIGNING_SECRET_MAX_LENGTH,
    SNS_TOPIC_ARN_PATTERN,
    SQS_QUEUE_URL_PATTERN,
    URL_MAX_LENGTH,
)


def _check_url(url: str) -> str:
    hint = "must be an absolute http:// or https:// URL such as https://example.com/hook"
    if any(char.isspace() or ord(char) < 0x20 for char in url):
        raise invalid(f"{hint} (no spaces or control characters)")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise invalid(hint) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid(hint)
    return url


def _check_headers(headers: dict[str, str]) -> dict[str, str]:
    seen: set[str] = set()
    size = 0
    for name, value in headers.items():
        lowered = name.lower()
        if not HEADER_NAME_PATTERN.fullmatch(name):
            raise invalid("is not a valid HTTP header name", at=(name,))
        if lowered in RESERVED_HEADERS or lowered.startswith(RESERVED_HEADER_PREFIX):
            raise invalid(
                "is set by Sundial or the HTTP client and cannot be overridden", at=(name,)
            )
        if lowered in seen:
            raise invalid("is given twice (header names are case-insensitive)", at=(name,))
        # CR/LF would let a value inject headers; HTTP clients send values as Latin-1 at
        # best, so anything beyond printable ASCII and tabs fails on every attempt.
        if not all(char == "\t" or " " <= char <= "~" for char in value):
            raise invalid(
                "must be printable ASCII text, without line breaks or control characters",
                at=(name,),
            )
        seen.add(lowered)
        size += len(name.encode()) + len(value.encode())
    if size > HEADERS_MAX_BYTES:
        raise invalid(f"must total at most {HEADERS_MAX_BYTES} bytes of names and values")
    return headers


def carries_credentials(header: str) -> bool:
    """Whether a header's value is a credential, hidden in responses (docs/execution.md,
    "HTTP targets")."""
    lowered = header.lower()
    return lowered in CREDENTIAL_HEADERS or any(word in lowered for word in CREDENTIAL_HEADER_WORDS)


def hide_credentials(headers: dict[str, str]) -> dict[str, str]:
    """The headers as responses show them: credential values replaced by HIDDEN_HEADER_VALUE."""
    return {
        name: HIDDEN_HEADER_VALUE if carries_credentials(name) else value
        for name, value in headers.items()
    }


def hidden_placeholders(headers: dict[str, str]) -> list[str]:
    """The credential headers whose value is the one responses show instead of it."""
    return [
        name
        for name, value in headers.items()
        if value == HIDDEN_HEADER_VALUE and carries_credentials(name)
    ]


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


class HttpTargetView(StrictModel):
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
    ] = Field(
        default_factory=dict,
        description=(
            "Sent on every attempt; a Content-Type or User-Agent here (any case) replaces "
            "the default. Values of credential headers (Authorization, Proxy-Authorization, "
            "Cookie, X-Api-Key, or a name containing auth, token, secret, key, password, "
            "credential or cookie) are write-only: responses show ***."
        ),
    )


class HttpTarget(HttpTargetView):
    """A webhook. `signing_secret` is write-only: stored, never returned or logged."""

    signing_secret: Annotated[
        StrictStr | None, Field(min_length=1, max_length=SIGNING_SECRET_MAX_LENGTH)
    ] = Field(default=None, repr=False)


class LambdaTarget(StrictModel):
    """A Lambda function, invoked asynchronously (`event`) or awaited (`request_response`)."""

    type: Literal["lambda"]
    arn: Annotated[
        StrictStr,
        AfterValidator(
            matching(
                LAMBDA_ARN_PATTERN,
                "a Lambda function ARN such as "
                "arn:aws:lambda:us-east-1:123456789012:function:my-function",
            )
        ),
    ]
    invocation: Literal["event", "request_response"] = "event"


class SqsTarget(StrictModel):
    type: Literal["sqs"]
    queue_url: Annotated[
        StrictStr,
        AfterValidator(
            matching(
                SQS_QUEUE_URL_PATTERN,
                "an SQS queue URL such as https://sqs.us-east-1.amazonaws.com/123456789012/my-queue",
            )
        ),
    ]


class SnsTarget(StrictModel):
    type: Literal["sns"]
    topic_arn: Annotated[
        StrictStr,
        AfterValidator(
            matching(
                SNS_TOPIC_ARN_PATTERN,
                "an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:my-topic",
            )
        ),
    ]


def _check_event_source(source: str) -> str:
    if source.startswith("aws."):
        raise invalid("must not start with 'aws.' (reserved for AWS services)")
    return source


EventBus: TypeAlias = Annotated[
    StrictStr,
    AfterValidator(
        matching(
            EVENT_BUS_PATTERN,
            "an event bus name or ARN such as 'default' or "
            "arn:aws:events:us-east-1:123456789012:event-bus/my-bus",
        )
    ),
]


class EventBridgeTarget(StrictModel):
    """An event put on a bus: `bus` is a name or an ARN, by default the account's default bus."""

    type: Literal["eventbridge"]
    bus: EventBus = "default"
    source: Annotated[
        StrictStr,
        Field(min_length=1, max_length=EVENT_SOURCE_MAX_LENGTH),
        AfterValidator(no_control_characters),
        AfterValidator(_check_event_source),
    ]
    detail_type: Annotated[
        StrictStr,
        Field(min_length=1, max_length=EVENT_DETAIL_TYPE_MAX_LENGTH),
        AfterValidator(no_control_characters),
    ]


class HandlerTarget(StrictModel):
    """A handler registered in the executor package, by name (checked when written)."""

    type: Literal["handler"]
    name: Annotated[
        StrictStr,
        AfterValidator(
            matching(
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
