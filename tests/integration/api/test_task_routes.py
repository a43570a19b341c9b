"""Every task route's success path: its status, headers and body."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_client import Api, daily_far_from_now, task_body
from moto.core.botocore_stubber import BotocoreStubber

from sundial import store
from sundial.store import RunItem, run_key

TASK_FIELDS = {
    "id", "name", "schedule", "timezone", "start_at", "end_at", "description", "target",
    "payload", "retry", "timeout_seconds", "overlap", "misfire", "jitter_seconds", "tags",
    "max_runs", "remaining_runs", "pause_after_failures", "pause_reason",
    "exclude", "notifications", "state", "version", "next_fire_times", "last_run",
    "created_at", "updated_at",
}  # fmt: skip


def _utc(ts: str) -> datetime:
    return datetime.fromisoformat(ts).astimezone(UTC)


def test_create_returns_201_with_location_etag_and_the_full_task_resource(api: Api) -> None:
    response = api.call("POST", "/tasks", task_body(name="nightly-report"))

    assert response.status == 201
    task = response.body
    assert set(task) == TASK_FIELDS
    assert response.header("Location") == f"/v1/tasks/{task['id']}"
    assert response.header("ETag") == '"1"'
    assert task["name"] == "nightly-report"
    assert (task["state"], task["version"], task["last_run"]) == ("active", 1, None)
    # the API's documented defaults
    assert task["retry"] == {
        "max_attempts": 3,
        "backoff_seconds": 2,
        "max_backoff_seconds": 300,
        "max_event_age_seconds": 86400,
    }
    assert task["misfire"] == {"policy": "fire_once", "grace_seconds": 60}
    assert task["target"] == {
        "type": "http",
        "url": "https://example.com/hook",
        "method": "POST",
        "headers": {},
    }
    assert (task["overlap"], task["timeout_seconds"], task["jitter_seconds"]) == ("allow", 30, 0)


def test_next_fire_times_are_the_next_five_in_the_tasks_zone_with_its_offset(api: Api) -> None:
    task = api.create(schedule="0 30 2 * * *", timezone="Europe/Berlin")

    times = task["next_fire_times"]
    assert len(times) == 5
    for text in times:
        local = datetime.fromisoformat(text)
        assert (local.hour, local.minute, local.second) == (2, 30, 0)
        assert local.utcoffset() in (timedelta(hours=1), timedelta(hours=2))
    assert [_utc(t) for t in times] == sorted(_utc(t) for t in times)
    assert _utc(times[0]) > datetime.now(UTC)


def test_next_fire_times_stop_at_the_end_of_the_window(api: Api) -> None:
    end = datetime.now(UTC) + timedelta(days=2, hours=1)
    task = api.create(schedule="@daily", timezone="UTC", end_at=end.isoformat())
    assert 1 <= len(task["next_fire_times"]) <= 3
    assert all(_utc(t) <= end for t in task["next_fire_times"])


def test_signing_secret_is_stored_but_never_returned(api: Api) -> None:
    target = {"type": "http", "url": "https://example.com/hook", "signing_secret": "s3cret"}
    task = api.create(target=target)

    assert "signing_secret" not in task["target"]
    assert "signing_secret" not in api.call("GET", f"/tasks/{task['id']}").body["target"]
    stored = store.get_task("acme", task["id"])
    assert stored.target["signing_secret"] == "s3cret"


def test_get_returns_the_task_with_its_etag(api: Api) -> None:
    task = api.create()
    response = api.call("GET", f"/tasks/{task['id']}")
    assert response.status == 200
    assert response.header("ETag") == '"1"'
    assert response.body == {**task, "next_fire_times": response.body["next_fire_times"]}


def test_get_shows_the_latest_run_as_last_run(api: Api) -> None:
    task = api.create()
    for fire_at_ms, status in ((1_700_000_000_000, "failed"), (1_700_000_060_000, "succeeded")):
        key = run_key(task["id"], fire_at_ms)
        RunItem(
            key.task_id,
            key.fire_key,
            execution_id=key.execution_id,
            tenant="acme",
            fire_at=fire_at_ms,
            status=status,
            attempt=1,
            started_at=fire_at_ms + 12,
            finished_at=fire_at_ms + 40,
            lateness_ms=12,
            result={"status_code": 200},
            expires_at=2_000_000_000,
        ).save()

    last_run = api.call("GET", f"/tasks/{task['id']}").body["last_run"]

    assert last_run["execution_id"] == f"{task['id']}:1700000060000"
    assert last_run["status"] == "succeeded"
    assert last_run["fire_at"] == "2023-11-14T22:14:20+00:00"
    assert (last_run["attempt"], last_run["lateness_ms"]) == (1, 12)
    assert last_run["result"] == {"status_code": 200}


def _save_run(task_id: str, fire_at_ms: int, status: str, manual_id: str | None = None) -> None:
    key = run_key(task_id, fire_at_ms, manual_id)
    RunItem(
        key.task_id,
        key.fire_key,
        execution_id=key.execution_id,
        tenant="acme",
        fire_at=fire_at_ms,
        status=status,
        attempt=1,
        started_at=fire_at_ms,
        expires_at=2_000_000_000,
    ).save()


def test_list_rows_show_the_same_last_run_as_the_task_and_its_run_history(api: Api) -> None:
    # Whatever produced the newest run: a manual trigger after a scheduled fire, a
    # backfilled time, a run still retrying, or no run at all.
    manual, backfilled, retrying, never = (api.create(name=n)["id"] for n in "abcd")
    # The runs are stored as their producers store them. Their times are before the tasks
    # were created, so they are backfilled times; a backfill or trigger first records
    # itself on the task, as the API does before enqueueing.
    store.note_backfill(manual, 1_700_000_000_000)
    _save_run(manual, 1_700_000_000_000, "succeeded")
    trigger = store.new_ulid()
    store.note_manual_run(manual, run_key(manual, 1_700_000_030_000, trigger).fire_key)
    _save_run(manual, 1_700_000_030_000, "running", manual_id=trigger)
    store.note_backfill(backfilled, 1_600_000_000_000)
    _save_run(backfilled, 1_600_000_000_000, "failed")
    store.note_backfill(retrying, 1_700_000_060_000)
    _save_run(retrying, 1_700_000_000_000, "succeeded")
    _save_run(retrying, 1_700_000_060_000, "retrying")

    rows = {task["id"]: task["last_run"] for task in api.call("GET", "/tasks").body["tasks"]}

    for task_id in (manual, backfilled, retrying, never):
        history = api.call("GET", f"/tasks/{task_id}/runs").body["runs"]
        newest = history[0] if history else None
        assert rows[task_id] == api.call("GET", f"/tasks/{task_id}").body["last_run"] == newest
    assert ":manual:" in rows[manual]["execution_id"]
    assert (rows[retrying]["status"], rows[never]) == ("retrying", None)


def recorded_operations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The DynamoDB operations sent from now on, in order ("DynamoDB_20120810.Query")."""
    operations: list[str] = []
    process = BotocoreStubber.process_request

    def recording(self: BotocoreStubber, request: Any) -> Any:
        target = request.headers.get("X-Amz-Target", b"")
        operations.append(target.decode() if isinstance(target, bytes) else target)
        return process(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", recording)
    return operations


def test_a_list_page_reads_no_task_s_run_history(api: Api, monkeypatch) -> None:
    """One query for the page of tasks; their last runs are read by key."""
    for i in range(12):
        api.create(name=f"t{i}")
    operations = recorded_operations(monkeypatch)
    assert len(api.call("GET", "/tasks").body["tasks"]) == 12
    assert operations.count("DynamoDB_20120810.Query") == 1


def test_list_returns_the_tenants_tasks_with_a_null_token_on_the_last_page(api: Api) -> None:
    created = [api.create(name=f"t{i}")["id"] for i in range(3)]
    response = api.call("GET", "/tasks")
    assert response.status == 200
    assert [t["id"] for t in response.body["tasks"]] == created
    assert response.body["next_token"] is None


def test_list_pages_with_limit_and_next_token(api: Api) -> None:
    created = [api.create()["id"] for _ in range(5)]
    seen: list[str] = []
    path = "/tasks?limit=2"
    pages = 0
    while True:
        page = api.call("GET", path).body
        pages += 1
        assert len(page["tasks"]) <= 2
        seen += [t["id"] for t in page["tasks"]]
        if page["next_token"] is None:
            break
        path = f"/tasks?limit=2&next_token={page['next_token']}"
    assert seen == created
    assert pages == 3


def test_list_filters_by_state_and_by_tag(api: Api) -> None:
    prod = api.create(tags={"env": "prod", "team": "a"})
    staging = api.create(tags={"env": "staging"})
    paused = api.create(tags={"env": "prod"})
    api.call("POST", f"/tasks/{paused['id']}/pause")

    def ids(query: str) -> list[str]:
        return [t["id"] for t in api.call("GET", f"/tasks?{query}").body["tasks"]]

    assert ids("state=paused") == [paused["id"]]
    assert ids("state=active") == [prod["id"], staging["id"]]
    assert ids("tag=env:prod") == [prod["id"], paused["id"]]
    assert ids("tag=env:prod&state=active") == [prod["id"]]
    assert ids("tag=team:b") == []


def test_list_by_name_finds_the_one_task_of_that_name_with_reads_alone(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        api.create(name=f"other-{n}")
    nightly = api.create(name="nightly", tags={"env": "prod"})
    operations = recorded_operations(monkeypatch)
    found = api.call("GET", "/tasks?name=nightly")

    assert found.status == 200
    assert [t["id"] for t in found.body["tasks"]] == [nightly["id"]]
    assert found.body["next_token"] is None
    # The name's reservation, then the task: no query of the tenant's tasks.
    assert "DynamoDB_20120810.Query" not in operations

    def ids(query: str) -> list[str]:
        return [t["id"] for t in api.call("GET", f"/tasks?{query}").body["tasks"]]

    assert ids("name=nightl") == []  # exact, not a prefix
    assert ids("name=nightly&tag=env:prod&state=active") == [nightly["id"]]
    assert ids("name=nightly&tag=env:staging") == []
    assert ids("name=nightly&state=paused") == []


def test_list_by_name_never_finds_another_tenants_task(api: Api) -> None:
    api.create(name="shared-name", tenant="globex")

    found = api.call("GET", "/tasks?name=shared-name")

    assert (found.status, found.body["tasks"]) == (200, [])


def test_list_by_name_follows_a_rename(api: Api) -> None:
    task = api.create(name="before")
    api.call("PATCH", f"/tasks/{task['id']}", {"name": "after"})

    assert api.call("GET", "/tasks?name=before").body["tasks"] == []
    assert [t["id"] for t in api.call("GET", "/tasks?name=after").body["tasks"]] == [task["id"]]


def test_patch_merges_policies_replaces_the_rest_and_bumps_the_etag(api: Api) -> None:
    task = api.create(tags={"a": "1"}, retry={"max_attempts": 5})
    response = api.call(
        "PATCH",
        f"/tasks/{task['id']}",
        {"retry": {"backoff_seconds": 10}, "tags": {"b": "2"}, "description": "hello"},
    )
    assert response.status == 200
    assert response.header("ETag") == '"2"'
    updated = response.body
    assert updated["version"] == 2
    assert updated["retry"]["max_attempts"] == 5  # kept: policies merge
    assert updated["retry"]["backoff_seconds"] == 10
    assert updated["tags"] == {"b": "2"}  # replaced whole
    assert updated["description"] == "hello"
    assert updated["created_at"] == task["created_at"]


def test_patch_accepts_if_match_quoted_bare_or_weak(api: Api) -> None:
    task = api.create()
    for version, if_match in ((1, '"1"'), (2, "2"), (3, 'W/"3"')):
        response = api.call(
            "PATCH",
            f"/tasks/{task['id']}",
            {"description": f"v{version}"},
            headers={"If-Match": if_match},
        )
        assert response.status == 200, response.body
        assert response.header("ETag") == f'"{version + 1}"'


def test_patch_changing_the_schedule_moves_the_due_index_entry(api: Api) -> None:
    task = api.create(schedule="@yearly", timezone="UTC")
    before = store.get_task("acme", task["id"])
    updated = api.call("PATCH", f"/tasks/{task['id']}", {"schedule": daily_far_from_now()}).body
    after = store.get_task("acme", task["id"])
    assert after.due_at < before.due_at
    assert after.schedule_version == before.schedule_version + 1
    assert _utc(updated["next_fire_times"][0]).timestamp() * 1000 == after.due_at


def test_patch_with_no_change_keeps_the_version(api: Api) -> None:
    task = api.create(description="same")
    response = api.call("PATCH", f"/tasks/{task['id']}", {"description": "same"})
    assert (response.status, response.body["version"]) == (200, 1)


def test_delete_returns_204_and_the_task_is_gone(api: Api) -> None:
    task = api.create(name="to-delete")
    response = api.call("DELETE", f"/tasks/{task['id']}")
    assert (response.status, response.body) == (204, "")
    assert api.call("GET", f"/tasks/{task['id']}").status == 404
    # its name is free again
    assert api.call("POST", "/tasks", task_body(name="to-delete")).status == 201


def test_delete_keeps_the_run_history(api: Api) -> None:
    task = api.create()
    key = run_key(task["id"], 1_700_000_000_000)
    RunItem(
        key.task_id, key.fire_key, execution_id=key.execution_id, fire_at=1_700_000_000_000,
        status="succeeded", attempt=1, expires_at=2_000_000_000,
    ).save()  # fmt: skip
    api.call("DELETE", f"/tasks/{task['id']}")
    assert RunItem.get(key.task_id, key.fire_key, consistent_read=True).status == "succeeded"


def test_pause_takes_the_task_out_of_the_due_index_and_shows_no_next_fires(api: Api) -> None:
    task = api.create()
    response = api.call("POST", f"/tasks/{task['id']}/pause")
    assert response.status == 200
    assert (response.body["state"], response.body["next_fire_times"]) == ("paused", [])
    assert response.header("ETag") == '"2"'
    stored = store.get_task("acme", task["id"])
    assert stored.due_at is None and stored.due_shard is None


def test_pausing_twice_changes_nothing(api: Api) -> None:
    task = api.create()
    api.call("POST", f"/tasks/{task['id']}/pause")
    again = api.call("POST", f"/tasks/{task['id']}/pause")
    assert (again.status, again.body["version"]) == (200, 2)


def test_resume_computes_the_next_fire_from_now(api: Api) -> None:
    task = api.create(schedule="*/10 * * * * *", timezone="UTC")
    api.call("POST", f"/tasks/{task['id']}/pause")
    response = api.call("POST", f"/tasks/{task['id']}/resume")
    assert response.status == 200
    assert response.body["state"] == "active"
    stored = store.get_task("acme", task["id"])
    now_ms = datetime.now(UTC).timestamp() * 1000
    # the next fire after now (dispatch on write may already have moved it further on)
    assert stored.due_at is not None and stored.due_at > now_ms - 10_000


def test_resume_does_not_run_fires_missed_while_paused(api: Api) -> None:
    past = datetime.now(UTC) - timedelta(hours=2)
    task = api.create(schedule="@hourly", timezone="UTC")
    api.call("POST", f"/tasks/{task['id']}/pause")
    # Pretend the pause began two hours ago, before two hourly fires.
    store.update_task("acme", task["id"], {"last_fire_at": int(past.timestamp() * 1000)})
    api.call("POST", f"/tasks/{task['id']}/resume")
    stored = store.get_task("acme", task["id"])
    assert stored.due_at > datetime.now(UTC).timestamp() * 1000


def test_resume_of_a_one_time_task_whose_time_passed_completes_it(api: Api) -> None:
    soon = datetime.now(UTC) + timedelta(hours=1)
    task = api.create(schedule=f"at({soon:%Y-%m-%dT%H:%M:%S})", timezone="UTC")
    api.call("POST", f"/tasks/{task['id']}/pause")
    store.update_task("acme", task["id"], {"schedule": "at(2020-01-01T00:00:00)"})
    response = api.call("POST", f"/tasks/{task['id']}/resume")
    assert (response.status, response.body["state"]) == (200, "completed")


def test_trigger_enqueues_a_manual_run_and_returns_202(api: Api, work_queue) -> None:
    task = api.create()
    response = api.call("POST", f"/tasks/{task['id']}/trigger")
    assert response.status == 202
    execution_id = response.body["execution_id"]
    assert execution_id.startswith(f"{task['id']}:manual:")
    sent = work_queue.messages()
    assert [m["execution_id"] for m in sent] == [execution_id]


def test_trigger_runs_a_paused_task_too(api: Api, work_queue) -> None:
    task = api.create()
    api.call("POST", f"/tasks/{task['id']}/pause")
    assert api.call("POST", f"/tasks/{task['id']}/trigger").status == 202
    assert len(work_queue.messages()) == 1


def test_backfill_enqueues_each_scheduled_time_in_the_range(api: Api, work_queue) -> None:
    task = api.create(schedule="0 * * * *", timezone="UTC")
    end = (datetime.now(UTC) - timedelta(hours=1)).replace(minute=30, second=0, microsecond=0)
    start = end - timedelta(hours=3)
    response = api.call(
        "POST",
        f"/tasks/{task['id']}/backfill",
        {"start": start.isoformat(), "end": end.isoformat()},
    )
    assert (response.status, response.body) == (202, {"fires": 3})
    ids = sorted(m["execution_id"] for m in work_queue.messages())
    expected = sorted(
        f"{task['id']}:{int((end - timedelta(minutes=30 + 60 * i)).timestamp() * 1000)}"
        for i in range(3)
    )
    assert ids == expected


def test_runs_are_listed_newest_first_and_paged(api: Api) -> None:
    task = api.create()
    times = [1_700_000_000_000 + i * 60_000 for i in range(3)]
    for fire_at_ms in times:
        key = run_key(task["id"], fire_at_ms)
        RunItem(
            key.task_id, key.fire_key, execution_id=key.execution_id, fire_at=fire_at_ms,
            status="succeeded", attempt=1, expires_at=2_000_000_000,
        ).save()  # fmt: skip

    first = api.call("GET", f"/tasks/{task['id']}/runs?limit=2")
    assert first.status == 200
    assert [r["execution_id"] for r in first.body["runs"]] == [
        f"{task['id']}:{times[2]}",
        f"{task['id']}:{times[1]}",
    ]
    token = first.body["next_token"]
    second = api.call("GET", f"/tasks/{task['id']}/runs?limit=2&next_token={token}").body
    assert [r["execution_id"] for r in second["runs"]] == [f"{task['id']}:{times[0]}"]
    assert second["next_token"] is None
    run = second["runs"][0]
    for field in ("execution_id", "task_id", "fire_at", "status", "attempt", "started_at",
                  "finished_at", "lateness_ms", "error", "result"):  # fmt: skip
        assert field in run


def test_preview_returns_fire_times_strictly_after_after_with_the_zone_offset(api: Api) -> None:
    response = api.call(
        "POST",
        "/preview",
        {
            "schedule": "0 30 2 * * *",
            "timezone": "Europe/Berlin",
            "after": "2026-03-28T02:30:00+01:00",
            "count": 3,
        },
    )
    assert response.status == 200
    assert response.body["fire_times"] == [
        "2026-03-29T03:00:00+02:00",  # 02:30 does not exist that night: first instant after
        "2026-03-30T02:30:00+02:00",
        "2026-03-31T02:30:00+02:00",
    ]
    assert isinstance(response.body["description"], str) and response.body["description"]


def test_preview_defaults_to_five_times_in_utc_after_now(api: Api) -> None:
    response = api.call("POST", "/preview", {"schedule": "@hourly"})
    assert response.status == 200
    times = [datetime.fromisoformat(t) for t in response.body["fire_times"]]
    assert len(times) == 5
    assert all(t.utcoffset() == timedelta(0) for t in times)
    assert times[0] > datetime.now(UTC)


def test_preview_stores_nothing(api: Api) -> None:
    api.call("POST", "/preview", {"schedule": "@hourly"})
    assert api.call("GET", "/tasks").body["tasks"] == []
