"""Counted (never timed) benchmarks over in-process moto: read amplification of sweeps,
requests per fire, and the CPU the dispatcher and the executor spend per fire, AWS's
own work left out.

Requests are counted where every emulated call passes (moto's BotocoreStubber), by the
operation named in the request, so no client can slip past the count; the same hook
meters the DynamoDB capacity each request consumes (metering.py).
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "soak"))

import chaos  # noqa: E402  (the soak's emulated AWS, simulated clock and SQS stand-in)
from capacity import item_size, sqs_requests, template_schemas  # noqa: E402
from metering import CapacityMeter  # noqa: E402


@dataclass(frozen=True)
class SweepSettings:
    """What template.yaml's parameters (their defaults) set of a sweep: how far ahead it
    sends, how far past that one commit plans a task and how many fires, and how long
    before its fire time a message shows."""

    horizon: timedelta
    lookahead: timedelta
    max_fires_per_commit: int
    send_lead_ms: int


def template_sweep_settings() -> SweepSettings:
    from sundial_local.template import Template

    parameters = Template.load().parameters
    return SweepSettings(
        horizon=timedelta(seconds=int(parameters["HorizonSeconds"])),
        lookahead=timedelta(seconds=int(parameters["LookaheadSeconds"])),
        max_fires_per_commit=int(parameters["MaxFiresPerCommit"]),
        send_lead_ms=int(parameters["SendLeadMs"]),
    )


def _drained(end_ms: int) -> int:
    """When every fire that sweeps up to `end_ms` sent has become visible: a commit plans
    at most the horizon and the lookahead ahead, and sends all it plans at once."""
    settings = template_sweep_settings()
    reach = settings.horizon + settings.lookahead
    return end_ms + int(reach.total_seconds() * 1000) + 60_000


def _dispatcher(sqs: Any, clock: Any, shards: int, **overrides: Any) -> Any:
    """A sweep as the deployed dispatcher makes it, with the template's defaults."""
    from sundial.dispatch.sweep import Dispatcher

    settings = template_sweep_settings()
    return Dispatcher(
        **{
            "sqs": sqs,
            "queue_url": chaos.WORK_QUEUE,
            "horizon": settings.horizon,
            "lookahead": settings.lookahead,
            "max_fires_per_commit": settings.max_fires_per_commit,
            "send_lead_ms": settings.send_lead_ms,
            "shard_count": shards,
            "owner": "bench",
            "clock": clock,
            **overrides,
        }
    )


def _meter() -> CapacityMeter:
    """A meter of the emulated tables, by the names the emulator gives them (their
    logical ids), with the keys and indexes template.yaml defines."""
    return CapacityMeter(template_schemas())


def payload_of(size: int) -> Any:
    """A task payload whose JSON text is `size` bytes (None, no payload, for 0)."""
    if size == 0:
        return None
    wrapper = len(json.dumps({"data": ""}))
    if size < wrapper:
        raise ValueError(f"a payload of {size} bytes is smaller than its JSON wrapper")
    return {"data": "x" * (size - wrapper)}


# The benchmark's target answers with a small acknowledgement, as a webhook's 200 would:
# the run record keeps a target's result (whole up to 4 KB, else a 1 KB preview), so a
# target answering with its payload (the built-in `echo`) would bill its own answer's
# size to every fire and hide what the payload itself costs.
ACK_TARGET = "benchmark.ack"


def _acknowledge(payload: Any, invocation: Any) -> dict[str, bool]:
    return {"ok": True}


def _acknowledging_target() -> str:
    from sundial.targets.handler import task

    task(ACK_TARGET)(_acknowledge)  # registering the same function again is a no-op
    return ACK_TARGET


