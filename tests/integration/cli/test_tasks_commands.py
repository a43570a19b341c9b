"""`sundial tasks ...` against the real API over HTTP: what the commands send is what the
API stores, and what they print is what it returns."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cli_harness import Sundial

HOOK = "https://example.com/hook"


def test_a_task_created_from_flags_is_stored_as_given(sundial: Sundial) -> None:
    created = sundial.json(
        f"tasks create --name nightly -s '0 30 2 * * *' --tz Europe/Berlin --target-url {HOOK}"
        " --header 'X-Team: billing' --payload '{\"report\": \"daily\"}'"
        " --retry-max-attempts 5 --overlap skip --tag env:prod"
    )
    task = sundial.json(f"tasks get {created['id']}")
    assert task == created
    assert (task["name"], task["schedule"], task["timezone"]) == (
        "nightly",
        "0 30 2 * * *",
        "Europe/Berlin",
    )
    assert task["target"] == {
        "type": "http",
        "url": HOOK,
        "method": "POST",
        "headers": {"X-Team": "billing"},
    }
    assert task["payload"] == {"report": "daily"}
    assert task["retry"]["max_attempts"] == 5 and task["retry"]["backoff_seconds"] == 2
    assert (task["overlap"], task["tags"]) == ("skip", {"env": "prod"})
    assert task["next_fire_times"][0].endswith(("+01:00", "+02:00"))


def test_get_shows_the_task_field_by_field_with_its_schedule_in_words(sundial: Sundial) -> None:
    task = sundial.json("tasks create --name words -s '*/15 * * * *' --handler report")
    result = sundial(f"tasks get {task['id']}")
    assert result.exit_code == 0
    assert "Every 15 minutes" in result.stdout
    assert "handler report" in result.stdout and task["id"] in result.stdout


def test_list_is_a_table_of_id_name_state_schedule_next_fire_and_last_run(
    sundial: Sundial,
) -> None:
    task = sundial.json(
        f"tasks create --name listed -s @hourly --tz Asia/Tokyo --target-url {HOOK}"
    )
    result = sundial("tasks list --utc")
    assert result.exit_code == 0
    header, *rows = [line for line in result.stdout.splitlines() if line.strip()]
    assert header.split() == ["ID", "NAME", "STATE", "SCHEDULE", "NEXT", "FIRE", "LAST", "RUN"]
    row = next(line for line in rows if line.startswith(task["id"][:8]))
    assert "listed" in row and "active" in row and "@hourly (Asia/Tokyo)" in row
    next_fire = datetime.fromisoformat(task["next_fire_times"][0]).astimezone(UTC)
    assert next_fire.strftime("%Y-%m-%d %H:%M:%SZ") in row


def test_list_all_follows_next_token_to_the_last_page(sundial: Sundial) -> None:
    ids = {sundial.json("tasks create -s @daily --handler h")["id"] for _ in range(3)}
    page = sundial.json("tasks list --limit 2")
    assert len(page["tasks"]) == 2 and page["next_token"]
    everything = sundial.json("tasks list --limit 2 --all")
    assert {t["id"] for t in everything["tasks"]} == ids
    assert everything["next_token"] is None
    rest = sundial.json("tasks list --limit 2 --next-token", page["next_token"])
    assert {t["id"] for t in page["tasks"] + rest["tasks"]} == ids
    # People get a hint on stderr; stdout keeps to the table.
    table = sundial("tasks list --limit 2")
    assert "--all" in table.stderr and "--all" not in table.stdout


def test_list_filters_by_state_and_tag(sundial: Sundial) -> None:
    prod = sundial.json("tasks create -s @daily --handler h --tag env:prod")
    dev = sundial.json("tasks create -s @daily --handler h --tag env:dev")
    sundial.json(f"tasks pause {dev['id']}")
    by_tag = sundial.json("tasks list --tag env:prod")["tasks"]
    assert [t["id"] for t in by_tag] == [prod["id"]]
    paused = sundial.json("tasks list --state paused")["tasks"]
    assert [t["id"] for t in paused] == [dev["id"]]


def test_update_changes_the_given_fields_and_if_match_refuses_a_stale_version(
    sundial: Sundial,
) -> None:
    task = sundial.json(
        f"tasks create --name old -s @daily --target-url {HOOK} --signing-secret s3cret"
        " --retry-backoff-seconds 9"
    )
    updated = sundial.json(
        f"tasks update {task['id']} --retry-max-attempts 7"
        " --description 'now with more retries' --if-match 1"
    )
    assert updated["version"] == 2
    assert updated["retry"]["max_attempts"] == 7 and updated["retry"]["backoff_seconds"] == 9
    assert updated["description"] == "now with more retries" and updated["name"] == "old"
    assert sundial.json(f"tasks update {task['id']} --clear name")["name"] is None

    stale = sundial(f"tasks update {task['id']} --jitter-seconds 5 --if-match 1")
    assert stale.exit_code == 3
    assert stale.stderr.startswith("error: version_mismatch")


def test_create_from_a_file_and_update_from_a_file(sundial: Sundial, tmp_path: Path) -> None:
    spec = tmp_path / "task.json"
    spec.write_text(
        json.dumps(
            {
                "schedule": "rate(5 minutes)",
                "target": {"type": "handler", "name": "report"},
                "payload": {"n": 1},
            }
        )
    )
    task = sundial.json("tasks create --name from-file --file", str(spec))
    assert (task["name"], task["schedule"], task["payload"]) == (
        "from-file",
        "rate(5 minutes)",
        {"n": 1},
    )
    change = tmp_path / "change.json"
    change.write_text(json.dumps({"misfire": {"grace_seconds": 5}}))
    updated = sundial.json(f"tasks update {task['id']} -f", str(change))
    assert updated["misfire"] == {"policy": "fire_once", "grace_seconds": 5}


def test_pause_resume_trigger_runs_backfill_and_delete(sundial: Sundial) -> None:
    task_id = sundial.json(f"tasks create -s '0 * * * *' --target-url {HOOK}")["id"]
    paused = sundial(f"tasks pause {task_id}")
    assert paused.exit_code == 0 and "paused" in paused.stdout
    assert sundial.json(f"tasks get {task_id}")["state"] == "paused"
    assert sundial.json(f"tasks resume {task_id}")["state"] == "active"

    triggered = sundial(f"tasks trigger {task_id}")
    assert triggered.exit_code == 0
    assert triggered.stdout.strip().startswith(task_id)  # the execution id, alone on stdout

    assert set(sundial.json(f"tasks runs {task_id}")) == {"runs", "next_token"}
    assert sundial(f"tasks runs {task_id}").stdout.split()[:3] == ["EXECUTION", "FIRE", "AT"]

    backfilled = sundial.json(
        f"tasks backfill {task_id} --start 2026-01-01T00:00:00Z --end 2026-01-01T02:59:59Z"
    )
    assert backfilled == {"fires": 3}

    assert sundial.json(f"tasks delete {task_id}") == {"id": task_id, "deleted": True}
    gone = sundial(f"tasks get {task_id}")
    assert gone.exit_code == 3 and gone.stderr.startswith("error: not_found")


def test_notify_flags_are_stored_and_an_update_keeps_the_webhooks_signing_secret(
    sundial: Sundial,
) -> None:
    from sundial import store

    topic = "arn:aws:sns:us-east-1:123456789012:alerts"
    created = sundial.json(
        "tasks create --name alerted -s @daily --handler report"
        f" --notify run.failed,run.dead_lettered={HOOK} --notify-secret whsec-1"
        f" --notify task.paused={topic}"
    )
    assert created["notifications"] == [
        {
            "on": ["run.failed", "run.dead_lettered"],
            "destination": {"type": "http", "url": HOOK, "method": "POST", "headers": {}},
        },
        {"on": ["task.paused"], "destination": {"type": "sns", "topic_arn": topic}},
    ]
    shown = sundial(f"tasks get {created['id']}")
    assert "run.failed, run.dead_lettered -> http POST" in shown.stdout
    assert "whsec-1" not in shown.stdout
    # The same webhook again, without the secret: the stored secret is kept.
    updated = sundial.json(f"tasks update {created['id']} --notify run.failed={HOOK}")
    assert [n["on"] for n in updated["notifications"]] == [["run.failed"]]
    [kept] = store.spec_of(store.get_task("acme", created["id"])).notifications
    assert kept.destination.signing_secret == "whsec-1"  # type: ignore[union-attr]
    cleared = sundial.json(f"tasks update {created['id']} --clear notifications")
    assert cleared["notifications"] == []
