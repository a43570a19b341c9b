"""`tasks create` / `tasks update`: the request body the flags describe, and flags that
contradict each other refused as usage errors (exit 2) before anything is sent."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from cli_runner import cli_runner
from sundial_cli import cli
from sundial_client import Client

TASK_ID = "01JD7X3V9Q2W8N4M6K5T1R0P9S"
# A task as the API returns it: the CLI reads answers as the API's TaskView.
TASK = {
    "id": TASK_ID,
    "name": None,
    "schedule": "@daily",
    "timezone": "UTC",
    "start_at": None,
    "end_at": None,
    "description": "",
    "target": {"type": "handler", "name": "report"},
    "payload": {},
    "retry": {
        "max_attempts": 3,
        "backoff_seconds": 2,
        "max_backoff_seconds": 300,
        "max_event_age_seconds": 86400,
    },
    "timeout_seconds": 30,
    "overlap": "allow",
    "misfire": {"policy": "fire_once", "grace_seconds": 60},
    "jitter_seconds": 0,
    "tags": {},
    "max_runs": None,
    "remaining_runs": None,
    "pause_after_failures": None,
    "pause_reason": None,
    "exclude": [],
    "notifications": [],
    "state": "active",
    "version": 2,
    "next_fire_times": ["2026-01-01T00:00:00+00:00"],
    "last_run": None,
    "created_at": "2025-12-31T12:00:00+00:00",
    "updated_at": "2025-12-31T12:00:00+00:00",
}


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The requests the CLI makes, answered with TASK instead of reaching a server."""
    requests: list[dict[str, Any]] = []

    def call(self: Client, method: str, path: str, **kwargs: Any) -> Any:
        requests.append({"method": method, "path": path, **kwargs})
        return TASK

    monkeypatch.setattr(Client, "_call", call)
    return requests


def run(command: str, *extra: str, input: str | None = None):
    """`sundial --json <command> <extra...>`, the command split as a shell would split it."""
    args = ["--json", *shlex.split(command), *extra]
    return cli_runner().invoke(cli, args, input=input, catch_exceptions=False)


def test_create_flags_make_the_post_body(sent: list[dict[str, Any]]) -> None:
    result = run(
        "tasks create --name nightly -s '0 30 2 * * *' --tz Europe/Berlin"
        " --target-url https://example.com/hook --method put --header 'X-Team: billing'"
        """ --payload '{"report": "daily"}' --retry-max-attempts 5 --misfire-policy skip"""
        " --tag env:prod --tag team:a:b --idempotency-key abc"
    )
    assert result.exit_code == 0, result.output
    (request,) = sent
    assert (request["method"], request["path"]) == ("POST", "/tasks")
    assert request["headers"] == {"Idempotency-Key": "abc"}
    assert request["body"] == {
        "name": "nightly",
        "schedule": "0 30 2 * * *",
        "timezone": "Europe/Berlin",
        "target": {
            "type": "http",
            "url": "https://example.com/hook",
            "method": "PUT",
            "headers": {"X-Team": "billing"},
        },
        "payload": {"report": "daily"},
        "retry": {"max_attempts": 5},
        "misfire": {"policy": "skip"},
        "tags": {"env": "prod", "team": "a:b"},
    }
    assert json.loads(result.stdout) == TASK


def test_flags_override_the_file_field_by_field(sent: list[dict[str, Any]], tmp_path: Path) -> None:
    spec = {
        "schedule": "@hourly",
        "target": {"type": "handler", "name": "report"},
        "retry": {"max_attempts": 2, "backoff_seconds": 10},
        "tags": {"a": "1"},
    }
    path = tmp_path / "task.json"
    path.write_text(json.dumps(spec))
    run("tasks create -s @daily --retry-max-attempts 4 --tag b:2 --file", str(path))
    assert sent[0]["body"] == {
        "schedule": "@daily",
        "target": {"type": "handler", "name": "report"},
        "retry": {"max_attempts": 4, "backoff_seconds": 10},
        "tags": {"a": "1", "b": "2"},
    }


