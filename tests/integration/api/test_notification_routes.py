"""A task's `notifications` through the API: bad input is a 400 naming the field with
nothing stored; responses never show a destination's secrets; a PATCH replaces the list
whole but keeps the secrets of the HTTP destinations it sends back; and changing
notifications has no effect on timing (fires already planned stay valid)."""

from __future__ import annotations

from typing import Any

import pytest
from api_client import Api, task_body

from sundial import store
from sundial.core.task.notifications import HttpDestination
from sundial.settings import reset_settings
from sundial.store import spec_of

TOPIC = {"type": "sns", "topic_arn": "arn:aws:sns:us-east-1:123456789012:alerts"}
HOOK_URL = "https://hooks.example.com/sundial"


def _hook(url: str = HOOK_URL, **fields: Any) -> dict[str, Any]:
    return {"type": "http", "url": url, **fields}


def _failures_to(destination: dict[str, Any]) -> dict[str, Any]:
    return {"on": ["run.failed"], "destination": destination}


def _stored_destinations(task_id: str) -> list[Any]:
    return [n.destination for n in spec_of(store.get_task("acme", task_id)).notifications]


BAD_NOTIFICATIONS = {
    "an unknown event type": (
        [{"on": ["run.exploded"], "destination": TOPIC}],
        "notifications.0.on.0",
    ),
    "an empty event list": ([{"on": [], "destination": TOPIC}], "notifications.0.on"),
    "an event listed twice": (
        [{"on": ["run.failed", "run.failed"], "destination": TOPIC}],
        "notifications.0.on",
    ),
    "six entries": ([_failures_to(TOPIC)] * 6, "notifications"),
    "not a list": (_failures_to(TOPIC), "notifications"),
    "a destination that is not an object": (
        [_failures_to("https://hooks.example.com")],  # type: ignore[arg-type]
        "notifications.0.destination",
    ),
    "no destination": ([{"on": ["run.failed"]}], "notifications.0.destination"),
    "a target type that is not a destination type": (
        [_failures_to({"type": "lambda", "arn": "arn:aws:lambda:us-east-1:1:function:f"})],
        "notifications.0.destination.type",
    ),
    "a field of another destination type": (
        [_failures_to({"type": "eventbridge", "source": "mine"})],
        "notifications.0.destination.source",
    ),
    "a method other than POST": (
        [_failures_to(_hook(method="PUT"))],
        "notifications.0.destination.method",
    ),
    "a URL that is not http(s)": (
        [_failures_to(_hook("ftp://hooks.example.com/"))],
        "notifications.0.destination.url",
    ),
    "a refused address": (
        [_failures_to(TOPIC), _failures_to(_hook("http://169.254.169.254/latest/"))],
        "notifications.1.destination.url",
    ),
    "a private address": (
        [_failures_to(_hook("http://10.0.0.5/hook"))],
        "notifications.0.destination.url",
    ),
    "a credential header hidden as ***": (
        [_failures_to(_hook(headers={"Authorization": "***"}))],
        "notifications.0.destination.headers.Authorization",
    ),
    "a malformed topic ARN": (
        [_failures_to({"type": "sns", "topic_arn": "alerts"})],
        "notifications.0.destination.topic_arn",
    ),
}


@pytest.mark.parametrize("case", list(BAD_NOTIFICATIONS))
def test_bad_notifications_are_refused_on_create_naming_the_field_and_nothing_is_stored(
    api: Api, case: str
) -> None:
    notifications, field = BAD_NOTIFICATIONS[case]
    response = api.call("POST", "/tasks", task_body(notifications=notifications))
    assert response.status == 400, response.body
    assert (response.error["code"], response.error["field"]) == ("validation_error", field)
    assert response.error["message"].startswith(field)
    assert api.call("GET", "/tasks").body["tasks"] == []


@pytest.mark.parametrize("case", list(BAD_NOTIFICATIONS))
def test_bad_notifications_are_refused_on_patch_and_the_task_is_unchanged(
    api: Api, case: str
) -> None:
    notifications, field = BAD_NOTIFICATIONS[case]
    task = api.create(notifications=[_failures_to(TOPIC)])
    response = api.call("PATCH", f"/tasks/{task['id']}", {"notifications": notifications})
    assert response.status == 400, response.body
    assert (response.error["code"], response.error["field"]) == ("validation_error", field)
    stored = api.call("GET", f"/tasks/{task['id']}").body
    assert (stored["version"], stored["notifications"]) == (1, task["notifications"])


def test_a_wrong_destination_type_is_told_the_destination_types(api: Api) -> None:
    """Not the target types: a destination cannot be a Lambda function or a handler."""
    notifications, _ = BAD_NOTIFICATIONS["a target type that is not a destination type"]
    response = api.call("POST", "/tasks", task_body(notifications=notifications))
    assert response.error["message"] == (
        "notifications.0.destination.type must be one of http, sns, sqs, eventbridge"
    )


