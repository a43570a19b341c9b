"""The Lambda entry point as deployed: `sundial.execute.handler.handler` with an SQS event
document, its partial batch response and its metrics."""

from __future__ import annotations

import copy
import json

from execute_helpers import LambdaContext, failures, malformed_sample_records

from sundial import store
from sundial.core.clock import now_ms
from sundial.execute.handler import handler
from sundial.workqueue.messages import FireMessage


def _metrics(output: str) -> dict[str, list[float]]:
    """Metric values in the EMF documents Powertools printed."""
    values: dict[str, list[float]] = {}
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        for definition in document["_aws"]["CloudWatchMetrics"]:
            for metric in definition["Metrics"]:
                value = document[metric["Name"]]
                values.setdefault(metric["Name"], []).extend(
                    value if isinstance(value, list) else [value]
                )
    return values


def test_handler_runs_a_due_fire_and_reports_its_metrics(
    probe, probe_task, work, execute_env, capsys
):
    task = probe_task()
    now = now_ms()  # the deployed handler runs on the real clock
    message = FireMessage(
        execution_id=f"{task.task_id}:{now}",
        task_id=task.task_id,
        tenant="acme",
        fire_at=now,
        schedule_version=1,
    )
    work.send(message)
    (record,) = work.receive()
    duplicate = copy.deepcopy(record)  # a second delivery of the same message

    response = handler({"Records": [record]}, LambdaContext())
    again = handler({"Records": [duplicate]}, LambdaContext())

    assert failures(response) == failures(again) == []
    assert len(probe.calls) == 1
    metrics = _metrics(capsys.readouterr().out)
    assert metrics["RunsSucceeded"] == [1]
    assert metrics["TargetCalls"] == [1]
    assert metrics["DuplicatesDropped"] == [1]
    assert len(metrics["LatenessMs"]) == 1 and metrics["LatenessMs"][0] >= 0


def test_handler_dead_letters_malformed_records_and_acknowledges_them(work, execute_env, capsys):
    malformed = {"Records": malformed_sample_records()}

    response = handler(malformed, LambdaContext())

    assert failures(response) == []
    letters = work.dead_letters()
    assert sorted(letter["message_id"] for letter in letters) == sorted(
        record["messageId"] for record in malformed["Records"]
    )
    assert _metrics(capsys.readouterr().out)["MalformedMessages"] == [1, 1]


def test_handler_reports_only_the_records_that_go_back(
    probe, probe_task, work, execute_env, tables
):
    task = probe_task(jitter_seconds=3600)
    later = now_ms() + 3_000_000  # due in 50 minutes: back to the queue
    early = FireMessage(
        execution_id=f"{task.task_id}:{later}",
        task_id=task.task_id,
        tenant="acme",
        fire_at=later,
        schedule_version=1,
    )
    work.send(early)
    (record,) = work.receive()
    response = handler({"Records": [record, *malformed_sample_records()]}, LambdaContext())

    assert failures(response) == [record["messageId"]]
    assert store.list_runs(task.task_id)[0] == []