def test_the_file_and_the_payload_can_come_from_stdin_and_files(
    sent: list[dict[str, Any]], tmp_path: Path
) -> None:
    payload = tmp_path / "payload.json"
    payload.write_text('{"big": [1, 2, 3]}')
    spec = '{"schedule": "@daily", "target": {"type": "handler", "name": "x"}}'
    run("tasks create -f - --payload", f"@{payload}", input=spec)
    assert sent[0]["body"]["payload"] == {"big": [1, 2, 3]}
    assert sent[0]["body"]["schedule"] == "@daily"


def test_max_runs_flag_sets_the_run_limit_and_clear_removes_it(sent: list[dict[str, Any]]) -> None:
    created = run("tasks create -s @daily --handler report --max-runs 3")
    assert created.exit_code == 0, created.output
    assert sent[0]["body"]["max_runs"] == 3
    cleared = run(f"tasks update {TASK_ID} --clear max_runs")
    assert cleared.exit_code == 0, cleared.output
    assert sent[1]["body"] == {"max_runs": None}


def test_pause_after_failures_flag_sets_it_and_clear_removes_it(
    sent: list[dict[str, Any]],
) -> None:
    created = run("tasks create -s @daily --handler report --pause-after-failures 3")
    assert created.exit_code == 0, created.output
    assert sent[0]["body"]["pause_after_failures"] == 3
    cleared = run(f"tasks update {TASK_ID} --clear pause_after_failures")
    assert cleared.exit_code == 0, cleared.output
    assert sent[1]["body"] == {"pause_after_failures": None}


def test_update_sends_only_what_changes_with_if_match(sent: list[dict[str, Any]]) -> None:
    result = run(
        f"tasks update {TASK_ID} --retry-backoff-seconds 7 --clear name --tag only:this"
        " --payload null --if-match 2"
    )
    assert result.exit_code == 0, result.output
    (request,) = sent
    assert (request["method"], request["path"]) == ("PATCH", f"/tasks/{TASK_ID}")
    assert request["headers"] == {"If-Match": "2"}
    assert request["body"] == {
        "retry": {"backoff_seconds": 7},
        "name": None,
        "tags": {"only": "this"},
        "payload": None,
    }


def test_a_task_id_cannot_reach_another_route(sent: list[dict[str, Any]]) -> None:
    # The CLI looks up what is not an id by name; the client quotes any id it is given.
    Client("http://127.0.0.1:8080/v1").get_task("../dead-letters")
    assert sent[0]["path"] == "/tasks/..%2Fdead-letters"


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("create --target-url https://x/ --handler h", "give one"),
        ("create --handler h --header 'A: b'", "--target-url"),
        ("create --target-url https://x/ --header no-colon", "NAME: VALUE"),
        ("create --tag novalue", "KEY:VALUE"),
        ("create --payload '{not json'", "not valid JSON"),
        ("create --payload @/no/such/file", "cannot read"),
        ("update 01J", "nothing to update"),
        ("update 01J --name x --clear name", "contradicts"),
        ("list --limit 500", "500"),
        ("backfill 01J --start 2026-01-01T00:00:00Z", "--end"),
    ],
)
def test_contradicting_or_malformed_flags_exit_2_before_any_request(
    sent: list[dict[str, Any]], command: str, message: str
) -> None:
    result = run(f"tasks {command}")
    assert result.exit_code == 2
    assert message in result.stderr
    assert sent == []


