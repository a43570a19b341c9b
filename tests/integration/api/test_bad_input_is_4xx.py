"""Inputs at the edges of what the API accepts answer 4xx naming the field, never 500, and
a create or update that fails stores nothing (also when retried with an Idempotency-Key).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from api_client import Api, task_body

from sundial.api.body import MAX_JSON_DEPTH


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _stored(api: Api) -> list[dict[str, Any]]:
    response = api.call("GET", "/tasks")
    assert response.status == 200, response.body
    return list(response.body["tasks"])


@pytest.mark.parametrize(
    "body, code, field",
    [
        (task_body(end_at="9999-12-31T23:00:00-05:00"), "validation_error", "end_at"),
        (task_body(start_at="0001-01-01T00:30:00+05:00"), "validation_error", "start_at"),
        (task_body(start_at="9999-12-31T23:59:59Z"), "validation_error", "start_at"),
        (
            task_body(schedule="at(9999-12-31T23:59:59)", timezone="America/Los_Angeles"),
            "invalid_schedule",
            "schedule",
        ),
        (
            task_body(schedule="at(0001-01-01T00:00:00)", timezone="Asia/Tokyo"),
            "invalid_schedule",
            "schedule",
        ),
    ],
)
def test_times_past_the_planning_range_are_refused_naming_the_field_and_nothing_is_stored(
    api: Api, body: dict, code: str, field: str
) -> None:
    for _ in range(2):  # a client retrying with the same key stores nothing either
        response = api.call("POST", "/tasks", body, headers={"Idempotency-Key": "k-1"})
        assert (response.status, response.error["code"], response.error["field"]) == (
            400,
            code,
            field,
        )
    assert _stored(api) == []


def test_a_patch_past_the_planning_range_is_refused_and_changes_nothing(api: Api) -> None:
    task = api.create()
    response = api.call("PATCH", f"/tasks/{task['id']}", {"end_at": "9999-12-31T20:00:00-08:00"})
    assert (response.status, response.error["field"]) == (400, "end_at")
    assert [t["version"] for t in _stored(api)] == [1]


def _json_routes(api: Api) -> list[tuple[str, str]]:
    task = api.create()
    return [
        ("POST", "/tasks"),
        ("PATCH", f"/tasks/{task['id']}"),
        ("POST", f"/tasks/{task['id']}/backfill"),
        ("POST", "/preview"),
        ("POST", "/dead-letters/redrive"),
    ]


def test_json_nested_1000_deep_is_a_validation_error_on_every_json_route(api: Api) -> None:
    for method, path in _json_routes(api):
        response = api.call(method, path, raw_body=_nested(1000))
        assert (response.status, response.error["code"]) == (400, "validation_error"), path
        assert str(MAX_JSON_DEPTH) in response.error["message"]
    assert len(_stored(api)) == 1


def test_a_payload_nested_to_the_limit_is_accepted(api: Api) -> None:
    raw = json.dumps(task_body(payload=[])).replace('"payload": []', '"payload": ' + _nested(63))
    assert api.call("POST", "/tasks", raw_body=raw).status == 201


def test_an_integer_of_more_than_4300_digits_is_a_validation_error(api: Api) -> None:
    raw = json.dumps(task_body(payload={"n": 1})).replace('{"n": 1}', '{"n": ' + "9" * 4400 + "}")
    response = api.call("POST", "/tasks", raw_body=raw)
    assert (response.status, response.error["code"]) == (400, "validation_error")
    assert _stored(api) == []


def test_invalid_utf8_is_a_validation_error_not_stored_with_replacement_characters(
    api: Api,
) -> None:
    raw = json.dumps(task_body(description="DESC")).encode().replace(b"DESC", b"caf\xe9")
    event = api.event("POST", "/tasks", raw_body=base64.b64encode(raw).decode())
    event["isBase64Encoded"] = True
    response = api.send(event)
    assert (response.status, response.error["code"]) == (400, "validation_error")
    assert "UTF-8" in response.error["message"]
    assert _stored(api) == []


def test_utf8_sent_base64_encoded_is_read_as_text(api: Api) -> None:
    raw = json.dumps(task_body(description="café"), ensure_ascii=False).encode()
    event = api.event("POST", "/tasks", raw_body=base64.b64encode(raw).decode())
    event["isBase64Encoded"] = True
    response = api.send(event)
    assert (response.status, response.body["description"]) == (201, "café")


def test_an_unpaired_surrogate_is_a_validation_error(api: Api) -> None:
    raw = json.dumps(task_body(description="DESC")).replace("DESC", "\\ud800")
    response = api.call("POST", "/tasks", raw_body=raw)
    assert (response.status, response.error["code"]) == (400, "validation_error")
    assert _stored(api) == []


@pytest.mark.parametrize(
    "content_type", ["APPLICATION/JSON", "Application/Json; charset=UTF-8", "application/json"]
)
def test_json_content_type_is_accepted_in_any_case(api: Api, content_type: str) -> None:
    response = api.call("POST", "/tasks", task_body(), headers={"Content-Type": content_type})
    assert response.status == 201, response.body


def test_a_content_type_sent_twice_is_json_only_when_both_are(api: Api) -> None:
    event = api.event("POST", "/tasks", task_body())
    event["multiValueHeaders"]["Content-Type"] = ["application/json", "text/plain"]
    assert api.send(event).status == 415
    event["multiValueHeaders"]["Content-Type"] = ["application/json", "Application/JSON"]
    assert api.send(event).status == 201


def test_a_body_without_content_type_is_read_as_json(api: Api) -> None:
    event = api.event("POST", "/tasks", task_body())
    del event["headers"]["Content-Type"]
    event["multiValueHeaders"].pop("Content-Type")
    assert api.send(event).status == 201


@pytest.mark.parametrize(
    "body, field",
    [
        ({"schedule": "@daily", "after": "9999-12-31T23:59:00-05:00"}, "after"),
        ({"schedule": "@daily", "after": "0001-01-01T00:00:00+05:00"}, "after"),
    ],
)
def test_preview_past_the_planning_range_names_the_field(api: Api, body: dict, field: str) -> None:
    response = api.call("POST", "/preview", body)
    assert (response.status, response.error["field"]) == (400, field)


def test_preview_at_the_end_of_the_planning_range_lists_what_fits(api: Api) -> None:
    body = {"schedule": "@daily", "timezone": "Pacific/Kiritimati", "after": "9999-12-27T00:00:00Z"}
    response = api.call("POST", "/preview", body)
    assert response.status == 200, response.body
    assert 1 <= len(response.body["fire_times"]) < 5


@pytest.mark.parametrize(
    "body, field",
    [
        ({"start": "0001-01-01T00:00:00+05:00", "end": "0001-01-03T00:00:00Z"}, "start"),
        ({"start": "0001-01-02T00:00:00Z", "end": "0001-01-04T00:00:00-05:00"}, None),
    ],
)
def test_backfill_near_year_one_is_a_4xx_or_runs(api: Api, body: dict, field: str | None) -> None:
    task = api.create(schedule="@daily", timezone="UTC")
    response = api.call("POST", f"/tasks/{task['id']}/backfill", body)
    if field is None:
        assert response.status == 202, response.body
    else:
        assert (response.status, response.error["field"]) == (400, field)


def test_fire_times_in_local_mean_time_are_rfc3339_in_utc(api: Api) -> None:
    """Los Angeles kept -07:52:58 before 1883: not an RFC 3339 offset, so UTC is shown."""
    body = {
        "schedule": "@daily",
        "timezone": "America/Los_Angeles",
        "after": "1880-01-01T00:00:00Z",
    }
    response = api.call("POST", "/preview", body)
    assert response.status == 200, response.body
    assert response.body["fire_times"][0] == "1880-01-01T07:52:58+00:00"
