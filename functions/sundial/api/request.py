"""What a request says, as the routers read it: its parameters, its tenant, If-Match, tag filters.

The annotated parameter types carry their validation (Powertools checks them before a
route runs) and their OpenAPI description; the parsers turn header and query values the
models cannot express into domain arguments, or a 400 naming the field.
"""

from __future__ import annotations

import re
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from sundial.api.auth import caller_tenant
from sundial.api.models import MAX_IDEMPOTENCY_KEY_LENGTH, MAX_PAGE_SIZE
from sundial.core.errors import ValidationError
from sundial.store.pagination import MAX_TOKEN_CHARS

TaskId = Annotated[str, Path(description="The task's id", examples=["01JD7X3V9Q2W8N4M6K5T1R0P9S"])]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='Only apply the change to this version of the task (its ETag, e.g. "3").',
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_IDEMPOTENCY_KEY_LENGTH,
        description="A retried create with the same key and body returns the first response.",
    ),
]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
PageToken = Annotated[
    str | None, Query(max_length=MAX_TOKEN_CHARS, description="next_token of the previous page")
]
# A tag filter is `key:value`; tag keys cannot contain ':' so the first one splits.
_TAG_FILTER = re.compile(r"(?P<key>[^:]+):(?P<value>.*)", re.DOTALL)
# An ETag is a quoted version; clients also send it bare, or marked weak (W/"3").
_VERSION_TAG = re.compile(r'(?:W/)?"(?P<quoted>\d{1,18})"|(?P<bare>\d{1,18})')


def tenant_of(event: BaseProxyEvent) -> str:
    """The caller's tenant; every task route starts here, so nothing runs unscoped."""
    return caller_tenant(event.raw_event.get("requestContext") or {})


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match names: `"3"`, `3` or `W/"3"`; `*` (any) is None."""
    if if_match is None or if_match.strip() == "*":
        return None
    match = _VERSION_TAG.fullmatch(if_match.strip())
    if match is None:
        raise ValidationError(
            'If-Match must be the version of the task, e.g. "3" (its ETag)', field="If-Match"
        )
    return int(match["quoted"] or match["bare"])


def tag_filter(tag: str | None) -> tuple[str, str] | None:
    if tag is None:
        return None
    match = _TAG_FILTER.fullmatch(tag)
    if match is None:
        raise ValidationError("tag must be key:value, e.g. env:prod", field="tag")
    return match["key"], match["value"]
