"""`/calendars` and `/calendars/{name}`: the tenant's calendars of days that tasks skip
(`"exclude": ["calendar:NAME"]`)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from sundial.api import service
from sundial.api.docs import responses
from sundial.api.models import CalendarList, CalendarPut, CalendarView
from sundial.api.replies import json_reply
from sundial.api.request import tenant_of
from sundial.core.clock import from_ms
from sundial.core.errors import ValidationError
from sundial.core.exclusions import CALENDAR_NAME_HINT, CALENDAR_NAME_PATTERN
from sundial.store import CalendarItem

router = Router()

CalendarName = Annotated[
    str, Path(description="The calendar's name, unique per tenant", examples=["holidays"])
]


@router.put(
    "/calendars/<name>",
    operation_id="putCalendar",
    summary="Create or replace a calendar",
    description=(
        "Creates the calendar or replaces its description and dates. Tasks naming it "
        "skip its days from their next planning on, and a fire already planned for a "
        "day it now excludes is dropped before it runs."
    ),
    tags=["calendars"],
    responses=responses(200, "The calendar as stored", 400),
)
def put_calendar(
    name: CalendarName, calendar: Annotated[CalendarPut, Body()]
) -> Response[CalendarView]:
    stored = service.put_calendar(
        tenant_of(router.current_event), _checked(name), calendar.description, calendar.dates
    )
    return json_reply(200, calendar_view(stored))


@router.get(
    "/calendars",
    operation_id="listCalendars",
    summary="The tenant's calendars, by name",
    tags=["calendars"],
    responses=responses(200, "The calendars"),
)
def list_calendars() -> Response[CalendarList]:
    calendars = service.list_calendars(tenant_of(router.current_event))
    return json_reply(200, {"calendars": [calendar_view(c) for c in calendars]})


@router.get(
    "/calendars/<name>",
    operation_id="getCalendar",
    summary="One calendar",
    tags=["calendars"],
    responses=responses(200, "The calendar", 404),
)
def get_calendar(name: CalendarName) -> Response[CalendarView]:
    calendar = service.get_calendar(tenant_of(router.current_event), name)
    return json_reply(200, calendar_view(calendar))


@router.delete(
    "/calendars/<name>",
    operation_id="deleteCalendar",
    status_code=204,
    summary="Delete a calendar no task names",
    description="409 calendar_in_use while a task's exclude names the calendar.",
    tags=["calendars"],
    responses=responses(204, "Deleted", 404, 409),
)
def delete_calendar(name: CalendarName) -> Response[Any]:
    service.delete_calendar(tenant_of(router.current_event), name)
    return Response(status_code=204, body="")


def calendar_view(item: CalendarItem) -> dict[str, Any]:
    return CalendarView(
        name=item.name,
        description=item.description or "",
        dates=list(item.dates or []),
        updated_at=from_ms(int(item.updated_at)),
    ).model_dump(mode="json")


def _checked(name: str) -> str:
    if not CALENDAR_NAME_PATTERN.fullmatch(name):
        raise ValidationError(f"name must be {CALENDAR_NAME_HINT}", field="name")
    return name
