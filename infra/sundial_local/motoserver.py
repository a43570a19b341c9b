"""The emulator's server process: moto's HTTP server for DynamoDB and SQS, patched where
moto departs from the services in ways a scheduler notices.

`python -m sundial_local.motoserver` binds a loopback port, prints it, and serves until
terminated or until the process that started it is gone. It runs apart from the stack
so that moto's request handling (most of the local stack's CPU) runs on another core
beside the functions instead of taking turns with them for one interpreter lock.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import gc
import io
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from moto.core.utils import unix_time_millis
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.sqs.models import Message, Queue, SQSBackend
from werkzeug.serving import make_server
from werkzeug.test import Client

from sundial_local.durable import Durability

# The first line the server prints: "listening on <port>".
READY_PREFIX = "listening on "
# How often the server checks that the process that started it is still alive (and,
# with a state file, whether its journal is due to be folded into the snapshot).
PARENT_CHECK_SECONDS = 1.0
# With a state file: the stack asks for the saved state once it has made the template's
# tables and queues (POST, answered with what was restored).
RESTORE_PATH = "/_sundial/restore"
# Requests the emulator works on at once. Its handlers are Python under one interpreter
# lock: more at once only slows each (and so every client waiting on one) without serving
# more; the rest wait their turn in line. Long polls do not count: they mostly wait.
EMULATOR_CONCURRENCY = 4
LONG_POLL_TARGET = "AmazonSQS.ReceiveMessage"
# The DynamoDB writes a state file journals (the stack uses no other).
JOURNALED_DYNAMODB_ACTIONS = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)


class TableLocks:
    """One lock per DynamoDB table, taken in name order by a request on several."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    @contextlib.contextmanager
    def holding(self, tables: set[str]) -> Iterator[None]:
        with self._guard:
            locks = [self._locks.setdefault(name, threading.Lock()) for name in sorted(tables)]
        with contextlib.ExitStack() as stack:
            for lock in locks:
                stack.enter_context(lock)
            yield

    @contextlib.contextmanager
    def holding_all(self) -> Iterator[None]:
        # Holding the guard keeps requests on tables without a lock yet from starting.
        with self._guard, contextlib.ExitStack() as stack:
            for name in sorted(self._locks):
                stack.enter_context(self._locks[name])
            yield


# What `tables_of` answers for a request without a table name (ListTables, ...) or that
# cannot be read: it waits for every table.
ALL_TABLES = "*"


def tables_of(body: bytes) -> set[str]:
    """The tables a DynamoDB request touches, from its JSON body."""
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return {ALL_TABLES}
    if not isinstance(request, dict):
        return {ALL_TABLES}
    names: set[str] = set()
    if isinstance(request.get("TableName"), str):
        names.add(request["TableName"])
    if isinstance(request.get("RequestItems"), dict):  # BatchGetItem, BatchWriteItem
        names.update(request["RequestItems"])
    for item in request.get("TransactItems") or []:  # TransactWriteItems, TransactGetItems
        for operation in item.values() if isinstance(item, dict) else []:
            if isinstance(operation, dict) and isinstance(operation.get("TableName"), str):
                names.add(operation["TableName"])
    return names or {ALL_TABLES}


