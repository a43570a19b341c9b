"""`/tasks/{id}/runs`: a task's run history, newest first."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from sundial.api import service
from sundial.api.docs import responses
from sundial.api.models import DEFAULT_PAGE_SIZE, RunList
from sundial.api.replies import json_reply
from sundial.api.request import PageSize, PageToken, TaskId, tenant_of
from sundial.store.run_resource import run_view

router = Router()


@router.get(
    "/tasks/<task_id>/runs",
    operation_id="listRuns",
    summary="A task's runs, newest first",
    tags=["runs"],
    responses=responses(200, "A page", 400, 404),
)
def list_runs(
    task_id: TaskId, limit: PageSize = DEFAULT_PAGE_SIZE, next_token: PageToken = None
) -> Response[RunList]:
    tenant = tenant_of(router.current_event)
    runs, token = service.list_runs(tenant, task_id, limit=limit, next_token=next_token)
    return json_reply(200, {"runs": [run_view(run) for run in runs], "next_token": token})
