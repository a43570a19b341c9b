"""Runs left `running` or `retrying` with nothing coming to finish them: found a page at
a time, for the reconciler (workqueue/reconcile.py).

A run is stuck once its lease ended (`running`) or its retry fell due (`retrying`)
longer ago than `after_ms`: a message of the run would have reached the executor by
then (a crashed consumer's message returns within the queue's visibility timeout, a
retry's at `next_attempt_at`), so none is in flight any more.

Runs have no index by status (one would cost a write on every claim and outcome of
every fire), so the reconciler scans the runs table a page per tick, resuming where the
last tick stopped: the scan's position is kept in one item of the tasks table, which
carries no index attributes, so no index sees it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sundial import clients
from sundial.core.vocabulary import RunStatus
from sundial.store.models import RunItem, TaskItem

RECONCILE_CURSOR_KEY = "cursor#reconcile#runs"


@dataclass(frozen=True)
class StuckPage:
    runs: list[RunItem]
    # Where the next page starts; None when this page ended the table (start over).
    next_start: dict[str, Any] | None


def find_stuck_runs(
    *, now_ms: int, after_ms: int, page_size: int, start: dict[str, Any] | None
) -> StuckPage:
    """One page of the runs table (`page_size` items read), the stuck runs among them."""
    before = str(now_ms - after_ms)
    request: dict[str, Any] = {
        "TableName": RunItem.Meta.table_name,
        "Limit": page_size,
        "FilterExpression": (
            "(#status = :running AND lease_until < :before)"
            " OR (#status = :retrying AND next_attempt_at < :before)"
        ),
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {
            ":running": {"S": RunStatus.RUNNING.value},
            ":retrying": {"S": RunStatus.RETRYING.value},
            ":before": {"N": before},
        },
    }
    if start:
        request["ExclusiveStartKey"] = start
    page = clients.client("dynamodb").scan(**request)
    runs = [RunItem.from_raw_data(item) for item in page.get("Items", [])]
    return StuckPage(runs, page.get("LastEvaluatedKey"))


def load_reconcile_cursor() -> dict[str, Any] | None:
    answer = clients.client("dynamodb").get_item(
        TableName=TaskItem.Meta.table_name,
        Key={"task_id": {"S": RECONCILE_CURSOR_KEY}},
        ConsistentRead=True,
    )
    stored = answer.get("Item", {}).get("start_key", {}).get("S")
    return json.loads(stored) if stored else None


def save_reconcile_cursor(start: dict[str, Any] | None) -> None:
    """Unconditional: two reconcilers racing at worst scan a page twice, which re-sends
    nothing that the executor's claim would not drop."""
    item: dict[str, Any] = {"task_id": {"S": RECONCILE_CURSOR_KEY}}
    if start:
        item["start_key"] = {"S": json.dumps(start)}
    clients.client("dynamodb").put_item(TableName=TaskItem.Meta.table_name, Item=item)