def _serialize_dynamodb_requests(durability: Durability | None) -> None:
    """Apply each DynamoDB request atomically, as DynamoDB applies each write.

    moto checks a write's condition and then writes without a lock, so two requests on
    the same item from two threads (a claim and a release, a commit and an API update)
    could interleave and leave a half-written item that DynamoDB never would. Requests
    are serialized per table (tables are independent in DynamoDB, and the executor's
    run writes need not wait for a sweep's task writes); a request without a table, or
    that cannot be read, waits for every table. Only DynamoDB is serialized: SQS long
    polls would otherwise hold a lock for seconds.

    With a state file, a successful write is journaled while its tables are still
    locked (so the journal holds each table's writes in the order they were applied),
    and no response leaves before the journal is on disk up to it.
    """
    original = DomainDispatcherApplication.__call__
    locks = TableLocks()
    working = threading.BoundedSemaphore(EMULATOR_CONCURRENCY)

    def dynamodb(
        self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any
    ) -> Any:
        target = environ["HTTP_X_AMZ_TARGET"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        tables = tables_of(body)
        journaled = (
            durability is not None and target.partition(".")[2] in JOURNALED_DYNAMODB_ACTIONS
        )
        statuses: list[str] = []

        def started(status: str, headers: Any, *args: Any) -> Any:
            statuses.append(status)
            return start_response(status, headers, *args)

        with locks.holding_all() if ALL_TABLES in tables else locks.holding(tables):
            response = original(self, environ, started if journaled else start_response)
            if journaled and statuses and statuses[0].startswith("200"):
                assert durability is not None
                durability.record_dynamodb(target, environ.get("HTTP_AUTHORIZATION", ""), body)
        return response

    def call(
        self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any
    ) -> Any:
        if durability is not None and environ.get("PATH_INFO") == RESTORE_PATH:
            return _restore(self, durability, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        with contextlib.ExitStack() as held:
            # In this order only (the table locks inside), so no two requests wait on
            # each other.
            if durability is not None:
                held.enter_context(durability.lock.shared())
            if target != LONG_POLL_TARGET:
                held.enter_context(working)
            if target.startswith("DynamoDB_"):
                response = dynamodb(self, environ, start_response)
            else:
                response = original(self, environ, start_response)
            if durability is not None:
                durability.sync()  # reads too: what a client saw is never undone
        return response

    DomainDispatcherApplication.__call__ = call  # type: ignore[method-assign]


def _restore(app: DomainDispatcherApplication, durability: Durability, start_response: Any) -> Any:
    client = Client(app)

    def replay(target: str, authorization: str, body: bytes) -> None:
        headers = {
            "X-Amz-Target": target,
            "Authorization": authorization,
            "Content-Type": "application/x-amz-json-1.0",
        }
        answer = client.post("/", data=body, headers=headers)
        if answer.status_code != 200:  # applied once, it applies again on the same state
            raise RuntimeError(f"replaying {target} failed: {answer.get_data(as_text=True)}")

    try:
        restored: dict[str, Any] = durability.restore(replay)
    except Exception as exc:  # the stack shows it and does not start
        start_response("500 Internal Server Error", [("Content-Type", "application/json")])
        return [json.dumps({"error": str(exc)}).encode()]
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(restored).encode()]


def _journal_queued_messages(durability: Durability) -> None:
    """Journal every change to a queued message, as the message's state after it."""
    add_message, delete_message = Queue.add_message, Queue.delete_message
    mark_received, change_visibility = Message.mark_received, Message.change_visibility

    def added(self: Queue, message: Message) -> None:
        add_message(self, message)
        durability.record_message(self, message)  # sent, or moved to the dead-letter queue

    def deleted(self: Queue, receipt_handle: str) -> None:
        gone = [m.id for m in self._messages if m.had_receipt_handle(receipt_handle)]
        delete_message(self, receipt_handle)
        durability.record_deleted(gone)

    def received(self: Message, visibility_timeout: int | None = None) -> None:
        mark_received(self, visibility_timeout)
        durability.record_changed(self, received=True)

    def made_visible(self: Message, visibility_timeout: int) -> None:
        change_visibility(self, visibility_timeout)
        durability.record_changed(self, received=False)

    Queue.add_message = added  # type: ignore[method-assign]
    Queue.delete_message = deleted  # type: ignore[method-assign]
    Message.mark_received = received  # type: ignore[method-assign]
    Message.change_visibility = made_visible  # type: ignore[method-assign]


def _until_next_visible_seconds(queue: Queue) -> float | None:
    """Seconds until the queue next has a visible message: 0 when it has one now, None
    when it holds none at all. One pass with one clock read: moto's `Queue.messages`
    reads the clock twice per message, and a local queue holds the horizon's fires."""
    if not queue._messages:
        return None
    now_ms = time.time() * 1000
    # moto shows a message once the clock is past both times: a millisecond after.
    first = min(max(m.delayed_until, m.visible_at) for m in queue._messages) + 1
    return max(0.0, (first - now_ms) / 1000)


def _long_poll_until_visible(queue: Queue, timeout: float) -> None:
    """Queue.wait_for_messages that also wakes when a delayed message becomes visible.

    moto's long poll sleeps on a condition that only a new message notifies, so a
    delayed message (the dispatcher sends every fire with DelaySeconds) reaches a
    waiting receiver up to a second after SQS would have delivered it. Here the wait
    ends when the next message is due to become visible, as SQS long polling does.
    """
    deadline = time.monotonic() + timeout
    with queue._messages_lock:
        while (next_visible := _until_next_visible_seconds(queue)) != 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            queue._messages_lock.wait(
                remaining if next_visible is None else min(remaining, next_visible)
            )


def _retained(backend: SQSBackend, queue_name: str, message: Message) -> bool:
    """moto's retention check, without building every queue attribute (each of which
    counts the queue's messages) for every message a receive returns."""
    # moto sets queue attributes by their snake_case names.
    queue: Any = backend.get_queue(queue_name)
    retention = int(queue.message_retention_period)
    return retention + (message.sent_timestamp or 0) / 1000 > time.time()


def _deliver_delayed_messages_on_time() -> None:
    Queue.wait_for_messages = _long_poll_until_visible  # type: ignore[method-assign,assignment]
    SQSBackend.is_message_valid_based_on_retention_period = _retained  # type: ignore[method-assign,assignment]


# moto reads the clock twice per queued message for each of the queue's counts and for
# its list of visible messages; a send computes all the counts (moto builds every queue
# attribute to read one), a receive the list. A local queue holds the horizon's fires,
# so at 30 fires/s that was a fifth of the emulator's CPU. These read it once a pass,
# with moto's own clock and comparisons.
def _visible_messages(queue: Queue) -> list[Message]:
    now = unix_time_millis()
    return [m for m in queue._messages if now > m.visible_at and not now < m.delayed_until]


def _delayed_count(queue: Queue) -> int:
    now = unix_time_millis()
    return sum(1 for m in queue._messages if now < m.delayed_until)


def _not_visible_count(queue: Queue) -> int:
    now = unix_time_millis()
    return sum(1 for m in queue._messages if not now > m.visible_at)


def _count_messages_in_one_clock_read() -> None:
    Queue.messages = property(_visible_messages)  # type: ignore[method-assign,assignment]
    Queue.approximate_number_of_messages_delayed = property(_delayed_count)  # type: ignore[method-assign,assignment]
    Queue.approximate_number_of_messages_not_visible = property(_not_visible_count)  # type: ignore[method-assign,assignment]


class _TablesKeptInPlace:
    """The `copy` module as moto's DynamoDB backend sees it: a table is not copied."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, Table):
            return value  # its transaction backs up its own items instead
        return copy.deepcopy(value, memo)


def _roll_back_transactions_by_their_items() -> None:
    """A cancelled TransactWriteItems puts back the items it wrote, not whole tables.

    moto backs up every table a transaction names, whole, before applying it: a deep
    copy of all its items and of its stream's whole history. That copy grows with the
    table and with every write since the stack started, so every transaction (a task's
    create and completion, a calendar reference, a dead letter) got slower the longer
    the stack ran, and took the fires of that second with it. Here a transaction backs
    up the items it names and the length of each stream; when moto cancels it, those
    items are put back and the stream records it added are dropped, which is the state
    moto's copy restored.
    """
    from moto.dynamodb import models as backend_module

    backend_module.copy = _TablesKeptInPlace  # type: ignore[assignment]
    DynamoDBBackend.transact_write_items = backed_up_by_their_items(  # type: ignore[method-assign]
        DynamoDBBackend.transact_write_items
    )


def backed_up_by_their_items(transact_write_items: Callable[..., None]) -> Callable[..., None]:
    """moto's TransactWriteItems, putting back the items it names when it is cancelled."""

    def backed_up(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        backup = _TransactionBackup.of(self, transact_items)
        try:
            transact_write_items(self, transact_items)
        except Exception:
            backup.put_back()
            raise

    return backed_up


@dataclass
class _TransactionBackup:
    """The items a transaction names as they were, and the length of each stream."""

    items: list[tuple[Table, Any, Any, Item | None]]  # table, hash, range, item copy
    stream_lengths: dict[str, tuple[Table, int]]

    @classmethod
    def of(cls, backend: DynamoDBBackend, transact_items: list[Any]) -> _TransactionBackup:
        backup = cls([], {})
        for entry in transact_items:
            for operation in entry.values() if isinstance(entry, dict) else []:
                try:
                    backup._add(backend, operation)
                except Exception:
                    continue  # an operation moto refuses: it writes nothing
        return backup

    def _add(self, backend: DynamoDBBackend, operation: dict[str, Any]) -> None:
        table = backend.tables[operation["TableName"]]
        if "Item" in operation:  # a Put names its item by its key attributes
            attrs = operation["Item"]
            key = {table.hash_key_attr: attrs[table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = attrs[table.range_key_attr]
        else:
            key = operation["Key"]
        hash_value, range_value = backend.get_keys_value(table, key)
        current = table.get_item(hash_value, range_value)
        self.items.append(
            (table, hash_value, range_value, None if current is None else copy.deepcopy(current))
        )
        if table.stream_shard is not None:
            self.stream_lengths.setdefault(table.name, (table, len(table.stream_shard.items)))

    def put_back(self) -> None:
        for table, hash_value, range_value, item in reversed(self.items):
            if item is None:
                table.delete_item(hash_value, range_value)
            elif range_value:
                table.items[hash_value][range_value] = item
            else:
                table.items[hash_value] = item
        for table, length in self.stream_lengths.values():
            if table.stream_shard is not None:
                del table.stream_shard.items[length:]


def _list_moto_modules_once() -> None:
    """moto's server finds which backend serves a request by listing its own package
    directory (a directory read and a stat per module, 150 of them) on every request,
    under a lock all requests share. The installed modules do not change while it runs."""
    from moto import backends

    backends.list_of_moto_modules = functools.cache(
        lambda listed=backends.list_of_moto_modules: tuple(listed())
    )


def apply_patches(durability: Durability | None = None) -> None:
    _serialize_dynamodb_requests(durability)
    _list_moto_modules_once()
    _roll_back_transactions_by_their_items()
    _deliver_delayed_messages_on_time()
    _count_messages_in_one_clock_read()
    if durability is not None:
        _journal_queued_messages(durability)


def serve(host: str, port: int, parent_pid: int | None, state_file: str | None = None) -> None:
    # Ctrl-C reaches the whole process group: the stack stops first, letting its runs
    # finish against this server, and then terminates it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    durability = Durability(state_file) if state_file else None
    apply_patches(durability)
    # moto's HTTP server logs every request at INFO; the stack has its own logging.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    # moto and its dependencies live as long as the server: a full collection need not
    # walk them, only the tables' and queues' contents.
    gc.freeze()
    threading.Thread(target=server.serve_forever, name="moto", daemon=True).start()
    print(f"{READY_PREFIX}{server.server_address[1]}", flush=True)
    # An orphaned server (its stack killed without a chance to stop it) ends itself.
    while parent_pid is None or os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK_SECONDS)
        if durability is not None and durability.active:
            durability.compact_if_large()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sundial_local.motoserver")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--parent-pid", type=int, default=None)
    parser.add_argument("--state-file", default=None)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        serve(args.host, args.port, args.parent_pid, args.state_file)
    sys.exit(0)


if __name__ == "__main__":
    main()
