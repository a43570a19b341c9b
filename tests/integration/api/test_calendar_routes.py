"""Calendars over the API, and tasks that exclude days: CRUD, the reference counts that
keep a calendar in use from deletion, bad input (400, nothing stored), tenant
isolation, and excluded days in preview and next_fire_times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from api_client import Api

from sundial import store
from sundial.api import service
from sundial.store import calendars as calendar_store


def put(api: Api, name: str, dates: list[str], tenant: str = "acme", **extra):
    return api.call("PUT", f"/calendars/{name}", {"dates": dates, **extra}, tenant=tenant)


def local_days(times: list[str]) -> list[date]:
    return [datetime.fromisoformat(t).date() for t in times]


def tomorrow() -> date:
    return datetime.now(UTC).date() + timedelta(days=1)


# --------------------------------------------------------------------------- CRUD


def test_a_calendar_is_created_read_listed_replaced_and_deleted(api: Api) -> None:
    created = put(api, "holidays", ["2026-12-25", "2026-12-24..2026-12-31"], description="xmas")
    assert created.status == 200
    body = created.body
    assert set(body) == {"name", "description", "dates", "updated_at"}
    assert (body["name"], body["description"]) == ("holidays", "xmas")
    assert body["dates"] == ["2026-12-25", "2026-12-24..2026-12-31"]

    assert api.call("GET", "/calendars/holidays").body == body
    put(api, "bridges", ["2026-05-15"])
    listed = api.call("GET", "/calendars").body["calendars"]
    assert [c["name"] for c in listed] == ["bridges", "holidays"]

    replaced = put(api, "holidays", ["2027-01-01"]).body
    assert (replaced["dates"], replaced["description"]) == (["2027-01-01"], "")

    assert api.call("DELETE", "/calendars/holidays").status == 204
    assert api.call("GET", "/calendars/holidays").status == 404
    assert api.call("DELETE", "/calendars/holidays").status == 404


@pytest.mark.parametrize(
    ("dates", "fragment"),
    [
        (["2026-02-30"], "2026-02-30"),
        (["2026-12-31..2026-12-24"], "ends before it starts"),
        (["calendar:other"], "calendar:other"),
        (["2026-12-25"] * 5001, "5000"),
    ],
)
def test_a_calendar_with_bad_dates_is_400_naming_dates_and_nothing_is_stored(
    api: Api, dates: list[str], fragment: str
) -> None:
    response = put(api, "holidays", dates)
    assert response.status == 400
    assert (response.error["code"], response.error["field"]) == ("validation_error", "dates")
    assert fragment in response.error["message"]
    assert api.call("GET", "/calendars").body == {"calendars": []}


def test_a_calendar_name_that_is_not_a_name_is_400_and_nothing_is_stored(api: Api) -> None:
    response = put(api, "-holidays", ["2026-12-25"])
    assert response.status == 400
    assert response.error["field"] == "name"
    assert api.call("GET", "/calendars").body == {"calendars": []}


def test_another_tenants_calendar_is_404_and_cannot_be_named(api: Api) -> None:
    put(api, "holidays", ["2026-12-25"], tenant="globex")
    assert api.call("GET", "/calendars/holidays").status == 404
    assert api.call("DELETE", "/calendars/holidays").status == 404
    assert api.call("GET", "/calendars").body == {"calendars": []}
    refused = api.call("POST", "/tasks", _task(exclude=["calendar:holidays"]))
    assert (refused.status, refused.error["field"]) == (400, "exclude")
    preview = api.call("POST", "/preview", {"schedule": "@daily", "exclude": ["calendar:holidays"]})
    assert (preview.status, preview.error["field"]) == (400, "exclude")
    # Still there for its owner.
    assert api.call("GET", "/calendars/holidays", tenant="globex").status == 200


# --------------------------------------------------------------------------- references


def _task(**fields):
    return {
        "schedule": "0 0 9 * * *",
        "target": {"type": "http", "url": "https://example.com/hook"},
        **fields,
    }


def test_deleting_a_calendar_a_task_names_is_409_calendar_in_use(api: Api) -> None:
    put(api, "holidays", ["2026-12-25"])
    task = api.call("POST", "/tasks", _task(exclude=["calendar:holidays"])).body

    refused = api.call("DELETE", "/calendars/holidays")
    assert refused.status == 409
    assert refused.error["code"] == "calendar_in_use"
    assert api.call("GET", "/calendars/holidays").status == 200

    assert api.call("DELETE", f"/tasks/{task['id']}").status == 204
    assert api.call("DELETE", "/calendars/holidays").status == 204


def test_a_task_that_stops_naming_a_calendar_releases_it_and_holds_the_new_one(api: Api) -> None:
    put(api, "a", ["2026-12-25"])
    put(api, "b", ["2026-12-26"])
    task = api.call("POST", "/tasks", _task(exclude=["calendar:a", "calendar:a"])).body
    patched = api.call("PATCH", f"/tasks/{task['id']}", {"exclude": ["calendar:b", "2027-01-01"]})
    assert patched.status == 200, patched.body
    assert patched.body["exclude"] == ["calendar:b", "2027-01-01"]

    assert api.call("DELETE", "/calendars/a").status == 204
    assert api.call("DELETE", "/calendars/b").status == 409
    api.call("PATCH", f"/tasks/{task['id']}", {"exclude": []})
    assert api.call("DELETE", "/calendars/b").status == 204


def test_two_tasks_naming_a_calendar_both_hold_it(api: Api) -> None:
    put(api, "holidays", ["2026-12-25"])
    first = api.call("POST", "/tasks", _task(exclude=["calendar:holidays"])).body
    api.call("POST", "/tasks", _task(exclude=["calendar:holidays"]))
    api.call("DELETE", f"/tasks/{first['id']}")
    assert api.call("DELETE", "/calendars/holidays").error["message"].count("1 task") == 1


def test_a_task_naming_an_unknown_calendar_is_400_exclude_and_nothing_is_stored(
    api: Api,
) -> None:
    response = api.call("POST", "/tasks", _task(name="n", exclude=["calendar:nope"]))
    assert response.status == 400
    assert (response.error["code"], response.error["field"]) == ("validation_error", "exclude")
    assert "calendar:nope" in response.error["message"]
    assert api.call("GET", "/tasks").body["tasks"] == []

    task = api.call("POST", "/tasks", _task()).body
    patched = api.call("PATCH", f"/tasks/{task['id']}", {"exclude": ["calendar:nope"]})
    assert (patched.status, patched.error["field"]) == (400, "exclude")
    assert api.call("GET", f"/tasks/{task['id']}").body["version"] == 1


def test_a_malformed_exclude_is_400_and_nothing_is_stored(api: Api) -> None:
    response = api.call("POST", "/tasks", _task(exclude=["2026-02-30"]))
    assert (response.status, response.error["field"]) == (400, "exclude")
    assert "2026-02-30" in response.error["message"]
    assert api.call("GET", "/tasks").body["tasks"] == []


def test_a_calendar_deleted_between_the_check_and_the_write_leaves_no_task(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The delete wins the race: the task's transaction, conditioned on the calendar,
    fails, so no task names a deleted calendar."""
    put(api, "holidays", ["2026-12-25"])
    read = store.calendar_dates

    def read_then_lose_the_race(tenant, names, **options):
        found = read(tenant, names, **options)
        store.delete_calendar(tenant, "holidays")
        return found

    monkeypatch.setattr(service.store, "calendar_dates", read_then_lose_the_race)
    response = api.call("POST", "/tasks", _task(exclude=["calendar:holidays"]))
    assert (response.status, response.error["field"]) == (400, "exclude")
    monkeypatch.undo()
    assert api.call("GET", "/tasks").body["tasks"] == []
    assert api.call("GET", "/calendars/holidays").status == 404


