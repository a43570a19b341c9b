"""Task operations against the template's tables: each guarantee, winning and losing side."""

from __future__ import annotations

import pytest

from sundial import store
from sundial.store import (
    InvalidPageToken,
    NameConflict,
    TaskAlreadyExists,
    TaskNotFound,
    VersionMismatch,
)
from sundial.store.models import NameClaimItem, ScheduleItem, TaskItem


def test_created_task_reads_back_as_written(tables, make_task):
    payload = [1, None, {"nested": [True, 1.5, "x"]}, {}]
    task = make_task(name="nightly", payload=payload, tags={"S": "one-key map", "env": "prod"})
    store.create_task(task, now_ms=1_000)

    got = store.get_task("acme", task.task_id)

    assert got.payload == payload
    assert got.tags == {"S": "one-key map", "env": "prod"}
    assert got.target == {"type": "http", "url": "https://example.com/hook", "headers": {}}
    assert (got.version, got.schedule_version) == (1, 1)
    assert (got.created_at, got.updated_at) == (1_000, 1_000)


@pytest.mark.parametrize("payload", [None, "text", 0, [], {"a": None}])
def test_any_json_payload_round_trips(tables, make_task, payload):
    task = store.create_task(make_task(payload=payload))
    assert store.get_task("acme", task.task_id).payload == payload


def test_task_id_cannot_be_created_twice(tables, make_task):
    task = store.create_task(make_task())
    with pytest.raises(TaskAlreadyExists):
        store.create_task(make_task(task_id=task.task_id))


def test_name_is_unique_per_tenant_but_reusable_across_tenants(tables, make_task):
    first = store.create_task(make_task(name="report"))

    with pytest.raises(NameConflict) as raised:
        store.create_task(make_task(name="report"))
    other_tenant = store.create_task(make_task(tenant="globex", name="report"))

    assert raised.value.code == "name_conflict" and raised.value.field == "name"
    assert store.get_task("globex", other_tenant.task_id).name == "report"
    assert store.get_task("acme", first.task_id).name == "report"


def test_losing_name_claim_stores_no_task(tables, make_task):
    store.create_task(make_task(name="report"))
    loser = make_task(name="report")
    with pytest.raises(NameConflict):
        store.create_task(loser)
    with pytest.raises(TaskNotFound):
        store.get_task("acme", loser.task_id)


def test_tenant_containing_separator_cannot_steal_a_name(tables, make_task):
    store.create_task(make_task(tenant="a", name="b#c"))
    store.create_task(make_task(tenant="a#b", name="c"))  # would collide if keys were naive


def test_other_tenants_task_is_not_found(tables, make_task):
    task = store.create_task(make_task(tenant="acme"))

    with pytest.raises(TaskNotFound) as raised:
        store.get_task("globex", task.task_id)
    with pytest.raises(TaskNotFound):
        store.update_task("globex", task.task_id, {"description": "mine now"})
    with pytest.raises(TaskNotFound):
        store.delete_task("globex", task.task_id)

    assert raised.value.status == 404
    assert store.get_task("acme", task.task_id).description == ""


def test_missing_task_is_not_found(tables):
    with pytest.raises(TaskNotFound):
        store.get_task("acme", store.new_ulid())
    with pytest.raises(TaskNotFound):
        store.get_task_any_tenant(store.new_ulid())


def test_name_claim_item_is_never_a_task(tables, make_task):
    task = store.create_task(make_task(name="report"))
    claim_key = store.name_claim_key("acme", "report")

    assert NameClaimItem.get(claim_key).claimed_by == task.task_id
    with pytest.raises(TaskNotFound):
        store.get_task_any_tenant(claim_key)
    listed, _ = store.list_tasks("acme", limit=10)
    assert [t.task_id for t in listed] == [task.task_id]


def test_internal_read_finds_any_tenants_task(tables, make_task):
    task = store.create_task(make_task(tenant="globex"))
    assert store.get_task_any_tenant(task.task_id).tenant == "globex"


# --- update ------------------------------------------------------------------------------------


def test_update_bumps_version_and_sets_updated_at(tables, make_task):
    task = store.create_task(make_task(), now_ms=1_000)

    updated = store.update_task(
        "acme", task.task_id, {"description": "new"}, expected_version=1, now_ms=2_000
    )

    assert (updated.version, updated.updated_at, updated.description) == (2, 2_000, "new")
    assert updated.schedule_version == 1  # not a timing change
    assert updated.created_at == 1_000


def test_update_with_stale_version_is_rejected_and_changes_nothing(tables, make_task):
    task = store.create_task(make_task())
    store.update_task("acme", task.task_id, {"description": "first"}, expected_version=1)

    with pytest.raises(VersionMismatch) as raised:
        store.update_task("acme", task.task_id, {"description": "stale"}, expected_version=1)

    assert (raised.value.expected, raised.value.actual) == (1, 2)
    assert raised.value.status == 412
    stored = store.get_task("acme", task.task_id)
    assert (stored.description, stored.version) == ("first", 2)


