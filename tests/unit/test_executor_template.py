"""template.yaml's executor: its event source mapping, the queue's visibility, and
policies scoped to what the executor touches (no wildcards, no empty-list grants)."""

from __future__ import annotations

import importlib
import json
from typing import Any

from sundial_local.template import Template, load_template

from sundial.execute.batch import MAX_BATCH_SIZE
from sundial.execute.settings import DEFAULT_REQUEUE_AFTER_RECEIVES

RESOURCES = load_template()["Resources"]
EXECUTOR = RESOURCES["ExecutorFunction"]["Properties"]


def _policies(parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    template = Template.load(parameters=parameters)
    for name in ("RunsTable", "TasksTable", "WorkQueue", "DeadLetterQueue"):
        template.register(name, name, {"Arn": f"arn:aws:test:::{name}"})
    return template.resolve(EXECUTOR["Policies"])[0]["Statement"]


def test_the_handler_path_is_importable():
    module, function = EXECUTOR["Handler"].rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module), function))


def test_work_queue_feeds_the_executor_in_batches_with_partial_failures():
    # An explicit mapping, not a SAM SQS event (which would grant sqs:* reads on "*").
    assert "Events" not in EXECUTOR
    source = RESOURCES["ExecutorWorkMapping"]
    properties = source["Properties"]
    assert source["Type"] == "AWS::Lambda::EventSourceMapping"
    assert properties["FunctionName"] == {"Ref": "ExecutorFunction"}
    assert properties["EventSourceArn"] == {"Fn::GetAtt": ["WorkQueue", "Arn"]}
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BatchSize"] <= MAX_BATCH_SIZE
    assert properties["MaximumBatchingWindowInSeconds"] == 0  # a window would delay fires
    assert properties["ScalingConfig"]["MaximumConcurrency"] == {
        "Ref": "ExecutorMaximumConcurrency"
    }


def test_work_queue_visibility_is_at_least_six_executor_timeouts():
    allowed = load_template()["Parameters"]["ExecutorTimeoutSeconds"]["AllowedValues"]
    for timeout in allowed:
        template = Template.load(parameters={"ExecutorTimeoutSeconds": timeout})
        visibility = template.resolve(RESOURCES["WorkQueue"]["Properties"]["VisibilityTimeout"])
        assert template.resolve(EXECUTOR["Timeout"]) == timeout
        assert visibility >= 6 * timeout


def test_fresh_copies_start_before_the_queue_would_dead_letter_a_message():
    receives = RESOURCES["WorkQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
    assert receives > DEFAULT_REQUEUE_AFTER_RECEIVES


def test_no_statement_grants_a_wildcard():
    text = json.dumps(_policies())
    assert '"*"' not in text and ":*" not in text


def test_empty_target_lists_grant_nothing():
    actions = {json.dumps(s["Action"]) for s in _policies()}
    for action in ("lambda:InvokeFunction", "sns:Publish", "events:PutEvents"):
        assert not any(action in a for a in actions)


def test_listed_targets_are_granted_exactly():
    function = "arn:aws:lambda:us-east-1:123456789012:function:report"
    topic = "arn:aws:sns:us-east-1:123456789012:reports"
    # CloudFormation hands a CommaDelimitedList to Ref as a list.
    statements = _policies(
        {
            "TargetLambdaArns": [function],
            "TargetTopicArns": [topic],
            "TargetQueueArns": [""],
            "TargetEventBusArns": [""],
        }
    )
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["InvokeTargetFunctions"]["Resource"] == [function]
    assert by_sid["PublishToTargetTopics"]["Resource"] == [topic]
    assert "SendToTargetQueues" not in by_sid and "PutEventsOnTargetBuses" not in by_sid
