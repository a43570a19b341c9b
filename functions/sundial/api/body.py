"""What a request body must be before any route reads it: JSON, in UTF-8, of bounded depth.

Every body this API takes is a JSON object. The checks here run once per request, before
the resolver, so every route refuses the same inputs with the same 4xx:

* a Content-Type other than JSON is 415 (`application/json` in any case, with parameters
  such as `charset`, is JSON; a body sent without a Content-Type is read as JSON);
* bytes that are not UTF-8, and text that is not valid Unicode (an unpaired surrogate
  escape such as `"\\ud800"`), are 400: stored, they would come back altered;
* JSON nested deeper than MAX_JSON_DEPTH, and integers longer than Python converts,
  are 400: the parsers would otherwise fail with an internal error.

The event handed on carries the body as text and one canonical Content-Type, so the
resolver (Powertools) parses exactly what was checked.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any

from sundial.api.errors import JSON, UnsupportedMediaType
from sundial.core.errors import ValidationError

# No request of this API needs more: a task body is three levels deep plus its payload,
# and a payload this deep is a bug in the client, not data.
MAX_JSON_DEPTH = 64
_CONTENT_TYPE = "content-type"
# JSON strings (escapes included) are skipped when measuring depth; brackets count.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def checked_request(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event with its body checked as JSON text; raises the 4xx SundialError otherwise."""
    body = event.get("body")
    if not body:
        return dict(event)
    content_type = non_json_content_type(event)
    if content_type is not None:
        raise UnsupportedMediaType(content_type)
    text = _utf8_text(body, bool(event.get("isBase64Encoded")))
    _check_json(text)
    return {
        **event,
        "body": text,
        "isBase64Encoded": False,
        "headers": _with_json_type(event.get("headers")),
        "multiValueHeaders": _with_json_type(event.get("multiValueHeaders"), multi=True),
    }


def non_json_content_type(event: Mapping[str, Any]) -> str | None:
    """The Content-Type of a body that is declared as something other than JSON, if any.

    Powertools would also parse form and multipart bodies into fields, so a form post
    could pass for a JSON object; it is refused (415) with a message that says what to
    send instead. Every Content-Type the request carries counts (a header sent twice, or
    under two spellings of its name).
    """
    if not event.get("body"):
        return None
    for value in _content_types(event):
        if _media_type(value) != JSON:
            return value
    return None


def _content_types(event: Mapping[str, Any]) -> list[str]:
    values: list[str] = []
    for name, value in (event.get("headers") or {}).items():
        if name.lower() == _CONTENT_TYPE and value:
            values.append(str(value))
    for name, multi in (event.get("multiValueHeaders") or {}).items():
        if name.lower() == _CONTENT_TYPE:
            values += [str(value) for value in multi or [] if value]
    return values


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _with_json_type(headers: Any, *, multi: bool = False) -> Any:
    """The headers with every spelling of Content-Type replaced by one `application/json`."""
    if not headers:
        return headers
    kept = {name: value for name, value in headers.items() if name.lower() != _CONTENT_TYPE}
    return {**kept, "Content-Type": [JSON] if multi else JSON}


def _utf8_text(body: Any, base64_encoded: bool) -> str:
    if not base64_encoded:
        return str(body)
    try:
        raw = base64.b64decode(str(body), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("The request body is not valid base64.") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"The request body is not valid UTF-8 (at byte {exc.start}); send JSON in UTF-8."
        ) from None


def _check_json(text: str) -> None:
    depth = _depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ValidationError(
            f"The request body is nested {depth} levels deep; at most {MAX_JSON_DEPTH} "
            "levels are accepted."
        )
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return  # malformed JSON: the resolver names where, as for any route
    except ValueError as exc:  # an integer longer than int() converts
        raise ValidationError(f"The request body has a number that is too long: {exc}.") from None
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            "The request body has a string that is not valid Unicode (an unpaired "
            "surrogate escape such as \\ud800)."
        ) from None


def _depth(text: str) -> int:
    """How deeply the JSON text nests arrays and objects (0 for a scalar)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest
