"""The chaos soak: dispatchers and executors in threads over emulated DynamoDB, with
crashes injected at every protocol step, duplicate SQS deliveries, DynamoDB throttling,
conditional writes applied whose response is lost, and target timeouts, on a simulated
clock. Imported by the pytest soak (small size)
and by `benchmarks/soak.py` (`make soak`, large size).

What Sundial promises (docs/guarantees.md "Guarantees and performance"), and what `SoakResult`
measures:

* **no lost fire**: every fire of every task inside its window ends with
  exactly one `succeeded` run record, whatever crashed on the way;
* **no doubled run**: the success of each execution id is recorded once
  (counted at `record_success`, not by looking at the one item that would hide a
  second write), and no run record exists for a time the schedule does not have;
* **at-least-once target calls, effectively-once runs**: SQS and the dispatcher may
  deliver an execution twice, and the executor runs the target once per execution,
  *except* when an attempt died or timed out after calling the target and before
  recording its outcome, or DynamoDB refused that outcome past the SDK's and the
  executor's retries (counted apart); then the next attempt legitimately calls it again (that is
  why targets get the execution id as an idempotency key). A second call for any
  other execution counts as a duplicate.
* **attempts numbered by what happened**: an execution's first target call is attempt 1,
  unless earlier attempts really happened (a claim whose worker then died): a write
  applied with its response lost, which the SDK sends again, is the writer's own, never
  taken for another worker's (the claim's, for one, would make the first call attempt 2).

Why an in-memory SQS stand-in: moto's SQS recomputes queue attributes over every
queued message on each call, so 10,000 fires with DelaySeconds make it quadratic.
`SimSqs` keeps what the protocol depends on: per-message visibility on the simulated
clock (DelaySeconds, VisibilityTimeout, ChangeMessageVisibility), a fresh receipt
handle per receive, ApproximateReceiveCount, deletion by receipt handle only, the
redrive to a dead-letter queue after maxReceiveCount receives, and at-least-once
delivery (a received message may be delivered again, as a separate copy).
DynamoDB is moto, in-process, with each request applied atomically.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

REGION = "us-east-1"
START = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
SHARDS = 4
HORIZON = timedelta(seconds=90)
# The template's defaults: fires are sent up to 14 minutes ahead.
LOOKAHEAD = timedelta(seconds=840)
MAX_FIRES_PER_COMMIT = 120
TICK_SECONDS = 60
# template.yaml's work queue: VisibilityTimeout 5400 and maxReceiveCount 10.
VISIBILITY_TIMEOUT_SECONDS = 5400
MAX_RECEIVE_COUNT = 10
TARGET = "soak.target"
TASK_TIMEOUT_SECONDS = 1
# Schedules whose fire times are easy to know without Sundial's parser: every N seconds.
EVERY = (2, 3, 5, 10, 15, 20, 30)
WORK_QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/sundial-work"
DEAD_LETTER_QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/sundial-dead-letters"


CRASH_POINTS = (
    "dispatcher.after_lease",  # the sweep lease is taken, no shard swept
    "dispatcher.before_release",  # every shard swept, the lease not given back
    "dispatcher.before_send",
    "dispatcher.after_send",
    "dispatcher.before_commit",
    "dispatcher.after_commit",
    "executor.after_claim",  # the run is claimed, the target not called
    "executor.after_target",  # the target ran, its outcome not recorded
)
# The conditional writes whose response the soak loses after DynamoDB applied them.
LOST_RESPONSE_WRITES = ("claim", "outcome", "commit", "lease", "overlap")
# Tasks at least this many seconds apart take the overlap marker (policy buffer_one);
# their runs, at most a lease (12 s) long, do not overlap as long as each fire is run
# when it is due. One delayed by chaos (a message brought back after errors waits 5 s,
# doubled with every receive) can arrive after the next two fires of its task took the
# running and the waiting slot: buffer_one then skips it, as the policy says. The soak
# counts such a skip as the policy's (`skipped_by_overlap`), not as a lost fire, only
# when the marker the skipped run found shows two other live executions in the slots.
OVERLAP_MARKER_EVERY = 20
# Every other task asks for `run.succeeded` notifications: their outcomes carry the mark,
# and the runs table's stream must hold one event per successful execution of them.
NOTIFIED_QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/sundial-soak-inbox"
NOTIFYING = [{"on": ["run.succeeded"], "destination": {"type": "sqs", "queue_url": NOTIFIED_QUEUE}}]


class Crash(BaseException):
    """A process dying at this point: not an Exception, so no handler in Sundial catches it."""


@dataclass
class ChaosRates:
    dispatcher_crash: float = 0.003  # per visit of an injection point
    executor_crash: float = 0.02
    duplicate_delivery: float = 0.05
    throttle: float = 0.04
    timeout: float = 0.005
    lost_response: float = 0.02  # per conditional write, on its first send


@dataclass
class SoakResult:
    fires: int
    lost: int
    duplicates: int
    crashes_injected: int
    duplicate_deliveries_injected: int
    throttles_injected: int
    crashes_by_point: dict[str, int] = field(default_factory=dict)
    timeouts_injected: int = 0
    target_calls: int = 0
    rerun_after_crash_or_timeout: int = 0
    # Executions called again because DynamoDB refused an attempt's success past every retry.
    rerun_after_unwritten_success: int = 0
    unexpected_runs: int = 0
    doubled_run_records: int = 0  # successes recorded more than once for one execution
    reruns_without_cause: int = 0  # executions called twice with no crash/timeout to explain
    lost_responses_by_write: dict[str, int] = field(default_factory=dict)
    # Executions whose first target call was not attempt 1 + the claims abandoned before it.
    misnumbered_attempts: int = 0
    redriven_to_dlq: int = 0
    # Successful executions of notifying tasks; those without a `run.succeeded` event in
    # the stream; events found more than once with different ids for one execution; and
    # stream records of tasks that asked for nothing that passed the notifier's filter.
    notifying_successes: int = 0
    notifications_missing: int = 0
    notification_ids_doubled: int = 0
    notifications_unasked: int = 0
    simulated_seconds: int = 0
    wall_seconds: float = 0.0
    # What each lost fire's run looked like (at most ten), for the failure's message.
    lost_executions: list[str] = field(default_factory=list)
    # Fires of buffer_one tasks skipped because two other executions of the task held
    # the slots, one running and one waiting, when they came (see OVERLAP_MARKER_EVERY):
    # the policy's outcome, not a loss.
    skipped_by_overlap: int = 0

    def figures(self) -> dict[str, int]:
        keys = (
            "fires",
            "lost",
            "duplicates",
            "crashes_injected",
            "duplicate_deliveries_injected",
            "throttles_injected",
            "lost_responses_injected",
            "misnumbered_attempts",
            "skipped_by_overlap",
        )
        return {k: getattr(self, k) for k in keys}

    @property
    def lost_responses_injected(self) -> int:
        return sum(self.lost_responses_by_write.values())

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "lost_responses_injected": self.lost_responses_injected}


# --- the simulated clock ------------------------------------------------------------------


class SimClock:
    """One clock (a `sundial.core.clock.Clock`) for every dispatcher and executor thread;
    only the soak's main loop moves it."""

    def __init__(self, start: datetime):
        self.ms = int(start.timestamp() * 1000)

    def utc_now(self) -> datetime:
        return datetime.fromtimestamp(self.ms / 1000, UTC)

    def now_ms(self) -> int:
        return self.ms

    def sleep(self, seconds: float) -> None:
        # The executor waits out a sub-second early arrival; time is the loop's to move.
        return None


# --- SQS --------------------------------------------------------------------------------


@dataclass
class _Message:
    message_id: str
    body: str
    visible_at: int
    sent_at: int
    attributes: dict[str, Any]
    receive_count: int = 0
    receipt: str | None = None


class SimSqs:
    """The work and dead-letter queues, with SQS's delivery semantics on a simulated clock."""

    def __init__(self, clock: SimClock, rng: random.Random, duplicate_rate: float):
        self.clock = clock
        self.rng = rng
        self.duplicate_rate = duplicate_rate
        self.lock = threading.Lock()
        self.queues: dict[str, list[_Message]] = {WORK_QUEUE: [], DEAD_LETTER_QUEUE: []}
        self.duplicates_injected = 0
        self.redriven = 0
        self.before_send: Callable[[], None] | None = None
        self.after_send: Callable[[], None] | None = None

    # The calls Sundial makes.

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        if self.before_send:
            self.before_send()
        with self.lock:
            for entry in Entries:
                self._put(QueueUrl, entry["MessageBody"], entry.get("DelaySeconds", 0), {})
        if self.after_send:
            self.after_send()
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}

    def send_message(self, QueueUrl: str, MessageBody: str, **kwargs: Any) -> dict[str, Any]:
        with self.lock:
            message = self._put(
                QueueUrl,
                MessageBody,
                kwargs.get("DelaySeconds", 0),
                kwargs.get("MessageAttributes", {}),
            )
        return {"MessageId": message.message_id}

    def change_message_visibility(
        self, QueueUrl: str, ReceiptHandle: str, VisibilityTimeout: int
    ) -> None:
        with self.lock:
            message = self._by_receipt(QueueUrl, ReceiptHandle)
            if message is None:
                raise _receipt_error()
            message.visible_at = self.clock.now_ms() + VisibilityTimeout * 1000

    # What Lambda's event source mapping does.

    def receive(self, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` visible messages as Lambda SQS records (hidden for the
        queue's visibility timeout); some are also left behind as duplicates."""
        now = self.clock.now_ms()
        records = []
        with self.lock:
            queue = self.queues[WORK_QUEUE]
            for message in list(queue):
                if len(records) >= limit:
                    break
                if message.visible_at > now:
                    continue
                if message.receive_count >= MAX_RECEIVE_COUNT:
                    # The redrive policy: poison messages go to the dead-letter queue.
                    queue.remove(message)
                    self.queues[DEAD_LETTER_QUEUE].append(message)
                    self.redriven += 1
                    continue
                if self.rng.random() < self.duplicate_rate:
                    # At-least-once: another copy of the message stays deliverable.
                    self.duplicates_injected += 1
                    queue.append(
                        _Message(
                            message.message_id,
                            message.body,
                            now + self.rng.randint(0, 3) * 1000,
                            message.sent_at,
                            message.attributes,
                            message.receive_count,
                        )
                    )
                message.receive_count += 1
                message.receipt = uuid.uuid4().hex
                message.visible_at = now + VISIBILITY_TIMEOUT_SECONDS * 1000
                records.append(self._record(message))
        return records

    def delete(self, receipt: str) -> None:
        with self.lock:
            message = self._by_receipt(WORK_QUEUE, receipt)
            if message is not None:
                self.queues[WORK_QUEUE].remove(message)

    def next_visible_ms(self) -> int | None:
        with self.lock:
            return min((m.visible_at for m in self.queues[WORK_QUEUE]), default=None)

    def depth(self) -> int:
        with self.lock:
            return len(self.queues[WORK_QUEUE])

    # Internals.

    def _put(self, url: str, body: str, delay: int, attributes: dict[str, Any]) -> _Message:
        now = self.clock.now_ms()
        message = _Message(uuid.uuid4().hex, body, now + int(delay) * 1000, now, attributes)
        self.queues[url].append(message)
        return message

    def _by_receipt(self, url: str, receipt: str) -> _Message | None:
        return next((m for m in self.queues[url] if m.receipt == receipt), None)

    @staticmethod
    def _record(message: _Message) -> dict[str, Any]:
        return {
            "messageId": message.message_id,
            "receiptHandle": message.receipt,
            "body": message.body,
            "attributes": {
                "ApproximateReceiveCount": str(message.receive_count),
                "SentTimestamp": str(message.sent_at),
            },
            "messageAttributes": {
                name: {"stringValue": value.get("StringValue"), "dataType": value["DataType"]}
                for name, value in message.attributes.items()
            },
        }


def _receipt_error() -> Exception:
    from botocore.exceptions import ClientError

    return ClientError(
        {"Error": {"Code": "ReceiptHandleIsInvalid", "Message": "stale receipt"}},
        "ChangeMessageVisibility",
    )


# --- chaos ------------------------------------------------------------------------------


class Chaos:
    """Decides, thread-safely and reproducibly, where to inject faults; counts them."""

    def __init__(self, rates: ChaosRates, seed: int):
        self.rates = rates
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.crashes: Counter[str] = Counter()
        self.throttles = 0
        self.timeouts = 0
        # Execution ids whose attempt called the target and then died or timed out:
        # the only ones the target may legitimately see more than once.
        self.reran: set[str] = set()
        self.crashes_per_id: Counter[str] = Counter()
        # Claims whose worker died before calling the target: each is a real attempt.
        self.abandoned_claims: Counter[str] = Counter()
        # Executions the overlap policy skipped: (now_ms, the marker) their last failed
        # take of the running slot found, or None.
        self.skips: dict[str, Any] = {}
        # The first visit of every crash point crashes, so even a small soak covers all.
        self.unvisited = set(CRASH_POINTS)
        self.lost_responses: Counter[str] = Counter()
        self.unlost = set(LOST_RESPONSE_WRITES)  # likewise: each write's first one is lost
        # (execution id, attempt) whose success could not be written at all: DynamoDB
        # kept throttling past the SDK's and the executor's retries. Like a crash after
        # the target, it lets the next attempt call the target again.
        self.unwritten: set[tuple[str, int]] = set()

    def legitimate_reruns(self) -> set[str]:
        """Execution ids whose target may be called more than once, and why is known."""
        return self.reran | {execution_id for execution_id, _ in self.unwritten}

    def roll(self, rate: float) -> bool:
        with self.lock:
            return self.rng.random() < rate

    def crash(self, point: str, execution_id: str | None = None) -> None:
        rate = self.rates.dispatcher_crash if execution_id is None else self.rates.executor_crash
        with self.lock:
            # At most two crashes per execution, so its retry budget (5) is never the
            # thing that ends it: the soak measures the protocol, not the budget.
            if execution_id is not None and self.crashes_per_id[execution_id] >= 2:
                return
            if point in self.unvisited:
                self.unvisited.discard(point)
            elif self.rng.random() >= rate:
                return
            self.crashes[point] += 1
            if execution_id is not None:
                self.crashes_per_id[execution_id] += 1
                if point == "executor.after_target":
                    self.reran.add(execution_id)
                if point == "executor.after_claim":
                    self.abandoned_claims[execution_id] += 1
        raise Crash(point)

    def lose_response(self, write: str) -> bool:
        """Whether this conditional write, just applied, loses its response."""
        with self.lock:
            if write in self.unlost:
                self.unlost.discard(write)
            elif self.rng.random() >= self.rates.lost_response:
                return False
            self.lost_responses[write] += 1
        return True

    def throttle(self) -> bool:
        with self.lock:
            if self.rng.random() < self.rates.throttle:
                self.throttles += 1
                return True
        return False


class Target:
    """The `handler` target every soak task calls: records each call's execution id."""

    def __init__(self, chaos: Chaos):
        self.chaos = chaos
        self.calls: Counter[str] = Counter()
        # Executions whose first call was not attempt 1 + the claims abandoned before it.
        self.misnumbered: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, payload: Any, invocation: Any) -> dict[str, Any]:
        execution_id = invocation.execution_id
        with self.lock:
            self.calls[execution_id] += 1
            if self.calls[execution_id] == 1:
                with self.chaos.lock:
                    earlier = self.chaos.abandoned_claims[execution_id]
                if invocation.attempt != 1 + earlier:
                    self.misnumbered.add(execution_id)
        if invocation.attempt == 1 and self.chaos.roll(self.chaos.rates.timeout):
            with self.chaos.lock:
                self.chaos.timeouts += 1
                self.chaos.reran.add(execution_id)
            # Real seconds: the handler runs in a thread the executor stops waiting for.
            time.sleep(TASK_TIMEOUT_SECONDS + 0.3)
        return {"ok": True}


# --- the environment --------------------------------------------------------------------


@contextlib.contextmanager
def emulated_aws() -> Iterator[None]:
    """Fake credentials, moto in-process, each request applied atomically (as DynamoDB
    applies each conditional write), the store bound to the template's tables."""
    from sundial_local.template import create_tables

    from sundial import clients
    from sundial.settings import reset_settings
    from sundial.store import bind_tables, unbind_tables

    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "SHARD_COUNT": str(SHARDS),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "CRITICAL",
        "WORK_QUEUE_URL": WORK_QUEUE,
        "DEAD_LETTER_QUEUE_URL": DEAD_LETTER_QUEUE,
    }
    saved = {k: os.environ.get(k) for k in [*env, "AWS_PROFILE", "AWS_ENDPOINT_URL"]}
    os.environ.update(env)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    lock = threading.Lock()
    process = BotocoreStubber.process_request

    def locked(self: BotocoreStubber, request: Any) -> Any:
        with lock:
            return process(self, request)

    BotocoreStubber.process_request = locked  # type: ignore[method-assign]
    reset_settings()
    clients.reset_clients()
    try:
        with mock_aws():
            names = create_tables(boto3.client("dynamodb", region_name=REGION))
            bind_tables(names["TasksTable"], names["RunsTable"], region=REGION)
            try:
                yield
            finally:
                unbind_tables()
    finally:
        BotocoreStubber.process_request = process  # type: ignore[method-assign]
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings()
        clients.reset_clients()


@contextlib.contextmanager
def patched(owner: Any, name: str, replacement: Any) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, replacement)
    try:
        yield
    finally:
        setattr(owner, name, original)


def conditional_write(request: Any) -> str | None:
    """Which of LOST_RESPONSE_WRITES a DynamoDB request is (None: not a conditional write).

    Told by what the request writes: the claim alone sets `started_at` (every later write
    of the run names `claim_token` too, in its condition), the dispatch commit alone
    `commit_token`; the overlap marker's attributes and the sweep lease's
    key are their own; every other conditional write of the soak is a run's outcome.
    """
    target = request.headers.get("X-Amz-Target", b"")
    operation = (target.decode() if isinstance(target, bytes) else target).rpartition(".")[2]
    body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
    if operation not in CONDITIONAL_OPERATIONS or "ConditionExpression" not in body:
        return None
    from sundial.store.models import SWEEP_LEASE_KEY

    marks = (*WRITE_MARKS, ("lease", SWEEP_LEASE_KEY))
    return next((write for write, mark in marks if mark in body), "outcome")


CONDITIONAL_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems")
WRITE_MARKS = (
    ("claim", '"started_at"'),
    ("commit", '"commit_token"'),
    ("overlap", '"running_execution"'),
    ("overlap", '"waiting_execution"'),
)


def first_send(request: Any) -> bool:
    """Whether the SDK sends `request` for the first time (not one of its retries)."""
    header = request.headers.get("amz-sdk-request", b"")  # "attempt=1; max=6", or "attempt=1"
    text = header.decode() if isinstance(header, bytes) else header
    return text.partition(";")[0].strip() == "attempt=1"


@contextlib.contextmanager
def injected_faults(chaos: Chaos, sqs: SimSqs, successes: Counter[str]) -> Iterator[None]:
    """Crash points on the protocol steps; throttling and lost responses inside emulated
    DynamoDB."""
    from botocore.exceptions import ReadTimeoutError
    from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException
    from moto.dynamodb.models import DynamoDBBackend

    from sundial import store

    real_commit = store.commit_dispatch
    real_claim = store.claim_run
    real_success = store.record_success
    real_acquire = store.acquire_sweep_lease
    real_release = store.release_sweep_lease

    def acquire_sweep_lease(*args: Any, **kwargs: Any) -> Any:
        taken = real_acquire(*args, **kwargs)
        if taken:
            chaos.crash("dispatcher.after_lease")
        return taken

    def release_sweep_lease(*args: Any, **kwargs: Any) -> Any:
        chaos.crash("dispatcher.before_release")
        return real_release(*args, **kwargs)

    def commit_dispatch(*args: Any, **kwargs: Any) -> Any:
        chaos.crash("dispatcher.before_commit")
        won = real_commit(*args, **kwargs)
        chaos.crash("dispatcher.after_commit")
        return won

    def claim_run(*args: Any, **kwargs: Any) -> Any:
        run = real_claim(*args, **kwargs)
        chaos.crash("executor.after_claim", kwargs["execution_id"])
        return run

    def record_success(task_id: str, fire_key: str, attempt: int, **kwargs: Any) -> Any:
        # Scheduled fire keys are the zero-padded fire time (store/keys.py).
        execution_id = f"{task_id}:{int(fire_key)}"
        chaos.crash("executor.after_target", execution_id)
        try:
            run = real_success(task_id, fire_key, attempt, **kwargs)
        except store.StaleAttempt:
            raise
        except Exception:
            with chaos.lock:
                chaos.unwritten.add((execution_id, attempt))
            raise
        with chaos.lock:
            successes[execution_id] += 1
            chaos.unwritten.discard((execution_id, attempt))  # a later try wrote it
        return run

    from sundial.execute import overlap

    real_enter, real_take = overlap.enter, overlap.slots.take_running_slot
    last_seen: dict[str, Any] = {}

    def take_running_slot(task_id: str, execution_id: str, **kwargs: Any) -> Any:
        try:
            return real_take(task_id, execution_id, **kwargs)
        except overlap.slots.SlotTaken as taken:
            last_seen[execution_id] = (kwargs["now_ms"], taken.slots)
            raise

    def enter(policy: str, **kwargs: Any) -> Any:
        gate = real_enter(policy, **kwargs)
        if gate.skip:  # what it found tells the policy's skip from a lost fire (_verify)
            with chaos.lock:
                chaos.skips[kwargs["execution_id"]] = last_seen.get(kwargs["execution_id"])
        return gate

    sqs.before_send = lambda: chaos.crash("dispatcher.before_send")
    sqs.after_send = lambda: chaos.crash("dispatcher.after_send")

    def throttled(real: Callable[..., Any]) -> Callable[..., Any]:
        def operation(backend: Any, *args: Any, **kwargs: Any) -> Any:
            if chaos.throttle():
                raise DynamodbException(
                    ERROR_TYPE_PREFIX + "ProvisionedThroughputExceededException", "slow down"
                )
            return real(backend, *args, **kwargs)

        return operation

    process = BotocoreStubber.process_request

    def applied_then_lost(self: BotocoreStubber, request: Any) -> Any:
        # DynamoDB applied the write; the network lost its answer. The SDK sends the
        # same request again (its retry is never lost), whose condition meets the write.
        response = process(self, request)
        write = conditional_write(request)
        if write is not None and first_send(request) and chaos.lose_response(write):
            raise ReadTimeoutError(endpoint_url=request.url)
        return response

    import types

    import botocore.endpoint

    with contextlib.ExitStack() as stack:
        stack.enter_context(patched(BotocoreStubber, "process_request", applied_then_lost))
        stack.enter_context(patched(store, "acquire_sweep_lease", acquire_sweep_lease))
        stack.enter_context(patched(store, "release_sweep_lease", release_sweep_lease))
        stack.enter_context(patched(store, "commit_dispatch", commit_dispatch))
        stack.enter_context(patched(store, "claim_run", claim_run))
        stack.enter_context(patched(store, "record_success", record_success))
        stack.enter_context(patched(overlap, "enter", enter))
        stack.enter_context(patched(overlap.slots, "take_running_slot", take_running_slot))
        for operation in ("update_item", "get_item", "query"):
            real = getattr(DynamoDBBackend, operation)
            stack.enter_context(patched(DynamoDBBackend, operation, throttled(real)))
        # The SDK's retry backoff is real time; the soak counts retries, not waits.
        stack.enter_context(
            patched(botocore.endpoint, "time", types.SimpleNamespace(sleep=lambda s: None))
        )
        yield


# --- the soak -----------------------------------------------------------------------------


def seed_tasks(fires_wanted: int, clock: SimClock, rng: random.Random) -> dict[str, list[int]]:
    """Store tasks whose fires in the soak's window add up to about `fires_wanted`;
    returns each task's expected fire times (epoch ms)."""
    from sundial import store
    from sundial.store import TaskItem

    window_s = max(120, min(900, fires_wanted // 10))
    start_ms = clock.now_ms()
    # end_at between two seconds, so no fire sits on the window's edge.
    end_ms = start_ms + window_s * 1000 + 500
    expected: dict[str, list[int]] = {}
    total = 0
    stamp = start_ms - 86_400_000
    with TaskItem.batch_write() as batch:
        for n in itertools.count():
            if total >= fires_wanted:
                break
            every = EVERY[n % len(EVERY)]
            overlap = "buffer_one" if every >= OVERLAP_MARKER_EVERY else "allow"
            times = list(range(start_ms + every * 1000, end_ms, every * 1000))
            task_id = store.new_ulid()
            item = TaskItem(
                task_id=task_id,
                tenant=f"tenant-{n % 3}",
                schedule=f"*/{every} * * * * *",
                timezone="UTC",
                description="",
                target={"type": "handler", "name": TARGET},
                payload={"n": n},
                retry={"max_attempts": 5, "backoff_seconds": 1, "max_backoff_seconds": 10},
                timeout_seconds=TASK_TIMEOUT_SECONDS,
                overlap=overlap,
                misfire={"policy": "fire_all", "grace_seconds": 3600},
                jitter_seconds=0,
                tags={},
                end_at=end_ms,
                notifications=NOTIFYING if n % 2 == 0 else None,
            )
            item.state = "active"
            item.version = item.schedule_version = 1
            item.created_at = item.updated_at = stamp
            item.schedule_state = store.new_schedule_state(item, times[0])
            item.schedule_state.due_shard = store.shard_for(task_id, SHARDS)
            batch.save(item)
            batch.save(item.schedule_state)
            expected[task_id] = times
            total += len(times)
    return expected


def run_soak(
    fires_wanted: int,
    *,
    seed: int = 7,
    rates: ChaosRates | None = None,
    dispatchers: int = 3,
    executors: int = 6,
) -> SoakResult:
    """Run the soak and check it; the figures, and what was injected."""
    rates = rates or ChaosRates()
    began = time.monotonic()
    with emulated_aws():
        from sundial.targets.handler import task, unregister

        clock = SimClock(START)
        chaos = Chaos(rates, seed)
        sqs = SimSqs(clock, random.Random(seed + 1), rates.duplicate_delivery)
        expected = seed_tasks(fires_wanted, clock, random.Random(seed + 2))
        target = Target(chaos)
        task(TARGET)(target)
        successes: Counter[str] = Counter()
        try:
            with injected_faults(chaos, sqs, successes):
                simulated_ms = _drive(clock, sqs, expected, dispatchers, executors)
            result = _verify(expected, chaos, sqs, target, successes)
        finally:
            unregister(TARGET)
    result.simulated_seconds = simulated_ms // 1000
    result.wall_seconds = round(time.monotonic() - began, 1)
    return result


def _drive(
    clock: SimClock, sqs: SimSqs, expected: dict[str, list[int]], dispatchers: int, executors: int
) -> int:
    """Tick the dispatchers every simulated minute and let the executors drain whatever
    is visible, moving the clock from event to event until every task completed and the
    work queue is empty."""
    from sundial.dispatch.sweep import Dispatcher
    from sundial.execute.run import Executor
    from sundial.targets import NetworkPolicy, TargetEnvironment
    from sundial.targets.aws import aws_client
    from sundial.workqueue.delivery import WorkQueue

    start = clock.now_ms()
    last_fire = max(max(times) for times in expected.values())
    # Two crashes per execution hide its message for the queue's visibility timeout
    # each time; the soak gives every execution time for that and then some.
    give_up = last_fire + 3 * VISIBILITY_TIMEOUT_SECONDS * 1000
    queue = WorkQueue(sqs, WORK_QUEUE, DEAD_LETTER_QUEUE, requeue_after_receives=5)
    executor = Executor(
        queue,
        TargetEnvironment(aws=aws_client, network=NetworkPolicy()),
        clock=clock,
        random_source=lambda: 0.5,
    )
    next_tick = start
    while clock.now_ms() <= give_up:
        threads: list[threading.Thread] = []
        if clock.now_ms() >= next_tick:
            next_tick += TICK_SECONDS * 1000
            for n in range(dispatchers):
                # The last dispatcher sweeps without the sweep lease: two sweeps working
                # the same shard at once, the race the lease only makes rarer.
                sweeper = Dispatcher(
                    sqs=sqs,
                    queue_url=WORK_QUEUE,
                    horizon=HORIZON,
                    lookahead=LOOKAHEAD,
                    max_fires_per_commit=MAX_FIRES_PER_COMMIT,
                    shard_count=SHARDS,
                    owner=f"sweep-{n}",
                    clock=clock,
                    page_size=25,
                    threads=SHARDS,
                    use_leases=n < dispatchers - 1,
                    # Timed sends regroup and reorder each page's sends around the
                    # crashes; this clock's sleeps return at once.
                    send_lead_ms=100,
                )
                threads.append(threading.Thread(target=_sweep, args=(sweeper,)))
        threads += [
            threading.Thread(target=_execute, args=(sqs, executor)) for _ in range(executors)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if clock.now_ms() > last_fire and sqs.depth() == 0 and _all_completed(expected):
            break
        visible = sqs.next_visible_ms()
        upcoming = next_tick if visible is None else min(next_tick, visible)
        clock.ms = max(clock.now_ms() + 1000, upcoming)
    return clock.now_ms() - start


def _sweep(sweeper: Any) -> None:
    with contextlib.suppress(Crash):
        sweeper.sweep()


def _execute(sqs: SimSqs, executor: Any) -> None:
    """One Lambda poller: batches of up to ten until nothing is visible."""
    from sundial.workqueue.delivery import Delivery

    while records := sqs.receive(10):
        deadline = time.monotonic() + 900
        deliveries = [Delivery.from_record(record) for record in records]
        current = executor.admit(deliveries)  # as the batch handler reads its tasks
        for record, delivery in zip(records, deliveries, strict=True):
            try:
                processed = executor.process(delivery, deadline, current)
            except Crash:
                continue  # the invocation died: the message comes back after its visibility
            if processed.acknowledge:
                sqs.delete(record["receiptHandle"])


def _all_completed(expected: dict[str, list[int]]) -> bool:
    from sundial.store import ScheduleItem
    from sundial.store.models import SCHEDULE_STATE_PREFIX

    states = ScheduleItem.scan(ScheduleItem.key.startswith(SCHEDULE_STATE_PREFIX))
    return all(state.due_at is None for state in states if state.task_id in expected)


def _verify(
    expected: dict[str, list[int]],
    chaos: Chaos,
    sqs: SimSqs,
    target: Target,
    successes: Counter[str],
) -> SoakResult:
    from sundial.store import RunItem

    wanted = {f"{task_id}:{at}" for task_id, times in expected.items() for at in times}
    statuses: dict[str, str] = {}
    attempts: dict[str, int] = {}
    for run in RunItem.scan():
        statuses[str(run.execution_id)] = str(run.status)
        attempts[str(run.execution_id)] = int(run.attempt or 0)
    skipped_by_overlap = {
        e for e in wanted if statuses.get(e) == "skipped" and _buffer_was_full(e, chaos.skips)
    }
    lost = {
        e
        for e in wanted - skipped_by_overlap
        if statuses.get(e) != "succeeded" or successes[e] == 0 or target.calls[e] == 0
    }
    lost_executions = [
        f"{e}: run {statuses.get(e, 'absent')} at attempt {attempts.get(e, 0)}, "
        f"{successes[e]} successful outcome writes, {target.calls[e]} target calls, "
        f"{chaos.abandoned_claims[e]} claims abandoned, "
        f"{'a' if e in chaos.reran else 'no'} crash or timeout after its target call"
        + (f"; skipped, the marker at {chaos.skips[e]}" if e in chaos.skips else "")
        for e in sorted(lost)[:10]
    ]
    doubled_records = {e for e, count in successes.items() if count > 1}
    legitimate = chaos.legitimate_reruns()
    doubled_calls = {e for e, count in target.calls.items() if count > 1 and e not in legitimate}
    unexpected = set(statuses) - wanted
    by_point = defaultdict(int, chaos.crashes)
    notified = _notifications(expected, statuses)
    return SoakResult(
        fires=len(wanted),
        lost=len(lost),
        duplicates=len(doubled_records | doubled_calls),
        crashes_injected=sum(chaos.crashes.values()),
        duplicate_deliveries_injected=sqs.duplicates_injected,
        throttles_injected=chaos.throttles,
        crashes_by_point=dict(sorted(by_point.items())),
        timeouts_injected=chaos.timeouts,
        target_calls=sum(target.calls.values()),
        rerun_after_crash_or_timeout=sum(1 for e in chaos.reran if target.calls[e] > 1),
        rerun_after_unwritten_success=sum(
            1 for e in legitimate - chaos.reran if target.calls[e] > 1
        ),
        unexpected_runs=len(unexpected),
        doubled_run_records=len(doubled_records),
        reruns_without_cause=len(doubled_calls),
        redriven_to_dlq=sqs.redriven,
        lost_responses_by_write=dict(sorted(chaos.lost_responses.items())),
        misnumbered_attempts=len(target.misnumbered),
        lost_executions=lost_executions,
        skipped_by_overlap=len(skipped_by_overlap),
        **notified,
    )


def _buffer_was_full(execution_id: str, skips: dict[str, Any]) -> bool:
    """Whether buffer_one skipped `execution_id` as its policy says: the marker its run
    found held two other executions, one running and one waiting, both still live."""
    found = skips.get(execution_id)
    if found is None:
        return False
    now_ms, slots = found
    return bool(
        slots.running_held(now_ms, by_other_than=execution_id)
        and slots.waiting_held(now_ms, by_other_than=execution_id)
    )


def _notifications(expected: dict[str, list[int]], statuses: dict[str, str]) -> dict[str, int]:
    """The `run.succeeded` events the runs table's stream holds, through the notifier's
    filter and its reading of images, against the successful executions of the tasks that
    asked for them."""
    from stream_records import marked_outcomes

    from sundial import store
    from sundial.notify.events import events_of

    asking = {
        task_id
        for task_id in expected
        if store.get_definition(task_id, at_least_version=0).notifications
    }
    ids: dict[str, set[str]] = defaultdict(set)
    unasked = 0
    for record in marked_outcomes():
        for event in events_of(record):
            assert event.run is not None
            if event.task_id not in asking:
                unasked += 1
            ids[str(event.run.execution_id)].add(event.event_id)
    succeeded = {
        e for e, status in statuses.items() if status == "succeeded" and e.split(":")[0] in asking
    }
    return {
        "notifying_successes": len(succeeded),
        "notifications_missing": len(succeeded - set(ids)),
        "notification_ids_doubled": sum(1 for found in ids.values() if len(found) > 1),
        "notifications_unasked": unasked,
    }
