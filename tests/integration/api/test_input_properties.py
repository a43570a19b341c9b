"""Property-based: whatever a client sends to the API, the answer is a success or a 4xx
naming the field, never a 5xx, and nothing is stored on any error.

Each property drives the real handler over moto with a modest number of examples (the
tables live for the whole test, so "nothing stored" is checked as an unchanged count).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from api_client import Api, task_body
from edge_times import ZONES, timestamps, wall_times
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sundial.core.task.limits import (
    BACKOFF_MAX,
    GRACE_MAX,
    JITTER_MAX,
    MAX_ATTEMPTS_MAX,
    MAX_BACKOFF_MAX,
    MAX_EVENT_AGE_MAX,
    MAX_EVENT_AGE_MIN,
    TIMEOUT_MAX,
)

API_SETTINGS = settings(
    max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)


def _count(api: Api) -> int:
    response = api.call("GET", "/tasks?limit=100")
    assert response.status == 200, response.body
    return len(response.body["tasks"])


def _create_answers_4xx_naming_or_stores(
    api: Api, body: Any, fields: set[str], *, raw: str | None = None
) -> dict[str, Any]:
    """POST /tasks: 201 (one more task) or 4xx naming one of `fields` (nothing stored)."""
    before = _count(api)
    response = api.call("POST", "/tasks", body, raw_body=raw)
    assert response.status < 500, response.body
    if response.status == 201:
        assert _count(api) == before + 1
        assert api.call("GET", f"/tasks/{response.body['id']}").status == 200
        return dict(response.body)
    assert 400 <= response.status < 500
    assert response.error["field"] in fields, response.error
    assert _count(api) == before
    return {}


@API_SETTINGS
@given(start_at=st.none() | timestamps(), end_at=st.none() | timestamps())
def test_window_edges_in_any_offset_are_created_or_refused_naming_the_field(
    api: Api, start_at: str | None, end_at: str | None
) -> None:
    body = task_body(schedule="@daily", timezone="UTC", start_at=start_at, end_at=end_at)
    _create_answers_4xx_naming_or_stores(api, body, {"start_at", "end_at"})


@API_SETTINGS
@given(wall=wall_times(), zone=st.sampled_from(ZONES))
def test_one_time_schedules_at_the_edges_in_any_zone_are_created_or_refused(
    api: Api, wall: Any, zone: str
) -> None:
    body = task_body(schedule=f"at({wall:%Y-%m-%dT%H:%M:%S})", timezone=zone)
    _create_answers_4xx_naming_or_stores(api, body, {"schedule"})


def _around(*bounds: int) -> st.SearchStrategy[int]:
    """Integers at, just inside and just beyond each bound, and absurd ones."""
    near = [b + d for b in bounds for d in (-1, 0, 1)]
    return st.one_of(st.sampled_from(near), st.integers(-(10**30), 10**30))


NUMBERS = {
    "retry.max_attempts": _around(1, MAX_ATTEMPTS_MAX),
    "retry.backoff_seconds": _around(0, BACKOFF_MAX),
    "retry.max_backoff_seconds": _around(1, MAX_BACKOFF_MAX),
    "retry.max_event_age_seconds": _around(MAX_EVENT_AGE_MIN, MAX_EVENT_AGE_MAX),
    "timeout_seconds": _around(1, TIMEOUT_MAX),
    "jitter_seconds": _around(0, JITTER_MAX),
    "misfire.grace_seconds": _around(0, GRACE_MAX),
}


@API_SETTINGS
@given(field=st.sampled_from(sorted(NUMBERS)), data=st.data())
def test_numbers_at_and_beyond_their_bounds_are_created_or_refused_naming_the_field(
    api: Api, field: str, data: st.DataObject
) -> None:
    value = data.draw(NUMBERS[field])
    parent, _, name = field.rpartition(".")
    body = task_body(**({parent: {name: value}} if parent else {name: value}))
    # max_backoff_seconds below backoff_seconds is refused on max_backoff_seconds.
    _create_answers_4xx_naming_or_stores(api, body, {field, "retry.max_backoff_seconds"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=10,
)


@API_SETTINGS
@given(depth=st.integers(1, 150), leaf=json_values)
def test_payloads_nested_to_any_depth_are_created_or_refused(
    api: Api, depth: int, leaf: Any
) -> None:
    payload = leaf
    for _ in range(depth):
        payload = [payload]
    raw = json.dumps(task_body(payload=payload))
    _create_answers_4xx_naming_or_stores(api, None, {None, "payload"}, raw=raw)


@API_SETTINGS
@given(junk=st.binary(min_size=1, max_size=64), at=st.integers(0, 40))
def test_bodies_that_are_not_utf8_are_refused(api: Api, junk: bytes, at: int) -> None:
    text = json.dumps(task_body(description="D")).encode()
    raw = text[:at] + junk + text[at:]
    before = _count(api)
    event = api.event("POST", "/tasks", raw_body=base64.b64encode(raw).decode())
    event["isBase64Encoded"] = True
    response = api.send(event)
    assert response.status < 500, response.body
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        assert (response.status, response.error["code"]) == (400, "validation_error")
        assert "UTF-8" in response.error["message"]
    if response.status != 201:  # junk that happens to be UTF-8 may break any field
        assert response.error and _count(api) == before


@API_SETTINGS
@given(
    text=st.text(alphabet=st.characters(codec=None, blacklist_categories=())), escape=st.booleans()
)
def test_any_description_text_is_stored_as_sent_or_refused(
    api: Api, text: str, escape: bool
) -> None:
    raw = json.dumps(task_body(description=text), ensure_ascii=escape)
    if not escape:
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:
            raw = json.dumps(task_body(description=text))  # a surrogate: send it escaped
    created = _create_answers_4xx_naming_or_stores(api, None, {None, "description"}, raw=raw)
    if created:
        assert created["description"] == text


@API_SETTINGS
@given(
    after=timestamps(),
    zone=st.sampled_from(ZONES),
    schedule=st.sampled_from(
        ["@daily", "rate(1 hour)", "cron(0 0 L * ? *)", "0 0 29 2 *", "@every 90s"]
    ),
)
def test_preview_anywhere_answers_200_or_400_naming_the_field(
    api: Api, after: str, zone: str, schedule: str
) -> None:
    body = {"schedule": schedule, "timezone": zone, "after": after}
    response = api.call("POST", "/preview", body)
    assert response.status in (200, 400), (body, response.body)
    if response.status == 400:
        assert response.error["field"] in ("after", "schedule"), response.error


@API_SETTINGS
@given(field=st.sampled_from(sorted(NUMBERS)), data=st.data(), window=st.data())
def test_patches_at_and_beyond_the_bounds_apply_whole_or_change_nothing(
    api: Api, field: str, data: st.DataObject, window: st.DataObject
) -> None:
    task = api.create()
    parent, _, name = field.rpartition(".")
    value = data.draw(NUMBERS[field])
    change: dict[str, Any] = {parent: {name: value}} if parent else {name: value}
    change["end_at"] = window.draw(timestamps())  # often past the range, refused whole
    response = api.call("PATCH", f"/tasks/{task['id']}", change)
    assert response.status < 500, response.body
    stored = api.call("GET", f"/tasks/{task['id']}").body
    if response.status == 200:
        assert stored["version"] == 2 or stored == task
    else:
        assert response.error["field"] in {field, "end_at", "retry.max_backoff_seconds"}
        assert stored["version"] == 1 and stored["end_at"] is None