def test_private_destinations_are_accepted_where_private_targets_are_allowed(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLOW_PRIVATE_TARGETS", "true")
    reset_settings()
    private = [_failures_to(_hook("http://10.0.0.5/hook"))]
    assert api.call("POST", "/tasks", task_body(notifications=private)).status == 201


def test_destination_secrets_are_stored_but_never_shown(api: Api) -> None:
    hook = _hook(signing_secret="whsec-1", headers={"Authorization": "Bearer t", "X-Team": "a"})
    paused = {"on": ["task.paused"], "destination": TOPIC}
    task = api.create(notifications=[_failures_to(hook), paused])
    shown = api.call("GET", f"/tasks/{task['id']}").body["notifications"]
    assert shown == [
        {
            "on": ["run.failed"],
            "destination": {
                "type": "http",
                "url": HOOK_URL,
                "method": "POST",
                "headers": {"Authorization": "***", "X-Team": "a"},
            },
        },
        {"on": ["task.paused"], "destination": TOPIC},
    ]
    assert task["notifications"] == shown
    [stored, _] = _stored_destinations(task["id"])
    assert isinstance(stored, HttpDestination)
    assert (stored.signing_secret, stored.headers["Authorization"]) == ("whsec-1", "Bearer t")


def test_a_patch_that_sends_notifications_back_as_shown_keeps_their_secrets(api: Api) -> None:
    hook = _hook(signing_secret="whsec-1", headers={"Authorization": "Bearer t"})
    task = api.create(notifications=[_failures_to(hook)])
    shown = api.call("GET", f"/tasks/{task['id']}").body["notifications"]
    shown[0]["on"] = ["run.failed", "run.dead_lettered"]
    response = api.call("PATCH", f"/tasks/{task['id']}", {"notifications": shown})
    assert response.status == 200, response.body
    [stored] = _stored_destinations(task["id"])
    assert (stored.signing_secret, stored.headers) == ("whsec-1", {"Authorization": "Bearer t"})


def test_a_destination_keeps_its_secret_when_entries_before_it_are_removed(api: Api) -> None:
    """Matched by URL, the same position first: removing or reordering entries keeps secrets."""
    first = _hook("https://a.example.com/", signing_secret="secret-a")
    second = _hook("https://b.example.com/", signing_secret="secret-b")
    task = api.create(notifications=[_failures_to(first), _failures_to(second)])
    shown = api.call("GET", f"/tasks/{task['id']}").body["notifications"]
    api.call("PATCH", f"/tasks/{task['id']}", {"notifications": [shown[1]]})
    [stored] = _stored_destinations(task["id"])
    assert (stored.url, stored.signing_secret) == ("https://b.example.com/", "secret-b")


def test_a_destination_with_a_new_url_keeps_no_secret(api: Api) -> None:
    task = api.create(notifications=[_failures_to(_hook(signing_secret="secret-a"))])
    api.call(
        "PATCH",
        f"/tasks/{task['id']}",
        {"notifications": [_failures_to(_hook("https://other.example.com/"))]},
    )
    [stored] = _stored_destinations(task["id"])
    assert stored.signing_secret is None


def test_a_null_signing_secret_removes_it_and_a_new_one_replaces_it(api: Api) -> None:
    task = api.create(notifications=[_failures_to(_hook(signing_secret="old"))])
    path = f"/tasks/{task['id']}"
    api.call("PATCH", path, {"notifications": [_failures_to(_hook(signing_secret="new"))]})
    assert _stored_destinations(task["id"])[0].signing_secret == "new"
    api.call("PATCH", path, {"notifications": [_failures_to(_hook(signing_secret=None))]})
    assert _stored_destinations(task["id"])[0].signing_secret is None


def test_an_empty_list_removes_every_notification_and_leaving_it_out_keeps_them(
    api: Api,
) -> None:
    task = api.create(notifications=[_failures_to(TOPIC)])
    path = f"/tasks/{task['id']}"
    assert api.call("PATCH", path, {"description": "x"}).body["notifications"] == [
        _failures_to(TOPIC)
    ]
    assert api.call("PATCH", path, {"notifications": []}).body["notifications"] == []
    assert store.get_task("acme", task["id"]).notifications is None  # absent, as before


def test_changing_notifications_alone_leaves_the_planned_fires_valid(api: Api) -> None:
    task = api.create()
    before = store.get_task("acme", task["id"])
    response = api.call("PATCH", f"/tasks/{task['id']}", {"notifications": [_failures_to(TOPIC)]})
    assert (response.status, response.body["version"]) == (200, 2)
    after = store.get_task("acme", task["id"])
    # Fires sent ahead carry the schedule version: unchanged, the executor still runs them.
    assert after.schedule_version == before.schedule_version
    assert (after.due_at, after.timing_since) == (before.due_at, before.timing_since)
    assert response.body["next_fire_times"] == task["next_fire_times"]


def test_a_patch_racing_a_secret_rotation_keeps_the_rotated_secret(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The secret is kept from the version the write is conditioned on: a rotation that
    lands between the PATCH's read and its write makes it merge again, into the rotated
    version, not write back the secret it read first."""
    from sundial.api import service

    task = api.create(notifications=[_failures_to(_hook(signing_secret="old"))])
    path = f"/tasks/{task['id']}"
    shown = api.call("GET", path).body["notifications"]
    shown[0]["on"] = ["run.failed", "task.paused"]
    merge = service.apply_update
    rotated: list[int] = []

    def rotate_first(current: Any, update: Any) -> Any:
        if not rotated:
            rotated.append(1)
            rotation = [_failures_to(_hook(signing_secret="rotated"))]
            assert api.call("PATCH", path, {"notifications": rotation}).status == 200
        return merge(current, update)

    monkeypatch.setattr(service, "apply_update", rotate_first)
    response = api.call("PATCH", path, {"notifications": shown})
    assert (response.status, response.body["version"]) == (200, 3)
    [stored] = _stored_destinations(task["id"])
    assert stored.signing_secret == "rotated"
    assert response.body["notifications"][0]["on"] == ["run.failed", "task.paused"]
