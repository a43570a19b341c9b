"""How an EventBridge Scheduler schedule translates to a task, offline: names, targets,
windows, retries, input, and what is refused whole."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from cli_runner import cli_runner
from sundial_cli import cli
from sundial_cli.eventbridge_mapping import fallback_name, task_name, translate

from sundial.core.task import NAME_MAX_LENGTH
from sundial.core.task.limits import NAME_PATTERN

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ACCOUNT = "123456789012"
FUNCTION = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:reports"


def schedule(**fields: Any) -> dict[str, Any]:
    """A GetSchedule answer: a Lambda target every hour, unless `fields` say otherwise."""
    target = {"Arn": FUNCTION, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/r"}
    target.update(fields.pop("Target", {}))
    return {
        "Arn": f"arn:aws:scheduler:eu-west-1:{ACCOUNT}:schedule/default/hourly",
        "Name": "hourly",
        "GroupName": "default",
        "ScheduleExpression": "rate(1 hour)",
        "ScheduleExpressionTimezone": "UTC",
        "State": "ENABLED",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": target,
        **fields,
    }


def test_a_short_name_reads_as_group_and_schedule() -> None:
    assert task_name("default", "nightly-report") == "ebs-default-nightly-report"


def test_a_long_name_is_cut_to_sundials_limit_and_stays_distinct_and_stable() -> None:
    group = "g" * 64
    first, second = task_name(group, "a" * 60 + "-one"), task_name(group, "a" * 60 + "-two")
    assert len(first) == NAME_MAX_LENGTH and NAME_PATTERN.fullmatch(first)
    assert first != second
    assert first == task_name(group, "a" * 60 + "-one")


def test_characters_sundial_names_refuse_become_dashes() -> None:
    assert task_name("team one", "job/x") == "ebs-team-one-job-x"


def test_the_fallback_name_differs_for_the_same_schedule_in_another_region() -> None:
    here = fallback_name("default", "poll", "arn:aws:scheduler:us-east-1:1:schedule/default/poll")
    there = fallback_name("default", "poll", "arn:aws:scheduler:eu-west-1:1:schedule/default/poll")
    assert here != there and here.startswith("ebs-default-poll-")


@pytest.mark.parametrize(
    ("arn", "extra", "expected"),
    [
        (FUNCTION, {}, {"type": "lambda", "arn": FUNCTION}),
        (
            f"arn:aws:sqs:eu-west-1:{ACCOUNT}:jobs.fifo",
            {"SqsParameters": {"MessageGroupId": "g1"}},
            {
                "type": "sqs",
                "queue_url": f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/jobs.fifo",
            },
        ),
        (
            f"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts",
            {},
            {"type": "sns", "topic_arn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts"},
        ),
        (
            f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/default",
            {"EventBridgeParameters": {"Source": "app.jobs", "DetailType": "tick"}},
            {
                "type": "eventbridge",
                "bus": f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/default",
                "source": "app.jobs",
                "detail_type": "tick",
            },
        ),
    ],
)
def test_lambda_sqs_sns_and_eventbridge_targets_map_to_sundials(
    arn: str, extra: dict[str, Any], expected: dict[str, Any]
) -> None:
    result = translate(schedule(Target={"Arn": arn, **extra}), NOW)
    assert result.body is not None, result.unsupported
    assert result.body["target"] == expected


def test_an_sqs_message_group_is_noted_as_replaced_by_the_tasks_own() -> None:
    result = translate(
        schedule(
            Target={
                "Arn": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:jobs.fifo",
                "SqsParameters": {"MessageGroupId": "g1"},
            }
        ),
        NOW,
    )
    assert any("message group 'g1' replaced" in note for note in result.notes)


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ({"Arn": "arn:aws:scheduler:::aws-sdk:ec2:stopInstances"}, "universal target"),
        ({"Arn": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/main"}, "ECS task target"),
        ({"Arn": f"arn:aws:kinesis:eu-west-1:{ACCOUNT}:stream/s"}, "Kinesis target"),
        ({"Arn": f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/b"}, "EventBridgeParameters"),
        ({"Input": '{"id": "<aws.scheduler.execution-id>"}'}, "<aws.scheduler.execution-id>"),
    ],
)
def test_what_sundial_cannot_express_is_refused_with_no_task(
    target: dict[str, Any], reason: str
) -> None:
    result = translate(schedule(Target=target), NOW)
    assert result.body is None
    assert reason in "; ".join(result.unsupported)


def test_input_is_the_payload_as_json_when_it_parses_else_as_text() -> None:
    as_json = translate(schedule(Target={"Input": '{"a": [1, 2]}'}), NOW)
    as_text = translate(schedule(Target={"Input": "not {json"}), NOW)
    without = translate(schedule(), NOW)
    assert as_json.body and as_json.body["payload"] == {"a": [1, 2]}
    assert as_text.body and as_text.body["payload"] == "not {json"
    assert without.body and "payload" not in without.body


def test_a_flexible_window_is_jitter_narrowed_to_the_limit_with_a_note() -> None:
    inside = translate(
        schedule(FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 30}), NOW
    )
    wider = translate(
        schedule(FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 1440}), NOW
    )
    assert inside.body and inside.body["jitter_seconds"] == 1800
    assert wider.body and wider.body["jitter_seconds"] == 3600
    assert any("window of 1440 min narrowed" in note for note in wider.notes)


def test_retries_are_attempts_plus_one_capped_at_the_limit_with_the_event_age_kept() -> None:
    few = translate(
        schedule(
            Target={"RetryPolicy": {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60}}
        ),
        NOW,
    )
    assert few.body and few.body["retry"] == {"max_attempts": 1, "max_event_age_seconds": 60}
    assert few.notes == []
    default = translate(schedule(), NOW)  # EventBridge's default: 185 retries, a day
    assert default.body
    assert default.body["retry"] == {"max_attempts": 100, "max_event_age_seconds": 86_400}
    assert any("185 retries" in note for note in default.notes)


def test_start_and_end_dates_bound_the_task_but_not_a_one_time_one() -> None:
    window = {
        "StartDate": datetime(2027, 1, 1, tzinfo=UTC),
        "EndDate": datetime(2028, 1, 1, tzinfo=UTC),
    }
    recurring = translate(schedule(**window), NOW)
    once = translate(schedule(ScheduleExpression="at(2027-03-01T10:00:00)", **window), NOW)
    assert recurring.body
    assert (recurring.body["start_at"], recurring.body["end_at"]) == (
        "2027-01-01T00:00:00Z",
        "2028-01-01T00:00:00Z",
    )
    assert once.body and "start_at" not in once.body and "end_at" not in once.body
    assert any("ignores them for at()" in note for note in once.notes)


def test_a_schedule_with_no_run_left_is_refused() -> None:
    passed = translate(schedule(ScheduleExpression="at(2026-01-01T00:00:00)"), NOW)
    ended = translate(schedule(EndDate=datetime(2026, 1, 1, tzinfo=UTC)), NOW)
    assert passed.body is None and "no run left" in passed.unsupported[0]
    assert ended.body is None


def test_a_disabled_schedule_is_to_be_paused() -> None:
    assert translate(schedule(State="DISABLED"), NOW).paused
    assert not translate(schedule(), NOW).paused


def test_a_definition_sundial_refuses_is_refused_with_the_apis_reason() -> None:
    result = translate(
        schedule(
            Target={
                "Arn": f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/b",
                "EventBridgeParameters": {"Source": "aws.ec2", "DetailType": "x"},
            }
        ),
        NOW,
    )
    assert result.body is None
    assert result.unsupported == [
        "not valid in Sundial: target.source must not start with 'aws.' (reserved for AWS services)"
    ]


def test_dead_letters_kms_and_deletion_after_completion_are_noted_not_refused() -> None:
    result = translate(
        schedule(
            KmsKeyArn=f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/k",
            ActionAfterCompletion="DELETE",
            Target={"DeadLetterConfig": {"Arn": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:dlq"}},
        ),
        NOW,
    )
    assert result.body is not None
    notes = " ".join(result.notes)
    assert f"not sent to arn:aws:sqs:eu-west-1:{ACCOUNT}:dlq" in notes
    assert "key/k not used" in notes and "ActionAfterCompletion DELETE" in notes


def test_every_imported_task_carries_the_schedules_arn_and_is_valid_for_the_api() -> None:
    result = translate(schedule(Description="Hourly"), NOW)
    assert result.body is not None
    assert result.body["tags"]["eventbridge-schedule"] == schedule()["Arn"]
    assert result.body["description"] == "Hourly"
    assert result.body["name"] == "ebs-default-hourly"


def test_without_an_aws_region_the_import_fails_with_exit_1_saying_how_to_give_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no region from IMDS either
    result = cli_runner().invoke(cli, ["import", "eventbridge", "--dry-run"])
    assert result.exit_code == 1
    assert result.stderr == "error: no AWS region: pass --region or set AWS_REGION\n"
