"""DynamoDB capacity consumed by each request to the in-process emulator (moto), by table
and by index, priced by the size rules of `capacity`.

Every emulated request passes through moto's BotocoreStubber, so that is where requests
are metered: no client slips past. A write's cost depends on the item before and after
it, so the meter reads the items a write touches from moto's backend just before and
just after the emulator applies the request, holding a lock so no other metered request
runs in between. Those backend reads are not requests, so they cost nothing themselves.

Reads are charged on what DynamoDB reads, not on what the response carries: GetItem
and BatchGetItem on the whole stored item (a ProjectionExpression does not make a read
cheaper), Query and Scan on the stored items (or index entries) behind the items
returned. A Query's FilterExpression would hide items it read and paid for; the hot
path's queries have none.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from capacity import READ_UNIT_BYTES, RawItem, TableSchema, item_size, read_units
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.botocore_stubber import BotocoreStubber
from moto.dynamodb.models import dynamodb_backends

READ_OPERATIONS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
# A write refused by its condition still consumes write capacity; a throttled one does not.
_CHARGED_FAILURES = ("ConditionalCheckFailedException", "TransactionCanceledException")


class CapacityMeter:
    """Requests by operation, write and read units by table ("Tasks") and index
    ("TasksTable.schedule_due"), over the requests made while `active` inside `metering()`."""

    def __init__(self, schemas: Mapping[str, TableSchema]) -> None:
        self.schemas = dict(schemas)  # by table name
        self.calls: Counter[str] = Counter()
        self.write_units: Counter[str] = Counter()
        self.read_units: Counter[str] = Counter()
        # A Query's units before rounding (its bytes read / 4 KB): what the same reads cost
        # in a busy deployment, where a page holds many items and rounds once for all.
        self.query_units_unrounded: Counter[str] = Counter()
        self.items_read = 0  # items returned by GetItem and Query
        self.active = False
        self._lock = threading.Lock()

    def reads(self) -> int:
        return sum(n for op, n in self.calls.items() if op in READ_OPERATIONS)

    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if op in WRITE_OPERATIONS)

    def total_write_units(self) -> float:
        return float(sum(self.write_units.values()))

    def total_read_units(self) -> float:
        return float(sum(self.read_units.values()))

    def read_units_queries_unrounded(self) -> float:
        """Read units with every Query priced by its bytes, not rounded up to a unit: the
        reads' share of one fire in a deployment whose queries return full pages."""
        rounded = sum(self.read_units[where] for where in self.query_units_unrounded)
        return self.total_read_units() - rounded + sum(self.query_units_unrounded.values())

    @contextlib.contextmanager
    def metering(self) -> Iterator[CapacityMeter]:
        process = BotocoreStubber.process_request
        meter = self

        def metered(stubber: BotocoreStubber, request: Any) -> Any:
            target = (request.headers.get("X-Amz-Target") or b"").decode()
            if not (meter.active and target.startswith("DynamoDB")):
                return process(stubber, request)
            with meter._lock:
                return meter._metered(target.rsplit(".", 1)[-1], request, stubber, process)

        BotocoreStubber.process_request = metered  # type: ignore[method-assign]
        try:
            yield self
        finally:
            BotocoreStubber.process_request = process  # type: ignore[method-assign]

    # --- one request ---------------------------------------------------------------------

    def _metered(self, operation: str, request: Any, stubber: Any, process: Any) -> Any:
        body = json.loads(request.body or b"{}")
        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][_region(request.url)]
        touched = self._writes_of(operation, body)
        before = [_stored(backend, table, key) for table, key, _ in touched]
        response = process(stubber, request)
        self.calls[operation] += 1
        status, error, answer = _outcome(response)
        if touched and (status == 200 or error in _CHARGED_FAILURES):
            for (table, key, transactional), old in zip(touched, before, strict=True):
                new = _stored(backend, table, key) if status == 200 else old
                self._charge_write(table, old, new, transactional)
        elif status == 200 and operation in READ_OPERATIONS:
            self._charge_read(operation, body, answer, backend)
        return response

    def _writes_of(self, operation: str, body: Mapping[str, Any]) -> list[tuple[str, Any, bool]]:
        """(table, key, transactional) of each item the write request may change."""
        if operation == "PutItem":
            table = body["TableName"]
            return [(table, self.schemas[table].key_of(body["Item"]), False)]
        if operation in ("UpdateItem", "DeleteItem"):
            return [(body["TableName"], body["Key"], False)]
        if operation == "BatchWriteItem":
            found = []
            for table, requests in body["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        key = self.schemas[table].key_of(request["PutRequest"]["Item"])
                    else:
                        key = request["DeleteRequest"]["Key"]
                    found.append((table, key, False))
            return found
        if operation == "TransactWriteItems":
            found = []
            for entry in body["TransactItems"]:
                ((kind, action),) = entry.items()
                table = action["TableName"]
                key = self.schemas[table].key_of(action["Item"]) if kind == "Put" else action["Key"]
                found.append((table, key, True))  # a ConditionCheck is charged as a write
            return found
        return []

    def _charge_write(
        self, table: str, before: RawItem | None, after: RawItem | None, transactional: bool
    ) -> None:
        for where, units in (
            self.schemas[table].write(before, after, transactional=transactional).items()
        ):
            self.write_units[f"{table}.{where}" if where else table] += units

    def _charge_read(
        self, operation: str, body: Mapping[str, Any], answer: Mapping[str, Any], backend: Any
    ) -> None:
        if operation == "GetItem":
            table = body["TableName"]
            item = _stored(backend, table, body["Key"])
            self.items_read += item is not None
            self.read_units[table] += read_units(
                item_size(item), consistent=bool(body.get("ConsistentRead"))
            )
        elif operation in ("BatchGetItem", "TransactGetItems"):
            transactional = operation == "TransactGetItems"
            if transactional:
                gets = [
                    (g["Get"]["TableName"], g["Get"]["Key"], True) for g in body["TransactItems"]
                ]
            else:
                gets = [
                    (table, key, bool(spec.get("ConsistentRead")))
                    for table, spec in body["RequestItems"].items()
                    for key in spec["Keys"]
                ]
            for table, key, consistent in gets:  # each item rounded on its own
                size = item_size(_stored(backend, table, key))
                self.read_units[table] += read_units(
                    size, consistent=consistent, transactional=transactional
                )
        else:  # Query, Scan: the items read are summed, then rounded once
            table, index_name = body["TableName"], body.get("IndexName")
            schema = self.schemas[table]
            index = schema.index(index_name) if index_name else None
            size = 0
            for returned in answer.get("Items", []):
                stored = _stored(backend, table, schema.key_of(returned)) or returned
                size += item_size(index.entry(stored, schema.keys) if index else stored)
            self.items_read += len(answer.get("Items", []))
            where = f"{table}.{index_name}" if index_name else table
            consistent = bool(body.get("ConsistentRead"))
            self.read_units[where] += read_units(size, consistent=consistent)
            self.query_units_unrounded[where] += (size / READ_UNIT_BYTES) * (
                1 if consistent else 0.5
            )


def _region(url: str) -> str:
    match = re.search(r"dynamodb\.([a-z0-9-]+)\.amazonaws", url)
    return match.group(1) if match else "us-east-1"


def _stored(backend: Any, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
    item = backend.get_item(table, dict(key))
    return None if item is None else item.to_json()["Attributes"]


def _outcome(response: Any) -> tuple[int, str, dict[str, Any]]:
    """(HTTP status, error type, parsed body) of a stubbed response."""
    status, _headers, raw = response
    try:
        answer = json.loads(raw or b"{}")
    except (TypeError, ValueError):
        answer = {}
    error = str(answer.get("__type", "")).rsplit("#", 1)[-1] if status != 200 else ""
    return status, error, answer