def test_update_without_expected_version_applies_to_latest(tables, make_task):
    task = store.create_task(make_task())
    store.update_task("acme", task.task_id, {"description": "a"})
    updated = store.update_task("acme", task.task_id, {"timeout_seconds": 60})
    assert (updated.description, updated.timeout_seconds, updated.version) == ("a", 60, 3)


def _edit_racing_once(task_id, concurrent_changes):
    """An edit that appends to the description, with a concurrent write landing between
    its first read and its write; returns the edit and the versions it was applied to."""
    seen: list[int] = []

    def edit(current: TaskItem) -> dict:
        seen.append(int(current.version))
        if len(seen) == 1:
            store.update_task("acme", task_id, concurrent_changes)
        return {"description": f"{current.description}+mine"}

    return edit, seen


def test_an_edit_that_lost_a_race_is_reapplied_to_the_newer_version(tables, make_task):
    task = store.create_task(make_task(description="base"))
    edit, seen = _edit_racing_once(task.task_id, {"description": "theirs"})

    updated, written = store.edit_task("acme", task.task_id, edit)

    assert seen == [1, 2]
    assert (updated.description, updated.version, written) == ("theirs+mine", 3, True)


def test_an_edit_with_if_match_that_lost_a_race_is_a_version_mismatch(tables, make_task):
    task = store.create_task(make_task(description="base"))
    edit, seen = _edit_racing_once(task.task_id, {"description": "theirs"})

    with pytest.raises(VersionMismatch) as raised:
        store.edit_task("acme", task.task_id, edit, expected_version=1)

    assert seen == [1]
    assert (raised.value.expected, raised.value.actual) == (1, 2)
    assert store.get_task("acme", task.task_id).description == "theirs"


def test_an_edit_that_changes_nothing_writes_nothing(tables, make_task):
    task = store.create_task(make_task(description="same"))
    unchanged, written = store.edit_task("acme", task.task_id, lambda _: {"description": "same"})
    assert (unchanged.version, written) == (1, False)


@pytest.mark.parametrize(
    "field, value",
    [("schedule", "@daily"), ("timezone", "Europe/Berlin"), ("start_at", 5), ("end_at", 9),
     ("jitter_seconds", 3)],
)  # fmt: skip
def test_timing_change_bumps_schedule_version(tables, make_task, field, value):
    task = store.create_task(make_task())
    updated = store.update_task("acme", task.task_id, {field: value})
    assert (updated.version, updated.schedule_version) == (2, 2)


def test_leaving_a_pause_bumps_schedule_version_so_fires_sent_before_it_go_stale(tables, make_task):
    task = store.create_task(make_task())
    paused = store.update_task("acme", task.task_id, {"state": "paused", "due_at": None})
    assert paused.schedule_version == 1  # pausing alone changes no timing
    resumed = store.update_task("acme", task.task_id, {"state": "active", "due_at": 10**12})
    assert (resumed.version, resumed.schedule_version) == (3, 2)


def test_unchanged_values_write_nothing(tables, make_task):
    task = store.create_task(make_task(schedule="@hourly"))
    same = store.update_task("acme", task.task_id, {"schedule": "@hourly", "tags": {}})
    assert (same.version, same.schedule_version) == (1, 1)


def test_store_owned_fields_cannot_be_updated(tables, make_task):
    task = store.create_task(make_task())
    with pytest.raises(ValueError):
        store.update_task("acme", task.task_id, {"version": 9})
    with pytest.raises(ValueError):
        store.update_task("acme", task.task_id, {"tenant": "globex"})


def test_rename_moves_the_name_claim(tables, make_task):
    task = store.create_task(make_task(name="old"))

    renamed = store.update_task("acme", task.task_id, {"name": "new"}, expected_version=1)
    reuser = store.create_task(make_task(name="old"))  # the old name is free again

    assert (renamed.name, renamed.version) == ("new", 2)
    assert reuser.name == "old"
    with pytest.raises(NameConflict):
        store.create_task(make_task(name="new"))


def test_rename_to_taken_name_conflicts_and_changes_nothing(tables, make_task):
    store.create_task(make_task(name="taken"))
    task = store.create_task(make_task(name="mine"))

    with pytest.raises(NameConflict):
        store.update_task("acme", task.task_id, {"name": "taken", "description": "x"})

    stored = store.get_task("acme", task.task_id)
    assert (stored.name, stored.description, stored.version) == ("mine", "", 1)
    with pytest.raises(NameConflict):  # "mine" is still claimed
        store.create_task(make_task(name="mine"))


