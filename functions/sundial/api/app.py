"""The HTTP API of API.md: a Powertools REST resolver, its routes and its error handlers.

Routes parse (Powertools validates parameters and bodies against the pydantic models,
which also generate /openapi.json), take the tenant from the request context, call
`service`, and shape the reply. Every failure, including Powertools' own validation
errors, unknown routes and unexpected exceptions, leaves as the API.md error envelope.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
    ResponseValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from sundial.api import docs, idempotency, service, views
from sundial.api.auth import caller_tenant
from sundial.api.console import CONSOLE_HEADERS, CONSOLE_HTML
from sundial.api.docs import (
    API_PREFIX,
    CREATED_HEADERS,
    ETAG_HEADER,
    HTML_PAGE,
    OPENAPI_INFO,
    responses,
)
from sundial.api.errors import (
    JSON,
    InternalError,
    MethodNotAllowed,
    RouteNotFound,
    UnsupportedMediaType,
    error_body,
    error_headers,
    from_validation_errors,
)
from sundial.api.models import (
    DEFAULT_PAGE_SIZE,
    MAX_IDEMPOTENCY_KEY_LENGTH,
    MAX_PAGE_SIZE,
    BackfillRequest,
    BackfillResponse,
    DeadLetterList,
    PreviewRequest,
    PreviewResponse,
    RedriveRequest,
    RedriveResponse,
    RunList,
    TaskList,
    TriggerResponse,
)
from sundial.core.clock import format_timestamp, utc_now
from sundial.core.errors import SundialError, ValidationError
from sundial.core.task import TaskCreate, TaskUpdate, TaskView
from sundial.observability import logger
from sundial.store.pagination import MAX_TOKEN_CHARS

TaskId = Annotated[str, Path(description="The task's id", examples=["01JD7X3V9Q2W8N4M6K5T1R0P9S"])]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='Only apply the change to this version of the task (its ETag, e.g. "3").',
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

app = APIGatewayRestResolver(
    enable_validation=True,
    # A response that does not match its model is our bug: 500, not the client's 400.
    response_validation_error_http_code=500,
)


# --- tasks --------------------------------------------------------------------------------


@app.post(
    "/tasks",
    status_code=201,
    summary="Create a task",
    tags=["tasks"],
    responses=responses(201, "The task created", 400, 409, 413, headers=CREATED_HEADERS),
)
def create_task(
    spec: Annotated[TaskCreate, Body()],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=MAX_IDEMPOTENCY_KEY_LENGTH,
            description="A retried create with the same key and body returns the first response.",
        ),
    ] = None,
) -> Response[TaskView]:
    tenant = _tenant()
    ran = False

    def create() -> dict[str, Any]:
        nonlocal ran
        ran = True
        item = service.create_task(tenant, spec)
        headers = {"Location": f"{API_PREFIX}/tasks/{item.task_id}", **_etag(item.version)}
        return {"status": 201, "headers": headers, "body": views.task_view(item, _now(), None)}

    if idempotency_key is None:
        return _reply(create())
    reply = idempotency.run_once(
        tenant, idempotency_key, app.current_event.json_body, create, app.lambda_context
    )
    return _reply(reply, replayed=not ran)


@app.get("/tasks", summary="List tasks", tags=["tasks"], responses=responses(200, "A page", 400))
def list_tasks(
    limit: PageSize = DEFAULT_PAGE_SIZE,
    next_token: PageToken = None,
    state: Annotated[Literal["active", "paused", "completed"] | None, Query()] = None,
    tag: Annotated[str | None, Query(description="key:value; tasks carrying that tag")] = None,
) -> Response[TaskList]:
    tenant = _tenant()
    items, token = service.list_tasks(
        tenant, limit=limit, next_token=next_token, state=state, tag=_tag_filter(tag)
    )
    return _json(200, {"tasks": views.task_views(items, _now()), "next_token": token})


@app.get(
    "/tasks/<task_id>",
    summary="Get a task",
    tags=["tasks"],
    responses=responses(200, "The task", 404, headers=ETAG_HEADER),
)
def get_task(task_id: TaskId) -> Response[TaskView]:
    item = service.get_task(_tenant(), task_id)
    return _task(item)


@app.patch(
    "/tasks/<task_id>",
    summary="Update a task (partial)",
    tags=["tasks"],
    responses=responses(200, "The task", 400, 404, 409, 412, 413, headers=ETAG_HEADER),
)
def update_task(
    task_id: TaskId, update: Annotated[TaskUpdate, Body()], if_match: IfMatch = None
) -> Response[TaskView]:
    item = service.update_task(_tenant(), task_id, update, _expected_version(if_match))
    return _task(item)


@app.delete(
    "/tasks/<task_id>",
    status_code=204,
    summary="Delete a task (its run history expires on its own)",
    tags=["tasks"],
    responses=responses(204, "Deleted", 404, 412),
)
def delete_task(task_id: TaskId, if_match: IfMatch = None) -> Response[Any]:
    service.delete_task(_tenant(), task_id, _expected_version(if_match))
    return Response(status_code=204, body="")


@app.post(
    "/tasks/<task_id>/pause",
    summary="Pause a task",
    tags=["tasks"],
    responses=responses(200, "The task", 404, 412, headers=ETAG_HEADER),
)
def pause_task(task_id: TaskId, if_match: IfMatch = None) -> Response[TaskView]:
    item = service.pause_task(_tenant(), task_id, _expected_version(if_match))
    return _task(item)


@app.post(
    "/tasks/<task_id>/resume",
    summary="Resume a task from its next fire after now (missed fires are not run)",
    tags=["tasks"],
    responses=responses(200, "The task", 404, 412, headers=ETAG_HEADER),
)
def resume_task(task_id: TaskId, if_match: IfMatch = None) -> Response[TaskView]:
    item = service.resume_task(_tenant(), task_id, _expected_version(if_match))
    return _task(item)


@app.post(
    "/tasks/<task_id>/trigger",
    status_code=202,
    summary="Run a task now, also while paused",
    tags=["tasks"],
    responses=responses(202, "Enqueued", 404),
)
def trigger_task(task_id: TaskId) -> Response[TriggerResponse]:
    execution_id = service.trigger_task(_tenant(), task_id)
    return _json(202, {"execution_id": execution_id})


@app.post(
    "/tasks/<task_id>/backfill",
    status_code=202,
    summary="Run a task's scheduled times in [start, end] now (at most 1,000)",
    tags=["tasks"],
    responses=responses(202, "Enqueued", 400, 404),
)
def backfill_task(
    task_id: TaskId, request: Annotated[BackfillRequest, Body()]
) -> Response[BackfillResponse]:
    fires = service.backfill_task(_tenant(), task_id, request.start, request.end)
    return _json(202, {"fires": fires})


@app.get(
    "/tasks/<task_id>/runs",
    summary="A task's runs, newest first",
    tags=["runs"],
    responses=responses(200, "A page", 400, 404),
)
def list_runs(
    task_id: TaskId, limit: PageSize = DEFAULT_PAGE_SIZE, next_token: PageToken = None
) -> Response[RunList]:
    runs, token = service.list_runs(_tenant(), task_id, limit=limit, next_token=next_token)
    return _json(200, {"runs": [views.run_view(run) for run in runs], "next_token": token})


# --- schedules and dead letters -----------------------------------------------------------


@app.post(
    "/preview",
    summary="The next fire times of a schedule (nothing is stored)",
    tags=["schedules"],
    responses=responses(200, "The fire times", 400),
)
def preview(request: Annotated[PreviewRequest, Body()]) -> Response[PreviewResponse]:
    _tenant()
    times, description = service.preview_schedule(
        request.schedule, request.timezone, request.after, request.count
    )
    fire_times = [format_timestamp(t) for t in times]
    return _json(200, {"fire_times": fire_times, "description": description})


@app.get(
    "/dead-letters",
    summary="The tenant's dead-lettered executions, newest first",
    tags=["dead letters"],
    responses=responses(200, "A page", 400),
)
def list_dead_letters(
    limit: PageSize = DEFAULT_PAGE_SIZE, next_token: PageToken = None
) -> Response[DeadLetterList]:
    items, token = service.list_dead_letters(_tenant(), limit=limit, next_token=next_token)
    dead_letters = [views.dead_letter_view(item) for item in items]
    return _json(200, {"dead_letters": dead_letters, "next_token": token})


@app.post(
    "/dead-letters/redrive",
    status_code=202,
    summary="Run the tenant's dead letters (or the ones named) again",
    tags=["dead letters"],
    responses=responses(202, "Enqueued", 400),
)
def redrive_dead_letters(
    request: Annotated[RedriveRequest | None, Body()] = None,
) -> Response[RedriveResponse]:
    ids = request.execution_ids if request is not None else None
    return _json(202, {"redriven": service.redrive_dead_letters(_tenant(), ids)})


# --- documents ----------------------------------------------------------------------------


# Public (template.yaml serves them without authorization): `security=[{}]` says so.


@app.get("/openapi.json", summary="This API's OpenAPI document", tags=["documents"], security=[{}])
def openapi_json() -> Response[dict[str, Any]]:
    return _json(200, _openapi_document())


@app.get(
    "/docs",
    summary="Interactive API documentation (Swagger UI)",
    tags=["documents"],
    security=[{}],
    responses=HTML_PAGE,
)
def swagger_ui() -> Response[str]:
    return _html(_swagger_page())


@app.get(
    "/console", summary="The web console", tags=["documents"], security=[{}], responses=HTML_PAGE
)
def console() -> Response[str]:
    return _html(CONSOLE_HTML, CONSOLE_HEADERS)


# --- errors -------------------------------------------------------------------------------


@app.exception_handler(SundialError)
def _sundial_error(error: SundialError) -> Response[Any]:
    if error.status >= 500:
        logger.error("request failed", extra={"code": error.code, "error": error.message})
    return _error(error)


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response[Any]:
    return _error(from_validation_errors(error.errors(), _body_model()))


@app.exception_handler(RequestUnsupportedContentType)
def _unsupported_media_type(error: RequestUnsupportedContentType) -> Response[Any]:
    content_type = app.current_event.headers.get("content-type", "")
    return _error(UnsupportedMediaType(content_type))


@app.not_found
def _no_route(error: NotFoundError) -> Response[Any]:
    method, path = app.current_event.http_method.upper(), app.current_event.path
    allowed = _methods_of(path)
    if allowed:
        return _error(MethodNotAllowed(method, path, allowed))
    return _error(RouteNotFound(method, path))


@app.exception_handler(ResponseValidationError)
def _invalid_response(error: ResponseValidationError) -> Response[Any]:
    logger.error("response does not match its model", extra={"errors": error.errors()})
    return _error(InternalError())


@app.exception_handler(ServiceError)
def _service_error(error: ServiceError) -> Response[Any]:
    generic = SundialError(
        str(error.msg), code="validation_error" if error.status_code < 500 else "internal_error"
    )
    generic.status = error.status_code
    return _error(generic)


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[Any]:
    logger.exception("unhandled error")
    return _error(InternalError())


def resolve(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The response to an API Gateway REST (proxy) event; never raises.

    Whatever escapes the resolver (an error inside an error handler, an event that is not
    a REST proxy event) still leaves as the envelope, without a stack trace.
    """
    try:
        content_type = _non_json_content_type(event)
        if content_type is not None:
            return _raw_error(UnsupportedMediaType(content_type))
        return app.resolve(event, context)
    except Exception:
        logger.exception("request could not be resolved")
        return _raw_error(InternalError())