def _task(
    schedule: str,
    due_ms: int | None,
    stamp: int,
    *,
    payload: Any = {"n": 1},  # noqa: B006  (never mutated)
    shards: int = chaos.SHARDS,
    shard: int | None = None,
    **extra: Any,
) -> Any:
    from sundial import store
    from sundial.store import TaskItem

    task_id = store.new_ulid()
    while shard is not None and store.shard_for(task_id, shards) != shard:
        task_id = store.new_ulid()  # one in `shards` ids falls on the wanted shard
    item = TaskItem(
        task_id=task_id,
        tenant=f"tenant-{random.randrange(50)}",
        schedule=schedule,
        timezone="UTC",
        description="",
        target={"type": "handler", "name": _acknowledging_target()},
        payload=payload,
        retry={"max_attempts": 3, "backoff_seconds": 2},
        timeout_seconds=30,
        overlap="allow",
        misfire={"policy": "fire_once", "grace_seconds": 60},
        jitter_seconds=0,
        tags={},
        **extra,
    )
    item.version = item.schedule_version = 1
    item.created_at = item.updated_at = stamp
    item.state = "active" if due_ms is not None else "paused"
    item.schedule_state = store.new_schedule_state(item, due_ms)
    if due_ms is not None:
        item.schedule_state.due_shard = store.shard_for(task_id, shards)
    return item


def _save(batch: Any, task: Any) -> None:
    """A task is two items: its definition and its schedule state."""
    batch.save(task)
    batch.save(task.schedule_state)


def read_amplification(stored: int = 100_000, due_fraction: float = 0.01) -> dict[str, Any]:
    """Items the sweep reads ÷ fires it emits, with `stored` tasks of which ~1% are due:
    the rest wait further ahead in the index (89%) or are paused (10%, not indexed)."""
    from sundial.store import TaskItem

    with chaos.emulated_aws():
        clock = chaos.SimClock(chaos.START)
        now = clock.now_ms()
        stamp = now - 86_400_000
        rng = random.Random(3)
        due = 0
        with TaskItem.batch_write() as batch:
            for _ in range(stored):
                roll = rng.random()
                if roll < due_fraction:
                    due += 1
                    when = now + rng.randrange(1, 60) * 1000  # due inside this sweep's horizon
                elif roll < 0.9:
                    when = now + rng.randrange(600, 86_400) * 1000  # later today
                else:
                    when = None
                _save(batch, _task("0 * * * * *", when, stamp))
        sqs = chaos.SimSqs(clock, rng, 0.0)
        counter = _meter()
        with counter.metering():
            counter.active = True
            report = _dispatcher(
                sqs, clock, chaos.SHARDS, page_size=100, threads=chaos.SHARDS
            ).sweep()
            counter.active = False
    query_items = report.items_read
    return {
        "stored_tasks": stored,
        "due_tasks": due,
        "items_read": query_items,
        "fires_emitted": report.fires_emitted,
        "value": round(query_items / max(1, report.fires_emitted), 3),
        "dynamodb_requests": dict(counter.calls),
    }


def requests_per_fire(schedule: str, tasks: int, minutes: int) -> dict[str, Any]:
    """DynamoDB and SQS requests per fire, dispatcher and executor together, with the
    soak's harness and no faults: `tasks` tasks on `schedule` swept for `minutes`
    simulated, then every fire those sweeps sent run (commits plan fires ahead, so
    they run on after the last sweep)."""
    with chaos.emulated_aws():
        start = chaos.SimClock(chaos.START).now_ms()
        end = start + minutes * 60_000
        first = start + (1000 if schedule.startswith("*") else 60_000)
        tasks_saved = [_task(schedule, first, start - 86_400_000) for _ in range(tasks)]
        run = _simulate(tasks_saved, chaos.SHARDS, sweeps_until=end - 1, until=_drained(end))
    meter, sqs, fires = run.meter, run.sqs, run.fires
    return {
        "schedule": schedule,
        "tasks": tasks,
        "simulated_minutes": minutes,
        "fires": fires,
        "dynamodb_writes_per_fire": round(meter.writes() / fires, 3),
        "dynamodb_reads_per_fire": round(meter.reads() / fires, 3),
        "sqs_requests_per_fire": round(sqs.requests() / fires, 3),
        "dynamodb_write_units_per_fire": round(meter.total_write_units() / fires, 3),
        "dynamodb_read_units_per_fire": round(meter.total_read_units() / fires, 3),
        "dynamodb_requests": dict(meter.calls),
        "sqs_requests": dict(sqs.calls),
        "lease_writes_per_sweep": sweep_writes(chaos.SHARDS),
        "sweeps": run.sweeps,
        "commits": run.commits,
        "commits_per_fire": round(run.commits / fires, 3),
    }


def sweep_writes(shards: int) -> float:
    """DynamoDB writes a sweep makes whatever it finds (its lease), measured as those of
    a sweep with nothing due."""
    per_tick = idle_ticks(shards, 1)["dynamodb_requests_per_tick"]
    return sum(n for call, n in per_tick.items() if call in WRITE_CALLS)


WRITE_CALLS = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)


def lone_task_capacity(
    payload_bytes: int, minutes: int, shards: int, idle: dict[str, Any]
) -> dict[str, Any]:
    """Capacity per fire of one task that fires every minute, alone in a deployment of
    `shards` due-index shards, with a payload of `payload_bytes`: swept once a minute for
    `minutes`, then every fire those sweeps sent run. A commit plans many fires ahead
    (the template's lookahead), so `minutes` should span several commits for their
    cost to be the steady state's. A fire pays its own usage and its commits' share,
    metered beyond the sweeps' fixed cost (`idle`, from idle_ticks with the same
    shards), plus one whole tick: the task fires once a minute, alone."""
    with chaos.emulated_aws():
        start = chaos.SimClock(chaos.START).now_ms()
        end = start + minutes * 60_000
        task = _task(
            "0 * * * * *",
            start + 60_000,
            start - 86_400_000,
            payload=payload_of(payload_bytes),
            shards=shards,
        )
        task_bytes = item_size(task.serialize())  # as written, before any fire
        run = _simulate([task], shards, sweeps_until=end - 1, until=_drained(end))
    meter, sqs, fires, sweeps = run.meter, run.sqs, run.fires, run.sweeps
    if sweeps != minutes or fires < minutes:
        raise RuntimeError(f"{fires} fires and {sweeps} sweeps in {minutes} minutes")

    def per_fire_and_tick(total: float, per_tick: float) -> float:
        return round((total - per_tick * sweeps) / fires + per_tick, 3)

    def by_name(counts: Mapping[str, float], per_tick: Mapping[str, float]) -> dict[str, float]:
        names = sorted(set(counts) | set(per_tick))
        return {
            n: per_fire_and_tick(counts.get(n, 0.0), per_tick.get(n, 0.0))
            for n in names
            if counts.get(n, 0.0)
        }

    return {
        "payload_bytes": payload_bytes,
        "task_item_bytes": task_bytes,
        "shards": shards,
        "simulated_minutes": minutes,
        "fires": fires,
        "sweeps": sweeps,
        "commits": run.commits,
        "commits_per_fire": round(run.commits / fires, 3),
        "executor_requests_in_turn": round(run.executor_requests_in_turn(), 3),
        "write_units_per_fire": per_fire_and_tick(
            meter.total_write_units(), idle["write_units_per_tick"]
        ),
        "read_units_per_fire": per_fire_and_tick(
            meter.total_read_units(), idle["read_units_per_tick"]
        ),
        "sqs_billed_requests_per_fire": per_fire_and_tick(
            sqs.requests(), idle["sqs_billed_requests_per_tick"]
        ),
        "write_units_by_table_and_index": by_name(
            meter.write_units, idle["write_units_by_table_and_index"]
        ),
        "read_units_by_table_and_index": by_name(
            meter.read_units, idle["read_units_by_table_and_index"]
        ),
        "dynamodb_requests_per_fire": by_name(meter.calls, idle["dynamodb_requests_per_tick"]),
        "sqs_requests_per_fire": _per_fire(sqs.calls, fires),
    }


def idle_ticks(shards: int, ticks: int) -> dict[str, Any]:
    """Capacity of one tick with nothing due, in a deployment of `shards` due-index
    shards: what every sweep pays whatever it finds (shard queries, leases), the fixed
    part of a busy deployment's cost and the whole of an idle one's."""
    with chaos.emulated_aws():
        start = chaos.SimClock(chaos.START).now_ms()
        last = start + (ticks - 1) * 60_000
        run = _simulate([], shards, sweeps_until=last, until=last)
    meter, sweeps = run.meter, run.sweeps
    return {
        "shards": shards,
        "ticks": sweeps,
        "write_units_per_tick": round(meter.total_write_units() / sweeps, 3),
        "read_units_per_tick": round(meter.total_read_units() / sweeps, 3),
        "read_units_unrounded_per_tick": round(meter.read_units_queries_unrounded() / sweeps, 3),
        "dynamodb_requests_per_tick": _per_fire(meter.calls, sweeps),
        "write_units_by_table_and_index": _per_fire(meter.write_units, sweeps),
        "read_units_by_table_and_index": _per_fire(meter.read_units, sweeps),
        "sqs_billed_requests_per_tick": round(run.sqs.requests() / sweeps, 3),
    }


def fleet_capacity(
    schedule: str,
    tasks: int,
    minutes: int,
    shards: int,
    payload_bytes: int,
    idle: dict[str, Any],
    **task_fields: Any,
) -> dict[str, Any]:
    """Capacity per fire of a deployment busy with many tasks on `schedule`, from a sample
    of `tasks` of them run for `minutes` simulated minutes: what the sample's fires cost
    beyond the ticks they ran in (`idle`, from idle_ticks with the same shards).

    The sample stands for one shard of a large deployment, so its tasks are all on shard
    0, where they fill pages and message batches as the tasks of a busy shard do, and
    its queries are priced by the bytes they read (unrounded): in a busy shard many
    tasks share each query page and its rounding, which the tick's fixed cost carries.
    All tasks fire on the same seconds (a per-minute task at second 0), as cron tasks do.
    Sweeps run with the template's lookahead, so a commit plans many fires of a task;
    after the last sweep every fire the sweeps sent runs and is counted. `task_fields`:
    more fields of every task of the sample (e.g. notifications)."""
    with chaos.emulated_aws():
        start = chaos.SimClock(chaos.START).now_ms()
        first = start + (1000 if schedule.startswith("*") else 60_000)
        end = start + minutes * 60_000
        sample = [
            _task(
                schedule,
                first,
                start - 86_400_000,
                payload=payload_of(payload_bytes),
                shards=shards,
                shard=0,
                **task_fields,
            )
            for _ in range(tasks)
        ]
        run = _simulate(sample, shards, sweeps_until=end - 1, until=_drained(end))
    meter, sqs, fires, sweeps = run.meter, run.sqs, run.fires, run.sweeps
    writes = meter.total_write_units() - idle["write_units_per_tick"] * sweeps
    reads = meter.read_units_queries_unrounded() - idle["read_units_unrounded_per_tick"] * sweeps
    sqs_billed = sqs.requests() - idle["sqs_billed_requests_per_tick"] * sweeps
    return {
        "schedule": schedule,
        "sample_tasks": tasks,
        "payload_bytes": payload_bytes,
        "shards": shards,
        "simulated_minutes": minutes,
        "sweeps": sweeps,
        "fires": fires,
        "commits_per_fire": round(run.commits / fires, 4),
        "write_units_per_fire": round(writes / fires, 4),
        "read_units_per_fire": round(reads / fires, 4),
        "sqs_billed_requests_per_fire": round(sqs_billed / fires, 4),
        # The event source mapping's one ReceiveMessage per batch is one invocation.
        "executor_invocations_per_fire": round(sqs.calls["ReceiveMessage"] / fires, 4),
        "executor_requests_in_turn": round(run.executor_requests_in_turn(), 3),
        "dispatcher_requests_per_fire": round(
            (run.dispatcher_requests - _requests(idle) * sweeps) / fires, 4
        ),
        "write_units_by_table_and_index": _per_fire(
            _beyond(meter.write_units, idle["write_units_by_table_and_index"], sweeps), fires
        ),
        "dynamodb_requests_per_fire": _per_fire(
            _beyond(meter.calls, idle["dynamodb_requests_per_tick"], sweeps), fires
        ),
        "sqs_requests_per_fire": _per_fire(sqs.calls, fires),
    }


