"""`--state-file`: the local stack's tables saved on shutdown and restored on start.

What survives a restart: every table of the template (tasks, run history, API keys,
idempotency records). What does not: messages in the queues. No fire is lost by that:
a task's pending fire lives in its `due_at`, so after a restart the dispatcher plans it
again (older than the grace period, it follows the task's misfire policy). Runs that
were queued or retrying at shutdown are not resumed; a run caught mid-flight shows as
`running` until its lease would have expired.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from sundial.core.aws_limits import DYNAMODB_MAX_BATCH_WRITE_ITEMS

STATE_VERSION = 1


def save_state(dynamodb: Any, tables: dict[str, str], path: str | Path) -> int:
    """Write every item of `tables` (logical id: table name) to `path`; returns the count."""
    state: dict[str, Any] = {"version": STATE_VERSION, "saved_at": time.time(), "tables": {}}
    count = 0
    for logical_id, table in tables.items():
        items: list[dict[str, Any]] = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            items.extend(page.get("Items", []))
        state["tables"][logical_id] = items
        count += len(items)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename: a crash mid-write never leaves half a file.
    with tempfile.NamedTemporaryFile("w", dir=target.parent, delete=False, suffix=".tmp") as tmp:
        json.dump(state, tmp)
    os.replace(tmp.name, target)
    return count


def load_state(dynamodb: Any, tables: dict[str, str], path: str | Path) -> int:
    """Put back the items saved in `path` (absent file: nothing); returns the count."""
    source = Path(path)
    if not source.exists():
        return 0
    state = json.loads(source.read_text())
    if state.get("version") != STATE_VERSION:
        raise ValueError(f"{source} was written by another version of the local stack")
    count = 0
    for logical_id, items in state["tables"].items():
        table = tables.get(logical_id)
        if table is None:
            continue  # a table the template no longer has
        for start in range(0, len(items), DYNAMODB_MAX_BATCH_WRITE_ITEMS):
            chunk = items[start : start + DYNAMODB_MAX_BATCH_WRITE_ITEMS]
            requests = [{"PutRequest": {"Item": item}} for item in chunk]
            pending = {table: requests}
            while pending:
                pending = (
                    dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                )
        count += len(items)
    return count