def test_a_calendar_delete_whose_response_was_lost_is_done(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Applied, its response lost, re-sent: the re-sent delete finds no calendar and
    counts as done, not as a 404 or a 409."""
    put(api, "holidays", ["2026-12-25"])
    read = calendar_store.get_calendar

    def read_then_applied_elsewhere(tenant, name, consistent=True):
        found = read(tenant, name, consistent)
        found.delete()  # what the first, lost, attempt did
        return found

    monkeypatch.setattr(calendar_store, "get_calendar", read_then_applied_elsewhere)
    assert api.call("DELETE", "/calendars/holidays").status == 204


# --------------------------------------------------------------------------- planning


def test_preview_skips_excluded_days_of_dates_and_calendars(api: Api) -> None:
    put(api, "holidays", ["2026-12-25..2026-12-26"])
    response = api.call(
        "POST",
        "/preview",
        {
            "schedule": "0 0 9 * * *",
            "timezone": "Europe/Berlin",
            "after": "2026-12-23T12:00:00Z",
            "count": 3,
            "exclude": ["2026-12-24", "calendar:holidays"],
        },
    )
    assert response.status == 200, response.body
    assert local_days(response.body["fire_times"]) == [
        date(2026, 12, 27),
        date(2026, 12, 28),
        date(2026, 12, 29),
    ]


def test_next_fire_times_skip_excluded_days_and_follow_a_calendar_change(api: Api) -> None:
    day = tomorrow()
    put(api, "off", [day.isoformat()])
    task = api.create(schedule="0 0 12 * * *", timezone="UTC", exclude=["calendar:off"])
    assert day not in local_days(task["next_fire_times"])
    assert len(task["next_fire_times"]) == 5

    put(api, "off", [(day + timedelta(days=1)).isoformat()])
    shown = api.call("GET", f"/tasks/{task['id']}").body["next_fire_times"]
    assert day in local_days(shown)
    assert day + timedelta(days=1) not in local_days(shown)
    listed = api.call("GET", "/tasks").body["tasks"][0]["next_fire_times"]
    assert listed == shown


def test_a_task_whose_every_occurrence_is_excluded_is_refused_like_one_that_never_fires(
    api: Api,
) -> None:
    day = tomorrow() + timedelta(days=1)
    response = api.call(
        "POST",
        "/tasks",
        _task(schedule=f"at({day.isoformat()}T09:00:00)", exclude=[day.isoformat()]),
    )
    assert response.status == 400
    assert (response.error["code"], response.error["field"]) == ("invalid_schedule", "exclude")
    assert api.call("GET", "/tasks").body["tasks"] == []

    task = api.create(schedule="0 0 9 * * *", timezone="UTC")
    today = datetime.now(UTC).date().isoformat()
    patched = api.call("PATCH", f"/tasks/{task['id']}", {"exclude": [f"{today}..9999-12-31"]})
    assert (patched.status, patched.error["field"]) == (400, "exclude")
    assert api.call("GET", f"/tasks/{task['id']}").body["exclude"] == []


def test_a_backfill_runs_only_the_occurrences_not_excluded(api: Api, work_queue) -> None:
    put(api, "off", ["2026-06-03"])
    task = api.create(
        schedule="0 0 9 * * *", timezone="UTC", exclude=["calendar:off", "2026-06-02"]
    )
    response = api.call(
        "POST",
        f"/tasks/{task['id']}/backfill",
        {"start": "2026-06-01T00:00:00Z", "end": "2026-06-04T23:59:59Z"},
    )
    assert response.status == 202, response.body
    assert response.body == {"fires": 2}
    days = sorted(m["execution_id"] for m in work_queue.messages() if m["kind"] == "backfill")
    assert [int(d.rsplit(":", 1)[1]) for d in days] == [
        int(datetime(2026, 6, day, 9, tzinfo=UTC).timestamp() * 1000) for day in (1, 4)
    ]