def _beyond(
    counts: Mapping[str, float], per_tick: Mapping[str, float], ticks: int
) -> dict[str, float]:
    """`counts` less what `ticks` idle ticks count."""
    return {name: n - per_tick.get(name, 0.0) * ticks for name, n in counts.items()}


def _requests(idle: dict[str, Any]) -> float:
    return sum(idle["dynamodb_requests_per_tick"].values())


def _per_fire(counts: Mapping[str, float], fires: int) -> dict[str, float]:
    return {name: round(n / fires, 3) for name, n in sorted(counts.items())}


@dataclass
class _Run:
    meter: CapacityMeter
    sqs: CountingSqs
    fires: int  # fires run (sent, received and succeeded)
    sweeps: int
    commits: int  # dispatch commits the sweeps made, each planning one or more fires
    dispatcher_requests: int = 0  # DynamoDB and SQS calls made by the sweeps
    # The executor's DynamoDB requests: the batch's reads of its tasks (`Executor.admit`),
    # made once per invocation, and the records' own (claim, outcome, ...), made in
    # parallel threads.
    executor_batch_reads: int = 0
    executor_record_requests: int = 0

    def executor_requests_in_turn(self) -> float:
        """The requests an executor invocation waits for one after the other: its batch
        reads, then one record's own (the records' overlap)."""
        invocations = self.sqs.calls["ReceiveMessage"]
        if not invocations or not self.fires:
            return 0.0
        return self.executor_batch_reads / invocations + self.executor_record_requests / self.fires


def _simulate(tasks: list[Any], shards: int, *, sweeps_until: int, until: int) -> _Run:
    """Save `tasks`, then sweep once a minute until `sweeps_until` and run every fire
    that becomes visible until `until` (simulated ms), metering every request."""
    from sundial.execute.run import Executor
    from sundial.store import TaskItem
    from sundial.targets import NetworkPolicy, TargetEnvironment
    from sundial.targets.aws import aws_client
    from sundial.workqueue.delivery import WorkQueue

    clock = chaos.SimClock(chaos.START)
    with TaskItem.batch_write() as batch:
        for task in tasks:
            _save(batch, task)
    sqs = CountingSqs(clock, random.Random(1), 0.0)
    executor = Executor(
        WorkQueue(sqs, chaos.WORK_QUEUE, chaos.DEAD_LETTER_QUEUE, requeue_after_receives=5),
        TargetEnvironment(aws=aws_client, network=NetworkPolicy()),
        clock=clock,
    )
    meter = _meter()
    fires = sweeps = dispatcher_requests = commits = 0
    batch_reads = executor_requests = 0

    def requests_so_far() -> int:
        return sum(meter.calls.values()) + sum(sqs.calls.values())

    def dynamodb_so_far() -> int:
        return sum(meter.calls.values())

    admit = executor.admit

    def counted_admit(deliveries: Any) -> Any:
        nonlocal batch_reads
        before = dynamodb_so_far()
        try:
            return admit(deliveries)
        finally:
            batch_reads += dynamodb_so_far() - before

    executor.admit = counted_admit  # type: ignore[method-assign]

    with meter.metering():
        meter.active = True
        next_sweep = clock.now_ms()
        while clock.now_ms() <= until:
            if next_sweep <= min(clock.now_ms(), sweeps_until):
                before = requests_so_far()
                report = _dispatcher(sqs, clock, shards, threads=1).sweep()
                dispatcher_requests += requests_so_far() - before
                commits += report.tasks_committed
                sweeps += 1
                next_sweep += 60_000
            before = dynamodb_so_far()
            fires += sqs.drain(executor)
            executor_requests += dynamodb_so_far() - before
            visible = sqs.next_visible_ms()
            upcoming = next_sweep if visible is None else min(next_sweep, visible)
            clock.ms = max(clock.now_ms() + 1000, upcoming)
        meter.active = False
    return _Run(
        meter,
        sqs,
        fires,
        sweeps,
        commits,
        dispatcher_requests,
        executor_batch_reads=batch_reads,
        executor_record_requests=executor_requests - batch_reads,
    )


