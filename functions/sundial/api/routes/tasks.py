"""`/tasks` and `/tasks/{id}`: create, list, read, update, delete, pause, resume, trigger,
backfill."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from sundial.api import idempotency, service, views
from sundial.api.docs import API_PREFIX, CREATED_HEADERS, ETAG_HEADER, responses
from sundial.api.models import (
    DEFAULT_PAGE_SIZE,
    BackfillRequest,
    BackfillResponse,
    TaskList,
    TriggerResponse,
)
from sundial.api.replies import etag, json_reply, stored_reply, task_reply
from sundial.api.request import (
    IdempotencyKey,
    IfMatch,
    PageSize,
    PageToken,
    TaskId,
    expected_version,
    tag_filter,
    tenant_of,
)
from sundial.core.clock import utc_now
from sundial.core.task import TaskCreate, TaskUpdate, TaskView
from sundial.core.vocabulary import TaskState

router = Router()


@router.post(
    "/tasks",
    operation_id="createTask",
    status_code=201,
    summary="Create a task",
    description=(
        "Stored only when the whole request succeeds: every field is checked and the task "
        "is planned before anything is written, so a refused create (also one retried with "
        "the same Idempotency-Key) stores nothing. Times must fall between "
        "0001-01-02T00:00:00Z and 9999-12-30T00:00:00Z. Credential header values of an "
        "HTTP target are write-only (returned as ***)."
    ),
    tags=["tasks"],
    responses=responses(201, "The task created", 400, 409, 413, headers=CREATED_HEADERS),
)
def create_task(
    spec: Annotated[TaskCreate, Body()], idempotency_key: IdempotencyKey = None
) -> Response[TaskView]:
    tenant = tenant_of(router.current_event)
    ran = False

    def create() -> dict[str, Any]:
        nonlocal ran
        ran = True
        item = service.create_task(tenant, spec)
        headers = {"Location": f"{API_PREFIX}/tasks/{item.task_id}", **etag(item.version)}
        body = views.task_view(item, utc_now(), None)
        return {"status": 201, "headers": headers, "body": body}

    if idempotency_key is None:
        return stored_reply(create())
    reply = idempotency.run_once(
        tenant, idempotency_key, router.current_event.json_body, create, router.lambda_context
    )
    return stored_reply(reply, replayed=not ran)


@router.get(
    "/tasks",
    operation_id="listTasks",
    summary="List tasks",
    description=(
        "A task stored by an older version that cannot be planned is listed with no "
        "next_fire_times and a schedule_error saying why it does not fire."
    ),
    tags=["tasks"],
    responses=responses(200, "A page", 400),
)
def list_tasks(
    limit: PageSize = DEFAULT_PAGE_SIZE,
    next_token: PageToken = None,
    state: Annotated[TaskState | None, Query()] = None,
    tag: Annotated[str | None, Query(description="key:value; tasks carrying that tag")] = None,
    name: Annotated[
        str | None,
        Query(description="exact: the task of that name (names are unique per tenant), or none"),
    ] = None,
) -> Response[TaskList]:
    tenant = tenant_of(router.current_event)
    items, token = service.list_tasks(
        tenant,
        limit=limit,
        next_token=next_token,
        state=state,
        tag=tag_filter(tag),
        name=name,
    )
    tasks = views.task_views(items, utc_now())
    return json_reply(200, {"tasks": tasks, "next_token": token})


@router.get(
    "/tasks/<task_id>",
    operation_id="getTask",
    summary="Get a task",
    tags=["tasks"],
    responses=responses(200, "The task", 404, headers=ETAG_HEADER),
)
def get_task(task_id: TaskId) -> Response[TaskView]:
    item = service.get_task(tenant_of(router.current_event), task_id)
    return task_reply(item)


@router.patch(
    "/tasks/<task_id>",
    operation_id="updateTask",
    summary="Update a task (partial)",
    description=(
        "Fields left out keep their value; retry and misfire merge field by field; target, "
        "tags and payload are replaced whole. Without If-Match, concurrent PATCHes merge: "
        "each is applied to the latest version. An HTTP target sent back with *** for a "
        "credential header keeps the stored value. Nothing is stored on any error."
    ),
    tags=["tasks"],
    responses=responses(200, "The task", 400, 404, 409, 412, 413, headers=ETAG_HEADER),
)
def update_task(
    task_id: TaskId, update: Annotated[TaskUpdate, Body()], if_match: IfMatch = None
) -> Response[TaskView]:
    tenant = tenant_of(router.current_event)
    item = service.update_task(tenant, task_id, update, expected_version(if_match))
    return task_reply(item)


@router.delete(
    "/tasks/<task_id>",
    operation_id="deleteTask",
    status_code=204,
    summary="Delete a task (its run history expires on its own)",
    tags=["tasks"],
    responses=responses(204, "Deleted", 400, 404, 412),
)
def delete_task(task_id: TaskId, if_match: IfMatch = None) -> Response[Any]:
    service.delete_task(tenant_of(router.current_event), task_id, expected_version(if_match))
    return Response(status_code=204, body="")


@router.post(
    "/tasks/<task_id>/pause",
    operation_id="pauseTask",
    summary="Pause a task",
    tags=["tasks"],
    responses=responses(200, "The task", 400, 404, 412, headers=ETAG_HEADER),
)
def pause_task(task_id: TaskId, if_match: IfMatch = None) -> Response[TaskView]:
    tenant = tenant_of(router.current_event)
    item = service.pause_task(tenant, task_id, expected_version(if_match))
    return task_reply(item)


@router.post(
    "/tasks/<task_id>/resume",
    operation_id="resumeTask",
    summary="Resume a task from its next fire after now (missed fires are not run)",
    tags=["tasks"],
    responses=responses(200, "The task", 400, 404, 412, headers=ETAG_HEADER),
)
def resume_task(task_id: TaskId, if_match: IfMatch = None) -> Response[TaskView]:
    tenant = tenant_of(router.current_event)
    item = service.resume_task(tenant, task_id, expected_version(if_match))
    return task_reply(item)


@router.post(
    "/tasks/<task_id>/trigger",
    operation_id="triggerTask",
    status_code=202,
    summary="Run a task now, also while paused",
    tags=["tasks"],
    responses=responses(202, "Enqueued", 404),
)
def trigger_task(task_id: TaskId) -> Response[TriggerResponse]:
    execution_id = service.trigger_task(tenant_of(router.current_event), task_id)
    return json_reply(202, {"execution_id": execution_id})


@router.post(
    "/tasks/<task_id>/backfill",
    operation_id="backfillTask",
    status_code=202,
    summary="Run a task's scheduled times in [start, end] now (at most 1,000)",
    tags=["tasks"],
    responses=responses(202, "Enqueued", 400, 404),
)
def backfill_task(
    task_id: TaskId, request: Annotated[BackfillRequest, Body()]
) -> Response[BackfillResponse]:
    tenant = tenant_of(router.current_event)
    fires = service.backfill_task(tenant, task_id, request.start, request.end)
    return json_reply(202, {"fires": fires})
