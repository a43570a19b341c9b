"""The local stack's Lambda event filtering: the documented rules it emulates, and the
template's own stream filters on the records they must and must not let through."""

from __future__ import annotations

import pytest
from sundial_local.filtering import UnsupportedPattern, matches, matches_any, parse_filters
from sundial_local.streams import first_failure, stream_mappings
from sundial_local.template import Template

# The shape of a DynamoDB stream record as Lambda documents it.
RECORD = {
    "eventName": "MODIFY",
    "dynamodb": {
        "Keys": {"CustomerName": {"S": "AnyCompany Industries"}},
        "NewImage": {
            "CustomerName": {"S": "AnyCompany Industries"},
            "AccountManager": {"S": "Pat Candella"},
            "PaymentTerms": {"S": "60 days"},
            "Tags": {"SS": ["gold", "eu"]},
        },
        "OldImage": {"CustomerName": {"S": "AnyCompany Industries"}},
    },
}


def keyed(value: str) -> dict:
    return {"dynamodb": {"Keys": {"CustomerName": {"S": [value]}}}}


def test_an_exact_value_matches_only_itself():
    assert matches(keyed("AnyCompany Industries"), RECORD)
    assert not matches(keyed("Other"), RECORD)


def test_exists_true_needs_the_attribute_and_exists_false_its_absence():
    present = {"dynamodb": {"NewImage": {"PaymentTerms": {"S": [{"exists": True}]}}}}
    absent = {"dynamodb": {"NewImage": {"Discount": {"S": [{"exists": False}]}}}}
    missing = {"dynamodb": {"NewImage": {"Discount": {"S": [{"exists": True}]}}}}
    assert matches(present, RECORD) and matches(absent, RECORD)
    assert not matches(missing, RECORD)


def test_a_set_matches_when_any_element_does_and_exists_works_on_it():
    assert matches({"dynamodb": {"NewImage": {"Tags": {"SS": ["eu"]}}}}, RECORD)
    assert matches({"dynamodb": {"NewImage": {"Tags": {"SS": [{"exists": True}]}}}}, RECORD)
    assert not matches({"dynamodb": {"NewImage": {"Tags": {"SS": ["us"]}}}}, RECORD)


def test_anything_but_refuses_the_listed_values_and_a_missing_attribute():
    rule = {"dynamodb": {"NewImage": {"PaymentTerms": {"S": [{"anything-but": ["30 days"]}]}}}}
    refused = {"dynamodb": {"NewImage": {"PaymentTerms": {"S": [{"anything-but": ["60 days"]}]}}}}
    on_missing = {"dynamodb": {"OldImage": {"PaymentTerms": {"S": [{"anything-but": ["x"]}]}}}}
    assert matches(rule, RECORD)
    assert not matches(refused, RECORD)
    assert not matches(on_missing, RECORD)


def test_prefix_and_ored_filters():
    prefix = {"dynamodb": {"NewImage": {"AccountManager": {"S": [{"prefix": "Pat"}]}}}}
    assert matches(prefix, RECORD)
    assert matches_any([keyed("Other"), prefix], RECORD)
    assert not matches_any([keyed("Other")], RECORD)
    assert matches_any([], RECORD)  # no filters: every record


def test_a_rule_the_emulation_does_not_know_fails_loudly():
    with pytest.raises(UnsupportedPattern):
        matches({"dynamodb": {"NewImage": {"n": {"N": [{"numeric": [">", 1]}]}}}}, RECORD)
    with pytest.raises(UnsupportedPattern):
        parse_filters({"Filters": [{"Pattern": "[1]"}]})


def template_patterns() -> dict[str, list[dict]]:
    template = Template.load()
    for logical_id in ("RunsTable", "TasksTable"):
        template.register(logical_id, logical_id, {"StreamArn": f"stream/{logical_id}"})
    return {m.logical_id: m.patterns for m in stream_mappings(template)}


def image(**attributes: dict) -> dict:
    return attributes


def modify(old: dict, new: dict) -> dict:
    return {"eventName": "MODIFY", "dynamodb": {"OldImage": old, "NewImage": new}}


def test_the_runs_filter_passes_marked_outcomes_of_running_runs_only():
    (runs,) = [p for k, p in template_patterns().items() if k == "NotifierRunsMapping"]
    running = image(status={"S": "running"}, attempt={"N": "1"})
    marked = image(status={"S": "failed"}, notify={"SS": ["run.failed"]})
    unmarked = image(status={"S": "succeeded"})
    claim = image(status={"S": "running"}, notify={"SS": ["run.retrying"]})
    retrying = image(status={"S": "retrying"}, notify={"SS": ["run.retrying"]})
    assert matches_any(runs, modify(running, marked))
    assert not matches_any(runs, modify(running, unmarked))
    assert not matches_any(runs, modify(retrying, claim))  # a claim keeps an older mark
    assert not matches_any(runs, {"eventName": "INSERT", "dynamodb": {"NewImage": running}})


def test_the_tasks_filter_passes_a_pause_by_failures_and_a_completion_only():
    (tasks,) = [p for k, p in template_patterns().items() if k == "NotifierTasksMapping"]
    active = image(state={"S": "active"})
    by_failures = image(state={"S": "paused"}, pause_reason={"S": "failures"})
    by_user = image(state={"S": "paused"}, pause_reason={"S": "user"})
    completed = image(state={"S": "completed"})
    assert matches_any(tasks, modify(active, by_failures))
    assert matches_any(tasks, modify(active, completed))
    assert not matches_any(tasks, modify(active, by_user))
    assert not matches_any(tasks, modify(by_failures, by_failures))  # paused already
    assert not matches_any(tasks, modify(completed, completed))
    assert not matches_any(tasks, modify(active, active))


def batch(*sequences: str) -> list[dict]:
    return [{"dynamodb": {"SequenceNumber": s}} for s in sequences]


def test_a_stream_batch_resumes_from_its_first_reported_failure():
    records = batch("1", "2", "3")
    assert first_failure({"batchItemFailures": []}, records) is None
    assert first_failure(None, records) is None
    failed = {"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]}
    assert first_failure(failed, records) == 1
    # Unknown or empty identifiers, or an unreadable answer, fail the whole batch.
    assert first_failure({"batchItemFailures": [{"itemIdentifier": "9"}]}, records) == 0
    assert first_failure({"batchItemFailures": [{}]}, records) == 0
    assert first_failure({"batchItemFailures": "no"}, records) == 0
