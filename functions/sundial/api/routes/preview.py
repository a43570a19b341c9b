"""`/preview`: a schedule's next fire times and its description; nothing is stored."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from sundial.api import service
from sundial.api.docs import responses
from sundial.api.models import PreviewRequest, PreviewResponse
from sundial.api.replies import json_reply
from sundial.api.request import tenant_of
from sundial.core.clock import format_timestamp

router = Router()


@router.post(
    "/preview",
    operation_id="previewSchedule",
    summary="The next fire times of a schedule (nothing is stored)",
    tags=["schedules"],
    responses=responses(200, "The fire times", 400),
)
def preview(request: Annotated[PreviewRequest, Body()]) -> Response[PreviewResponse]:
    tenant = tenant_of(router.current_event)  # calendars in `exclude` are the tenant's
    times, description = service.preview_schedule(
        request.schedule,
        request.timezone,
        request.after,
        request.count,
        tenant=tenant,
        exclude=request.exclude,
    )
    fire_times = [format_timestamp(t) for t in times]
    return json_reply(200, {"fire_times": fire_times, "description": description})