def test_removing_the_name_releases_it(tables, make_task):
    task = store.create_task(make_task(name="report"))
    updated = store.update_task("acme", task.task_id, {"name": None})
    assert updated.name is None
    store.create_task(make_task(name="report"))


def test_naming_an_unnamed_task_claims_the_name(tables, make_task):
    task = store.create_task(make_task())
    store.update_task("acme", task.task_id, {"name": "report"})
    with pytest.raises(NameConflict):
        store.create_task(make_task(name="report"))


def test_rename_with_stale_version_is_rejected(tables, make_task):
    task = store.create_task(make_task(name="a"))
    store.update_task("acme", task.task_id, {"description": "x"})
    with pytest.raises(VersionMismatch):
        store.update_task("acme", task.task_id, {"name": "b"}, expected_version=1)
    store.create_task(make_task(name="b"))  # "b" was not claimed


# --- delete ------------------------------------------------------------------------------------


def test_deleted_task_releases_its_name(tables, make_task):
    task = store.create_task(make_task(name="report"))

    deleted = store.delete_task("acme", task.task_id)

    assert deleted.task_id == task.task_id
    with pytest.raises(TaskNotFound):
        store.get_task("acme", task.task_id)
    store.create_task(make_task(name="report"))


def test_delete_of_unnamed_task(tables, make_task):
    task = store.create_task(make_task())
    store.delete_task("acme", task.task_id)
    with pytest.raises(TaskNotFound):
        store.delete_task("acme", task.task_id)


def test_delete_with_stale_version_is_rejected(tables, make_task):
    task = store.create_task(make_task())
    store.update_task("acme", task.task_id, {"description": "x"})
    with pytest.raises(VersionMismatch):
        store.delete_task("acme", task.task_id, expected_version=1)
    assert store.get_task("acme", task.task_id).version == 2


# --- list --------------------------------------------------------------------------------------


def _list_all(tenant: str, limit: int, **filters) -> list[list[str]]:
    pages, token = [], None
    while True:
        items, token = store.list_tasks(tenant, limit=limit, next_token=token, **filters)
        pages.append([t.task_id for t in items])
        if token is None:
            return pages


def test_listing_pages_through_all_of_a_tenants_tasks(tables, make_task):
    ids = [store.create_task(make_task()).task_id for _ in range(5)]
    store.create_task(make_task(tenant="globex"))

    pages = _list_all("acme", limit=2)

    assert pages == [ids[0:2], ids[2:4], ids[4:5]]


def test_last_full_page_carries_no_token(tables, make_task):
    for _ in range(4):
        store.create_task(make_task())
    assert [len(p) for p in _list_all("acme", limit=2)] == [2, 2]


def test_listing_filters_by_state_and_tag(tables, make_task):
    paused = store.create_task(make_task(state="paused", tags={"env": "prod"}))
    store.create_task(make_task(state="active", tags={"env": "prod"}))
    store.create_task(make_task(state="paused", tags={"env": "dev"}))
    dotted = store.create_task(make_task(tags={"team.name": "a b"}))

    items, token = store.list_tasks("acme", limit=10, state="paused", tag=("env", "prod"))
    by_dotted_key, _ = store.list_tasks("acme", limit=10, tag=("team.name", "a b"))

    assert ([t.task_id for t in items], token) == ([paused.task_id], None)
    assert [t.task_id for t in by_dotted_key] == [dotted.task_id]


def test_filtered_listing_pages_never_skip_matches(tables, make_task):
    wanted = []
    for i in range(6):
        task = store.create_task(make_task(state="paused" if i % 2 else "active"))
        if i % 2:
            wanted.append(task.task_id)
    pages = _list_all("acme", limit=2, state="paused")
    assert [i for page in pages for i in page] == wanted


def test_forged_page_token_is_rejected(tables, make_task):
    for _ in range(3):
        store.create_task(make_task())
    _, token = store.list_tasks("acme", limit=1)
    assert token is not None
    body, mac = token.split(".")
    tampered = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac

    for bad in (tampered, "garbage", "a.b", token + "x", "x" * 5000):
        with pytest.raises(InvalidPageToken) as raised:
            store.list_tasks("acme", limit=1, next_token=bad)
        assert (raised.value.code, raised.value.field) == ("validation_error", "next_token")


def test_page_token_of_another_tenant_is_rejected(tables, make_task):
    for _ in range(2):
        store.create_task(make_task(tenant="acme"))
    _, token = store.list_tasks("acme", limit=1)
    with pytest.raises(InvalidPageToken):
        store.list_tasks("globex", limit=1, next_token=token)


def test_task_item_schema_matches_template(tables):
    # The model's indexes must be the template's: queries name them.
    assert ScheduleItem.due.Meta.index_name == "schedule_due"
    assert TaskItem.by_tenant.Meta.index_name == "by_tenant"