def _raw_error(error: SundialError) -> dict[str, Any]:
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": JSON},
        "body": error_body(error),
        "isBase64Encoded": False,
    }


def _non_json_content_type(event: Mapping[str, Any]) -> str | None:
    """The Content-Type of a body that is declared as something other than JSON, if any.

    Every body this API takes is JSON. Powertools would also parse form and multipart
    bodies into fields, so a form post could pass for a JSON object; it is refused
    (415) with a message that says what to send instead. A body without a Content-Type
    is read as JSON.
    """
    if not event.get("body"):
        return None
    headers = event.get("headers") or {}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    if not content_type:
        return None
    media_type = str(content_type).split(";", 1)[0].strip().lower()
    return None if media_type == "application/json" else str(content_type)


# --- helpers ------------------------------------------------------------------------------


def _tenant() -> str:
    """The caller's tenant; every task route starts here, so nothing runs unscoped."""
    return caller_tenant(app.current_event.raw_event.get("requestContext") or {})


def _now() -> datetime:
    return utc_now()


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status_code=status, content_type=JSON, body=body, headers=headers)


def _html(page: str, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=200, content_type="text/html; charset=utf-8", body=page, headers=headers
    )


@functools.cache
def _openapi_document() -> dict[str, Any]:
    # The routes are fixed at import: generated once per process.
    return docs.openapi_document(app, OPENAPI_INFO)