class CountingSqs(chaos.SimSqs):
    """The SQS stand-in, counting API calls and billed requests (each started 64 KB of a
    call's payload is one): the calls Sundial makes, plus what Lambda's event source
    mapping makes for it (one ReceiveMessage per batch received, one DeleteMessageBatch
    per batch acknowledged; its empty long polls are a fixed cost per queue, priced in
    model.py, not per fire)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.calls: Counter[str] = Counter()
        self.billed: Counter[str] = Counter()

    def _count(self, call: str, payload: str | list[str] = "") -> None:
        bodies = [payload] if isinstance(payload, str) else payload
        self.calls[call] += 1
        self.billed[call] += sqs_requests(sum(len(b.encode("utf-8")) for b in bodies))

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self._count("SendMessageBatch", [e["MessageBody"] for e in Entries])
        return super().send_message_batch(QueueUrl, Entries)

    def send_message(self, QueueUrl: str, MessageBody: str, **kwargs: Any) -> dict[str, Any]:
        attributes = json.dumps(kwargs.get("MessageAttributes", {}))
        self._count("SendMessage", [MessageBody, attributes])
        return super().send_message(QueueUrl, MessageBody, **kwargs)

    def change_message_visibility(self, QueueUrl: str, ReceiptHandle: str, VisibilityTimeout: int):
        self._count("ChangeMessageVisibility")
        return super().change_message_visibility(QueueUrl, ReceiptHandle, VisibilityTimeout)

    def drain(self, executor: Any) -> int:
        from sundial.workqueue.delivery import Delivery

        succeeded = 0
        while records := self.receive(10):
            self._count("ReceiveMessage", [record["body"] for record in records])
            acknowledged = []
            deliveries = [Delivery.from_record(record) for record in records]
            current = executor.admit(deliveries)  # as the batch handler reads its tasks
            for record, delivery in zip(records, deliveries, strict=True):
                processed = executor.process(delivery, time.monotonic() + 900, current)
                succeeded += processed.outcome == "succeeded"
                if processed.acknowledge:
                    acknowledged.append(record["receiptHandle"])
            for receipt in acknowledged:
                self.delete(receipt)
            if acknowledged:
                self._count("DeleteMessageBatch")
        return succeeded

    def requests(self) -> int:
        """Billed requests."""
        return sum(self.billed.values())


def dispatcher_cpu(tasks: int = 2000) -> dict[str, Any]:
    """CPU the sweep spends per fire planning and serialising, AWS calls stubbed out:
    time.process_time around Dispatcher.dispatch with a no-op SQS and commit."""
    from sundial import store
    from sundial.dispatch.sweep import SweepReport

    class NoSqs:
        def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> Any:
            return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}

    clock = chaos.SimClock(chaos.START)
    now = clock.utc_now()
    now_ms = clock.now_ms()
    results = {}
    with chaos.emulated_aws(), chaos.patched(store, "commit_dispatch", lambda *a, **k: True):
        for label, schedule, first in (
            ("per_minute", "0 * * * * *", now_ms + 30_000),
            ("per_second", "* * * * * *", now_ms + 1000),
            ("cron_5_field", "*/5 * * * *", now_ms + 30_000),
        ):
            items = [
                _task(schedule, first, now_ms - 86_400_000).schedule_state for _ in range(tasks)
            ]
            dispatcher = _dispatcher(NoSqs(), clock, chaos.SHARDS)
            report = SweepReport()
            began = time.process_time()
            for page in range(0, tasks, 100):
                dispatcher.dispatch(items[page : page + 100], now, report)
            spent = time.process_time() - began
            per_fire = spent * 1e6 / max(1, report.fires_emitted)
            results[label] = {
                "fires": report.fires_emitted,
                "us_per_fire": round(per_fire, 1),
                "fires_per_second_per_vcpu": int(1e6 / per_fire) if per_fire else None,
            }
    return results


def executor_cpu(tasks: int = 40, minutes: int = 10) -> dict[str, Any]:
    """CPU the executor spends per fire, in all and up to the run's claim, everything it
    runs counted (parsing the message, its share of the batch's task reads, the claim,
    the target, the outcome, the SDK's serialising and signing of each request) but the
    emulator's own work: the time moto spends answering is measured on its thread and
    taken out.

    Per-minute tasks with a 1 KB payload and the built-in acknowledging target, every
    fire of `minutes` minutes run batch by batch (Executor.admit, then Executor.process
    for each record, one after the other, so that each one's CPU is its own).
    """
    from moto.core.botocore_stubber import BotocoreStubber

    from sundial import store
    from sundial.execute.run import Executor
    from sundial.store import TaskItem
    from sundial.targets import NetworkPolicy, TargetEnvironment
    from sundial.targets.aws import aws_client
    from sundial.workqueue.delivery import Delivery, WorkQueue

    emulator_seconds = 0.0
    answer = BotocoreStubber.process_request

    def timed(self: BotocoreStubber, request: Any) -> Any:
        nonlocal emulator_seconds
        began = time.thread_time()
        try:
            return answer(self, request)
        finally:
            emulator_seconds += time.thread_time() - began

    def own_cpu() -> float:
        return time.process_time() - emulator_seconds

    claimed_at: float | None = None
    claim_run = store.claim_run

    def claim_noted(*args: Any, **kwargs: Any) -> Any:
        nonlocal claimed_at
        try:
            return claim_run(*args, **kwargs)
        finally:
            claimed_at = own_cpu()

    clock = chaos.SimClock(chaos.START)
    now_ms = clock.now_ms()
    spent = before_claim = 0.0
    fires = 0
    with chaos.emulated_aws(), chaos.patched(store, "claim_run", claim_noted):
        answer = BotocoreStubber.process_request  # emulated_aws's, which applies atomically
        items = [
            _task("0 * * * * *", now_ms + 30_000, now_ms - 86_400_000, payload=payload_of(1024))
            for _ in range(tasks)
        ]
        with TaskItem.batch_write() as batch:
            for task in items:
                _save(batch, task)
        sqs = CountingSqs(clock, random.Random(1), 0.0)
        executor = Executor(
            WorkQueue(sqs, chaos.WORK_QUEUE, chaos.DEAD_LETTER_QUEUE, requeue_after_receives=5),
            TargetEnvironment(aws=aws_client, network=NetworkPolicy()),
            clock=clock,
        )
        _dispatcher(sqs, clock, chaos.SHARDS, threads=1).sweep()  # plans `minutes` ahead
        BotocoreStubber.process_request = timed  # type: ignore[method-assign]
        try:
            while fires < tasks * minutes and (visible := sqs.next_visible_ms()) is not None:
                clock.ms = max(clock.now_ms(), visible)
                while records := sqs.receive(10):
                    began = own_cpu()
                    deliveries = [Delivery.from_record(record) for record in records]
                    current = executor.admit(deliveries)
                    before_claim += own_cpu() - began
                    spent += own_cpu() - began
                    for record, delivery in zip(records, deliveries, strict=True):
                        began, claimed_at = own_cpu(), None
                        processed = executor.process(delivery, time.monotonic() + 900, current)
                        ended = own_cpu()
                        before_claim += (ended if claimed_at is None else claimed_at) - began
                        spent += ended - began
                        fires += processed.outcome == "succeeded"
                        sqs.delete(record["receiptHandle"])
        finally:
            BotocoreStubber.process_request = answer  # type: ignore[method-assign]
    runs = max(1, fires)
    return {
        "fires": fires,
        "us_per_fire": round(spent * 1e6 / runs, 1),
        "us_before_claim_per_fire": round(before_claim * 1e6 / runs, 1),
        "emulator_us_per_fire": round(emulator_seconds * 1e6 / runs, 1),
    }


# --- notifications -------------------------------------------------------------------------

NOTIFIED_QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/sundial-bench-inbox"


class _CountingQueue:
    """The notifications queue and the destination queue, counting billed requests."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.billed: Counter[str] = Counter()
        self.messages: list[str] = []

    def _count(self, call: str, bodies: list[str]) -> None:
        self.calls[call] += 1
        self.billed[call] += sqs_requests(sum(len(b.encode("utf-8")) for b in bodies))

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        bodies = [e["MessageBody"] for e in Entries]
        self._count("SendMessageBatch", bodies)
        self.messages += bodies
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}

    def send_message(self, **kwargs: Any) -> dict[str, Any]:
        self._count(
            "SendMessage", [kwargs["MessageBody"], json.dumps(kwargs.get("MessageAttributes", {}))]
        )
        return {"MessageId": "m"}


def notification_hops(minutes: int) -> dict[str, Any]:
    """What a fire of a task asking for `run.succeeded` to an SQS queue costs beyond the
    same fire without notifications, hop by hop, for a lone per-minute task.

    The outcome write carries the mark (its write units are metered against the same
    task without notifications); the runs table's stream is read by Lambda for free; the
    notifier reads the definition (metered) and sends the message (counted); the
    deliverer's event source mapping receives and deletes it and the deliverer sends it
    to the destination queue (counted). Each outcome of a lone task comes alone, so each
    is one notifier and one deliverer invocation.
    """
    from stream_records import marked_outcomes

    from sundial.notify.deliverer import Deliverer
    from sundial.notify.notifier import Notifier
    from sundial.targets import NetworkPolicy, TargetEnvironment

    notifications = [
        {"on": ["run.succeeded"], "destination": {"type": "sqs", "queue_url": NOTIFIED_QUEUE}}
    ]
    figures: dict[str, Any] = {}
    for label, extra in (("without", {}), ("with", {"notifications": notifications})):
        with chaos.emulated_aws():
            start = chaos.SimClock(chaos.START).now_ms()
            end = start + minutes * 60_000
            task = _task("0 * * * * *", start + 60_000, start - 86_400_000, **extra)
            run = _simulate([task], chaos.SHARDS, sweeps_until=end - 1, until=_drained(end))
            outcome_units = run.meter.write_units.get("RunsTable", 0.0) / run.fires
            figures[label] = {"fires": run.fires, "runs_table_write_units_per_fire": outcome_units}
            if label == "without":
                figures[label]["stream_records_passing_the_filter"] = len(marked_outcomes())
                continue
            records = marked_outcomes()
            queue, destination = _CountingQueue(), _CountingQueue()
            notifier = Notifier(queue, "notifications")
            meter = _meter()
            with meter.metering():
                meter.active = True
                for record in records:  # a lone task's outcomes come a minute apart
                    notifier.process([record])
                meter.active = False
            deliverer = Deliverer(
                queue,
                "notifications",
                "notifications-dlq",
                TargetEnvironment(aws=lambda *_, to=destination: to, network=NetworkPolicy()),
                max_attempts=8,
                backoff_base_seconds=30,
            )
            for index, body in enumerate(list(queue.messages)):
                deliverer.process([{"messageId": str(index), "receiptHandle": "r", "body": body}])
            fires = run.fires
            figures[label].update(
                {
                    "notifier_invocations_per_fire": round(len(records) / fires, 3),
                    "deliverer_invocations_per_fire": round(len(queue.messages) / fires, 3),
                    "notifier_read_units_per_fire": round(meter.total_read_units() / fires, 3),
                    "notifier_dynamodb_requests_per_fire": _per_fire(meter.calls, fires),
                    # Sent by the notifier; received and deleted by the deliverer's event
                    # source mapping (one batch each); sent on by the deliverer.
                    "sqs_billed_requests_per_fire": round(
                        (
                            sum(queue.billed.values())
                            + 2 * len(queue.messages)
                            + sum(destination.billed.values())
                        )
                        / fires,
                        3,
                    ),
                }
            )
    extra_units = (
        figures["with"]["runs_table_write_units_per_fire"]
        - figures["without"]["runs_table_write_units_per_fire"]
    )
    figures["extra_write_units_per_fire"] = round(extra_units, 3)
    return figures
