"""How the routers and error handlers shape a reply: JSON, HTML, a task with its ETag, the
error envelope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import Response

from sundial import store
from sundial.api import views
from sundial.api.errors import JSON, error_body, error_headers
from sundial.core.clock import utc_now
from sundial.core.errors import SundialError
from sundial.store import TaskItem

HTML = "text/html; charset=utf-8"


def json_reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status_code=status, content_type=JSON, body=body, headers=headers)


def html_reply(page: str, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status_code=200, content_type=HTML, body=page, headers=headers)


def task_reply(item: TaskItem) -> Response[Any]:
    """200 with the task resource (its next fires and last run) and its ETag."""
    body = views.task_view(item, utc_now(), store.newest_run(item.task_id))
    return json_reply(200, body, etag(item.version))


def stored_reply(reply: Mapping[str, Any], replayed: bool = False) -> Response[Any]:
    """A reply kept as {status, headers, body} (an idempotent create), marked when replayed."""
    headers = dict(reply["headers"])
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_reply(int(reply["status"]), reply["body"], headers)


def error_reply(error: SundialError) -> Response[Any]:
    """The API's error envelope, with the headers the error calls for (Allow, Retry-After)."""
    return Response(
        status_code=error.status,
        content_type=JSON,
        body=error_body(error),
        headers=error_headers(error),
    )


def raw_error_reply(error: SundialError) -> dict[str, Any]:
    """The envelope as a proxy response, for failures outside the resolver."""
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": JSON},
        "body": error_body(error),
        "isBase64Encoded": False,
    }


def etag(version: Any) -> dict[str, str]:
    return {"ETag": f'"{int(version)}"'}