@functools.cache
def _swagger_page() -> str:
    return docs.swagger_page(_openapi_document())


def _task(item: Any) -> Response[Any]:
    body = views.task_view(item, _now(), service.last_run(item.task_id))
    return _json(200, body, _etag(item.version))


def _reply(reply: Mapping[str, Any], replayed: bool = False) -> Response[Any]:
    headers = dict(reply["headers"])
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return _json(int(reply["status"]), reply["body"], headers)


def _error(error: SundialError) -> Response[Any]:
    return Response(
        status_code=error.status,
        content_type=JSON,
        body=error_body(error),
        headers=error_headers(error),
    )


def _etag(version: Any) -> dict[str, str]:
    return {"ETag": f'"{int(version)}"'}


def _expected_version(if_match: str | None) -> int | None:
    """The version an If-Match names: `"3"`, `3` or `W/"3"`; `*` (any) is None."""
    if if_match is None or if_match.strip() == "*":
        return None
    match = _VERSION_TAG.fullmatch(if_match.strip())
    if match is None:
        raise ValidationError(
            'If-Match must be the version of the task, e.g. "3" (its ETag)', field="If-Match"
        )
    return int(match["quoted"] or match["bare"])


def _tag_filter(tag: str | None) -> tuple[str, str] | None:
    if tag is None:
        return None
    match = _TAG_FILTER.fullmatch(tag)
    if match is None:
        raise ValidationError("tag must be key:value, e.g. env:prod", field="tag")
    return match["key"], match["value"]


def _body_model() -> type[BaseModel] | None:
    """The request body model of the route being served (for naming fields in errors)."""
    route = app.context.get("_route")
    params = getattr(getattr(route, "dependant", None), "body_params", None) or []
    for param in params:
        for candidate in (param.type_, *getattr(param.type_, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                return candidate
    return None


def _methods_of(path: str) -> list[str]:
    """The methods some route serves at `path` (empty: no such path at all).

    Powertools answers a known path with the wrong method as "not found"; API.md's
    clients deserve 405 and an Allow header. Its route table is not public API, so
    the 405 tests pin this down.
    """
    routes = [*app._static_routes, *app._dynamic_routes]
    return sorted({route.method for route in routes if route.rule.match(path)})
