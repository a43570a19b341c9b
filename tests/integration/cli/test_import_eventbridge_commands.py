"""`sundial import eventbridge` against the real API, reading schedules from moto's
EventBridge Scheduler: every kind of schedule, and nothing created twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from cli_harness import Sundial
from sundial_cli.eventbridge_schedules import ScheduleReader

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/scheduler"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:reports"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:polls"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:launches"
BUS = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/billing"
SCHEDULES = f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule"
DEAD_LETTERS = f"arn:aws:sqs:{REGION}:{ACCOUNT}:scheduler-dlq"
START = datetime(2030, 1, 1, tzinfo=UTC)
END = datetime(2031, 1, 1, tzinfo=UTC)
IMPORTABLE = {
    "default/nightly-report",
    "default/poll",
    "default/launch",
    "billing/invoice-events",
}
SKIPPED = {
    "default/sdk-call",
    "billing/state-machine",
    "billing/templated",
    "billing/long-gone",
}


def _schedule(
    scheduler: Any, name: str, expression: str, target: dict[str, Any], **extra: Any
) -> None:
    scheduler.create_schedule(
        Name=name,
        ScheduleExpression=expression,
        FlexibleTimeWindow=extra.pop("FlexibleTimeWindow", {"Mode": "OFF"}),
        Target={"RoleArn": ROLE, **target},
        **extra,
    )


@pytest.fixture
def schedules(sundial: Sundial) -> Any:
    """Two groups of schedules of every kind, in the account the API's tables are in."""
    scheduler = boto3.client("scheduler", region_name=REGION)
    scheduler.create_schedule_group(Name="billing")
    _schedule(
        scheduler,
        "nightly-report",
        "cron(30 2 * * ? *)",
        {
            "Arn": FUNCTION,
            "Input": '{"report": "daily"}',
            "RetryPolicy": {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 3600},
            "DeadLetterConfig": {"Arn": DEAD_LETTERS},
        },
        ScheduleExpressionTimezone="Europe/Berlin",
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
        Description="The nightly report",
    )
    # No RetryPolicy: EventBridge's default (185 retries, a day) applies.
    _schedule(
        scheduler,
        "poll",
        "rate(5 minutes)",
        {"Arn": QUEUE, "Input": "poll now"},
        StartDate=START,
        EndDate=END,
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 120},
    )
    _schedule(
        scheduler,
        "launch",
        "at(2030-06-01T09:00:00)",
        {"Arn": TOPIC, "Input": '{"launch": true}'},
        ScheduleExpressionTimezone="America/New_York",
        State="DISABLED",
        ActionAfterCompletion="DELETE",
    )
    _schedule(
        scheduler,
        "sdk-call",
        "rate(1 hour)",
        {"Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage", "Input": "{}"},
    )
    _schedule(
        scheduler,
        "invoice-events",
        "cron(0 6 1 * ? *)",
        {
            "Arn": BUS,
            "Input": '{"run": "monthly"}',
            "EventBridgeParameters": {"DetailType": "invoice.due", "Source": "billing.scheduler"},
        },
        GroupName="billing",
    )
    _schedule(
        scheduler,
        "state-machine",
        "rate(1 day)",
        {"Arn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:close-books"},
        GroupName="billing",
    )
    _schedule(
        scheduler,
        "templated",
        "rate(1 day)",
        {"Arn": FUNCTION, "Input": '{"at": "<aws.scheduler.scheduled-time>"}'},
        GroupName="billing",
    )
    _schedule(
        scheduler,
        "long-gone",
        "at(2020-01-01T00:00:00)",
        {"Arn": FUNCTION},
        GroupName="billing",
    )
    return scheduler


def import_schedules(sundial: Sundial, flags: str = "") -> tuple[int, dict[str, Any]]:
    result = sundial(f"import eventbridge --region {REGION} {flags} --json")
    return result.exit_code, json.loads(result.stdout)


def by_schedule(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{s['group']}/{s['schedule']}": s for s in report["schedules"]}


def tasks_by_name(sundial: Sundial) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in sundial.json("tasks list --all")["tasks"]}


def test_each_schedule_becomes_a_task_with_its_timing_target_retries_and_payload(
    sundial: Sundial, schedules: Any
) -> None:
    code, report = import_schedules(sundial)
    assert code == 0
    assert report["counts"] == {"created": 4, "skipped": 4}
    results = by_schedule(report)
    assert {k for k, r in results.items() if r["status"] == "created"} == IMPORTABLE
    tasks = tasks_by_name(sundial)
    assert set(tasks) == {
        "ebs-default-nightly-report",
        "ebs-default-poll",
        "ebs-default-launch",
        "ebs-billing-invoice-events",
    }

    nightly = tasks["ebs-default-nightly-report"]
    assert (nightly["schedule"], nightly["timezone"]) == ("cron(30 2 * * ? *)", "Europe/Berlin")
    assert nightly["target"] == {"type": "lambda", "arn": FUNCTION, "invocation": "event"}
    assert nightly["payload"] == {"report": "daily"}
    assert nightly["jitter_seconds"] == 15 * 60
    assert nightly["retry"]["max_attempts"] == 5
    assert nightly["retry"]["max_event_age_seconds"] == 3600
    assert nightly["description"] == "The nightly report"
    assert nightly["tags"] == {
        "source": "eventbridge-scheduler",
        "eventbridge-schedule": f"{SCHEDULES}/default/nightly-report",
    }
    assert any(DEAD_LETTERS in note for note in results["default/nightly-report"]["notes"])

    poll = tasks["ebs-default-poll"]
    assert poll["target"] == {
        "type": "sqs",
        "queue_url": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/polls",
    }
    assert poll["payload"] == "poll now"  # not JSON: the text itself
    assert (poll["start_at"], poll["end_at"]) == (
        "2030-01-01T00:00:00+00:00",
        "2031-01-01T00:00:00+00:00",
    )
    assert poll["jitter_seconds"] == 3600  # a 2-hour window, narrowed to the jitter limit
    assert poll["retry"]["max_attempts"] == 100  # 185 retries, capped
    assert poll["retry"]["max_event_age_seconds"] == 86_400
    assert len(results["default/poll"]["notes"]) == 2

    invoices = tasks["ebs-billing-invoice-events"]
    assert invoices["target"] == {
        "type": "eventbridge",
        "bus": BUS,
        "source": "billing.scheduler",
        "detail_type": "invoice.due",
    }
    assert invoices["payload"] == {"run": "monthly"}


