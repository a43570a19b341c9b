"""A task stored before validation refused its definition (older data) cannot be planned;
it never takes down a list, and its own GET says why it does not fire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api_client import Api

from sundial.core.clock import to_ms
from sundial.store import TaskItem
from sundial.store import tasks as store_tasks

# An end_at in year 10000 (UTC), as `9999-12-31T23:00:00-05:00` was stored before the
# API checked the planning range.
BEYOND_YEAR_9999_MS = to_ms(datetime(9999, 12, 31, 23, tzinfo=UTC)) + 5 * 3600 * 1000


def _store_unplannable(api: Api) -> str:
    task = api.create(
        name="poison",
        target={
            "type": "http",
            "url": "https://e.com/h",
            "headers": {"Authorization": "Bearer s3"},
        },
    )
    item = store_tasks.get_task("acme", task["id"])
    TaskItem(item.task_id).update(actions=[TaskItem.end_at.set(BEYOND_YEAR_9999_MS)])
    return str(task["id"])


def test_an_unplannable_task_does_not_take_down_the_list(api: Api) -> None:
    healthy = api.create(name="healthy")
    poison = _store_unplannable(api)

    response = api.call("GET", "/tasks")

    assert response.status == 200, response.body
    by_id = {task["id"]: task for task in response.body["tasks"]}
    assert "schedule_error" not in by_id[healthy["id"]]
    assert len(by_id[healthy["id"]]["next_fire_times"]) == 5
    assert by_id[poison]["next_fire_times"] == []
    assert "cannot be planned" in by_id[poison]["schedule_error"]


def test_an_unplannable_tasks_own_get_explains_it_without_revealing_credentials(
    api: Api,
) -> None:
    poison = _store_unplannable(api)

    response = api.call("GET", f"/tasks/{poison}")

    assert response.status == 200, response.body
    assert response.body["end_at"] is None  # not a representable timestamp
    assert "year" in response.body["schedule_error"]
    assert response.body["target"]["headers"] == {"Authorization": "***"}
    assert api.call("DELETE", f"/tasks/{poison}").status == 204


def test_a_task_within_the_range_has_no_schedule_error(api: Api) -> None:
    end = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    task = api.create(end_at=end)
    assert "schedule_error" not in api.call("GET", f"/tasks/{task['id']}").body
