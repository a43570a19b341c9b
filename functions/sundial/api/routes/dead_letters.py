"""`/dead-letters`: the tenant's dead-lettered executions, and running them again."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from sundial.api import service, views
from sundial.api.docs import responses
from sundial.api.models import DEFAULT_PAGE_SIZE, DeadLetterList, RedriveRequest, RedriveResponse
from sundial.api.replies import json_reply
from sundial.api.request import PageSize, PageToken, tenant_of

router = Router()


@router.get(
    "/dead-letters",
    operation_id="listDeadLetters",
    summary="The tenant's dead-lettered executions, newest first",
    tags=["dead letters"],
    responses=responses(200, "A page", 400),
)
def list_dead_letters(
    limit: PageSize = DEFAULT_PAGE_SIZE, next_token: PageToken = None
) -> Response[DeadLetterList]:
    tenant = tenant_of(router.current_event)
    items, token = service.list_dead_letters(tenant, limit=limit, next_token=next_token)
    dead_letters = [views.dead_letter_view(item) for item in items]
    return json_reply(200, {"dead_letters": dead_letters, "next_token": token})


@router.post(
    "/dead-letters/redrive",
    operation_id="redriveDeadLetters",
    status_code=202,
    summary="Run the tenant's dead letters (or the ones named) again",
    tags=["dead letters"],
    responses=responses(202, "Enqueued", 400),
)
def redrive_dead_letters(
    request: Annotated[RedriveRequest | None, Body()] = None,
) -> Response[RedriveResponse]:
    ids = request.execution_ids if request is not None else None
    redriven = service.redrive_dead_letters(tenant_of(router.current_event), ids)
    return json_reply(202, {"redriven": redriven})
