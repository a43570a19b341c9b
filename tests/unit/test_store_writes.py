"""How failed writes are reported (no AWS: botocore errors built by hand)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from sundial.store import writes
from sundial.store.errors import TransactionConflict
from sundial.store.models import TaskItem

OLD = {"task_id": {"S": "t"}, "version": {"N": "3"}}


def _error(code: str, **extra) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}, **extra}, "Op")


def test_failed_condition_carries_the_old_item():
    failed = writes._translate(_error("ConditionalCheckFailedException", Item=OLD))
    assert isinstance(failed, writes.ConditionFailed) and failed.old_item == OLD


def test_cancelled_transaction_names_the_failing_requests():
    reasons = [{"Code": "None"}, {"Code": "ConditionalCheckFailed", "Item": OLD}]
    failed = writes._translate(_error("TransactionCanceledException", CancellationReasons=reasons))
    assert isinstance(failed, writes.ConditionFailed) and failed.failed == {1: OLD}


def test_other_errors_pass_through():
    assert writes._translate(_error("ProvisionedThroughputExceededException")) is None


def test_conflicting_transaction_is_resent_then_reported(monkeypatch):
    calls = []

    def conflicting(model, operation, kwargs, settle=None):
        calls.append(operation)
        raise TransactionConflict("busy")

    monkeypatch.setattr(writes, "_send", conflicting)
    monkeypatch.setattr(writes, "TRANSACTION_CONFLICT_BACKOFF_SECONDS", 0)
    with pytest.raises(TransactionConflict):
        writes.transact(TaskItem, [{"Put": {}}])
    assert len(calls) == writes.TRANSACTION_CONFLICT_ATTEMPTS


def test_conflict_reason_is_transient():
    reasons = [{"Code": "TransactionConflict"}, {"Code": "None"}]
    error = writes._translate(_error("TransactionCanceledException", CancellationReasons=reasons))
    assert isinstance(error, TransactionConflict)