def test_a_disabled_schedule_becomes_a_paused_task(sundial: Sundial, schedules: Any) -> None:
    import_schedules(sundial)
    tasks = tasks_by_name(sundial)
    launch = tasks["ebs-default-launch"]
    assert launch["state"] == "paused"
    assert launch["schedule"] == "at(2030-06-01T09:00:00)"
    assert launch["timezone"] == "America/New_York"
    assert launch["target"] == {"type": "sns", "topic_arn": TOPIC}
    assert {t["state"] for name, t in tasks.items() if name != "ebs-default-launch"} == {"active"}


def test_what_sundial_cannot_express_is_skipped_whole_with_the_reason(
    sundial: Sundial, schedules: Any
) -> None:
    _, report = import_schedules(sundial)
    results = by_schedule(report)
    assert {k for k, r in results.items() if r["status"] == "skipped"} == SKIPPED
    assert "universal target (aws-sdk:sqs:sendMessage)" in results["default/sdk-call"]["reason"]
    assert "Step Functions target" in results["billing/state-machine"]["reason"]
    assert "<aws.scheduler.scheduled-time>" in results["billing/templated"]["reason"]
    assert "no run left" in results["billing/long-gone"]["reason"]
    assert not any("task_id" in results[k] for k in SKIPPED)
    assert len(tasks_by_name(sundial)) == len(IMPORTABLE)


def test_importing_again_creates_nothing(sundial: Sundial, schedules: Any) -> None:
    _, first = import_schedules(sundial)
    code, again = import_schedules(sundial)
    assert code == 0
    assert again["counts"] == {"exists": 4, "skipped": 4}
    ids = {k: r["task_id"] for k, r in by_schedule(first).items() if r["status"] == "created"}
    assert {k: r["task_id"] for k, r in by_schedule(again).items() if "task_id" in r} == ids
    assert len(tasks_by_name(sundial)) == len(IMPORTABLE)


def test_a_task_renamed_since_the_import_is_still_recognised(
    sundial: Sundial, schedules: Any
) -> None:
    _, first = import_schedules(sundial)
    poll = by_schedule(first)["default/poll"]["task_id"]
    assert sundial(f"tasks update {poll} --name polling").exit_code == 0
    _, again = import_schedules(sundial)
    assert by_schedule(again)["default/poll"]["status"] == "exists"
    assert "ebs-default-poll" not in tasks_by_name(sundial)


def test_a_name_taken_by_another_task_gets_the_schedules_hashed_name(
    sundial: Sundial, schedules: Any
) -> None:
    taken = sundial(
        "tasks create --name ebs-default-poll -s 'rate(1 hour)' "
        "--target-url https://example.com/hook --json"
    )
    assert taken.exit_code == 0, taken.output
    _, report = import_schedules(sundial, "--group default")
    name = by_schedule(report)["default/poll"]["name"]
    assert name.startswith("ebs-default-poll-") and len(name) == len("ebs-default-poll-") + 8
    assert tasks_by_name(sundial)[name]["target"]["type"] == "sqs"


def test_group_imports_only_that_groups_schedules(sundial: Sundial, schedules: Any) -> None:
    _, report = import_schedules(sundial, "--group billing")
    assert {s["group"] for s in report["schedules"]} == {"billing"}
    assert set(tasks_by_name(sundial)) == {"ebs-billing-invoice-events"}


def test_a_dry_run_shows_what_would_be_created_and_creates_nothing(
    sundial: Sundial, schedules: Any
) -> None:
    code, report = import_schedules(sundial, "--dry-run")
    assert code == 0
    assert report["dry_run"] is True
    assert report["counts"] == {"would_create": 4, "skipped": 4}
    launch = by_schedule(report)["default/launch"]
    assert launch["paused"] is True
    assert launch["task"]["schedule"] == "at(2030-06-01T09:00:00)"
    assert sundial.json("tasks list")["tasks"] == []


def test_the_table_shows_what_was_created_and_skipped_and_why(
    sundial: Sundial, schedules: Any
) -> None:
    result = sundial(f"import eventbridge --region {REGION}")
    assert result.exit_code == 0, result.output
    assert "default/launch" in result.stdout and "ebs-default-launch" in result.stdout
    assert "paused (the schedule is disabled)" in result.stdout
    assert "universal target" in result.stdout
    assert result.stdout.rstrip().endswith("4 created, 4 skipped")
    assert result.stderr == ""  # no progress bar off a terminal


def test_schedules_are_read_page_by_page(sundial: Sundial, schedules: Any) -> None:
    reader = ScheduleReader(REGION, page_size=3)
    calls: list[dict[str, Any]] = []
    reader.client.meta.events.register(
        "before-call.scheduler.ListSchedules", lambda params, **_: calls.append(params)
    )
    found = reader.summaries(None)
    assert {f"{s['GroupName']}/{s['Name']}" for s in found} == IMPORTABLE | SKIPPED
    assert len(calls) == 3  # 8 schedules, 3 to a page