def test_a_file_that_is_not_a_json_object_is_a_usage_error(
    sent: list[dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "task.json"
    path.write_text("[1, 2]")
    result = run("tasks create --file", str(path))
    assert result.exit_code == 2 and "JSON object" in result.stderr


def test_exclude_flags_add_to_the_files_exclusions_on_create(
    sent: list[dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "task.json"
    path.write_text(json.dumps({"schedule": "@daily", "exclude": ["2026-12-25"]}))
    run(
        "tasks create --handler h --exclude calendar:holidays --exclude 2027-01-01..2027-01-02"
        " --file",
        str(path),
    )
    assert sent[0]["body"]["exclude"] == [
        "2026-12-25",
        "calendar:holidays",
        "2027-01-01..2027-01-02",
    ]


def test_exclude_flags_replace_the_exclusions_on_update_and_clear_removes_them(
    sent: list[dict[str, Any]],
) -> None:
    run(f"tasks update {TASK_ID} --exclude 2026-12-25")
    run(f"tasks update {TASK_ID} --clear exclude")
    bodies = [request["body"] for request in sent if request["method"] == "PATCH"]
    assert bodies == [{"exclude": ["2026-12-25"]}, {"exclude": []}]


def test_a_create_without_exclude_flags_sends_no_exclude(sent: list[dict[str, Any]]) -> None:
    run("tasks create -s @daily --handler h")
    assert "exclude" not in sent[0]["body"]


SNS = "arn:aws:sns:us-east-1:123456789012:alerts"
QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/events"


def test_notify_flags_make_notifications_of_each_destination_form(
    sent: list[dict[str, Any]],
) -> None:
    run(
        "tasks create -s @daily --handler h"
        " --notify run.failed,run.dead_lettered=https://hooks.example.com/x"
        f" --notify task.paused={SNS} --notify run.succeeded={QUEUE}"
        " --notify task.completed=eventbridge:ops-bus --notify run.retrying=eventbridge"
        """ --notify 'run.failed={"type": "http", "url": "https://b.example.com/"}'"""
        " --notify-secret whsec"
    )
    assert sent[0]["body"]["notifications"] == [
        {
            "on": ["run.failed", "run.dead_lettered"],
            "destination": {
                "type": "http",
                "url": "https://hooks.example.com/x",
                "signing_secret": "whsec",
            },
        },
        {"on": ["task.paused"], "destination": {"type": "sns", "topic_arn": SNS}},
        {"on": ["run.succeeded"], "destination": {"type": "sqs", "queue_url": QUEUE}},
        {"on": ["task.completed"], "destination": {"type": "eventbridge", "bus": "ops-bus"}},
        {"on": ["run.retrying"], "destination": {"type": "eventbridge"}},
        {
            "on": ["run.failed"],
            "destination": {
                "type": "http",
                "url": "https://b.example.com/",
                "signing_secret": "whsec",
            },
        },
    ]


def test_notify_flags_add_to_the_files_notifications_on_create(
    sent: list[dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "task.json"
    kept = {"on": ["run.failed"], "destination": {"type": "sns", "topic_arn": SNS}}
    path.write_text(json.dumps({"schedule": "@daily", "notifications": [kept]}))
    run("tasks create --handler h --notify task.paused=eventbridge --file", str(path))
    assert sent[0]["body"]["notifications"] == [
        kept,
        {"on": ["task.paused"], "destination": {"type": "eventbridge"}},
    ]


def test_notify_flags_replace_the_notifications_on_update_and_clear_removes_them(
    sent: list[dict[str, Any]],
) -> None:
    run(f"tasks update {TASK_ID} --notify run.failed={SNS}")
    run(f"tasks update {TASK_ID} --clear notifications")
    bodies = [request["body"] for request in sent if request["method"] == "PATCH"]
    assert bodies == [
        {
            "notifications": [
                {"on": ["run.failed"], "destination": {"type": "sns", "topic_arn": SNS}}
            ]
        },
        {"notifications": []},
    ]


def test_a_create_without_notify_flags_sends_no_notifications(sent: list[dict[str, Any]]) -> None:
    run("tasks create -s @daily --handler h")
    assert "notifications" not in sent[0]["body"]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("create --notify run.failed", "EVENTS=DESTINATION"),
        ("create --notify =https://x.example.com", "EVENTS=DESTINATION"),
        ("create --notify 'run.failed={not json'", "not valid JSON"),
        (f"create --notify run.failed={SNS} --notify-secret s", "--notify-secret"),
        ("create --notify-secret s", "--notify-secret"),
        ("update 01J --notify run.failed=eventbridge --clear notifications", "contradicts"),
    ],
)  # fmt: skip
def test_malformed_or_contradicting_notify_flags_exit_2_before_any_request(
    sent: list[dict[str, Any]], command: str, message: str
) -> None:
    result = run(f"tasks {command}")
    assert result.exit_code == 2
    assert message in result.stderr
    assert sent == []
