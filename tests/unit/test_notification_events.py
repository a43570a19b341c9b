"""Which events an outcome reports, their stable ids, and the event document."""

from __future__ import annotations

from sundial.core.notification_events import (
    event_document,
    outcome_marks,
    run_event_id,
    task_event_id,
)

ASKING = [{"on": ["run.failed", "task.paused"], "destination": {}}, {"on": ["run.succeeded"]}]


def test_an_outcome_is_marked_with_the_events_it_reports_that_the_task_asks_for():
    assert outcome_marks(ASKING, "succeeded") == {"run.succeeded"}
    assert outcome_marks(ASKING, "failed") == {"run.failed"}
    assert outcome_marks(ASKING, "retrying") == frozenset()
    assert outcome_marks(ASKING, "skipped") == frozenset()


def test_a_task_without_notifications_marks_nothing():
    assert outcome_marks(None, "failed") == frozenset()
    assert outcome_marks([], "succeeded") == frozenset()


def test_event_ids_are_the_same_however_often_derived_and_differ_between_events():
    first = run_event_id("T:1", 1, "run.failed")
    assert first == run_event_id("T:1", 1, "run.failed")
    assert (
        len(
            {
                first,
                run_event_id("T:1", 2, "run.failed"),
                run_event_id("T:1", 1, "run.dead_lettered"),
            }
        )
        == 3
    )
    assert task_event_id("T", 3, "task.paused") != task_event_id("T", 4, "task.paused")
    assert first.startswith("evt_")


def test_the_event_document_has_the_contract_shape():
    document = event_document(
        event_id="evt_1",
        event="task.completed",
        time_ms=1_780_000_000_250,
        tenant="acme",
        task_id="T",
        task_name=None,
        run=None,
    )
    assert document == {
        "id": "evt_1",
        "type": "task.completed",
        "time": "2026-05-28T20:26:40.250Z",
        "tenant": "acme",
        "task": {"id": "T", "name": None},
        "run": None,
    }


def _run_image(status: str, attempt: int, notify: list[str] | None = None) -> dict:
    image = {
        "task_id": {"S": "T"},
        "fire_key": {"S": "0001780000000000"},
        "execution_id": {"S": "T:1780000000000"},
        "fire_at": {"N": "1780000000000"},
        "status": {"S": status},
        "attempt": {"N": str(attempt)},
        "expires_at": {"N": "1"},
    }
    if notify:
        image["notify"] = {"SS": notify}
    return image


def _change(old: dict, new: dict) -> dict:
    return {"dynamodb": {"OldImage": old, "NewImage": new, "ApproximateCreationDateTime": 1}}


def test_only_a_write_from_running_to_an_outcome_at_the_same_attempt_is_a_run_event():
    from sundial.notify.events import events_of

    marked = ["run.retrying"]
    outcome = _change(_run_image("running", 2), _run_image("retrying", 2, marked))
    release = _change(_run_image("running", 2, marked), _run_image("retrying", 1, marked))
    claim = _change(_run_image("retrying", 1, marked), _run_image("running", 2, marked))
    takeover = _change(_run_image("running", 2, marked), _run_image("running", 3, marked))
    redrive = _change(
        _run_image("failed", 2, ["run.failed"]), _run_image("retrying", 2, ["run.failed"])
    )
    skipped = _change(_run_image("running", 2, marked), _run_image("skipped", 2, marked))
    assert [e.event for e in events_of(outcome)] == ["run.retrying"]
    for write in (release, claim, takeover, redrive, skipped):
        assert events_of(write) == []
