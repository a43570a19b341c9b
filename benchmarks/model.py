"""Cost per million fires and the throughput model, computed from metered capacity.

Prices: AWS us-east-1 list prices, as of PRICES_AS_OF; only the price sheet changes
when they do. Free tiers are ignored. Each Lambda function is priced at the
architecture and memory size template.yaml gives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PRICES_AS_OF = "2026-11-22"
PRICES_USD = {
    # DynamoDB on-demand (https://aws.amazon.com/dynamodb/pricing/on-demand/).
    "dynamodb_write_request_unit_per_million": 0.625,
    "dynamodb_read_request_unit_per_million": 0.125,
    # DynamoDB provisioned (https://aws.amazon.com/dynamodb/pricing/provisioned/).
    "dynamodb_write_capacity_unit_hour": 0.00065,
    "dynamodb_read_capacity_unit_hour": 0.00013,
    # SQS standard queue, per million requests, each 64 KB chunk of payload one request
    # (https://aws.amazon.com/sqs/pricing/).
    "sqs_request_per_million": 0.40,
    # Lambda (https://aws.amazon.com/lambda/pricing/): per million requests, and per
    # GB-second by architecture.
    "lambda_request_per_million": 0.20,
    "lambda_gb_second_arm64": 0.0000133334,
    "lambda_gb_second_x86_64": 0.0000166667,
    # X-Ray, per million traces recorded (https://aws.amazon.com/xray/pricing/).
    "xray_trace_recorded_per_million": 5.00,
    # EventBridge Scheduler, per million invocations, each 64 KB chunk of payload one
    # invocation (https://aws.amazon.com/eventbridge/pricing/).
    "eventbridge_scheduler_invocation_per_million": 1.00,
}
# Provisioned capacity is paid by the hour whether used or not; autoscaling keeps a
# table near its target utilisation, so each unit consumed costs 1/0.7 of a unit-second.
PROVISIONED_UTILISATION = 0.70
SECONDS_PER_HOUR = 3600
EVENT_PAYLOAD_CHUNK_BYTES = 64 * 1024

# Estimates, not measurements. The executor works ~30 ms per fire (three DynamoDB calls
# and a fast target). Before that it waits for the fire time: SQS delays are whole
# seconds, floored, so a message becomes visible up to a second early, half a second on
# average, and Lambda bills the wait. A lone task's fire is its own invocation and pays
# all of it.
EXECUTOR_WORK_SECONDS_PER_FIRE = 0.030
EXECUTOR_EARLY_WAIT_SECONDS = 0.5
EXECUTOR_SECONDS_PER_INVOCATION = EXECUTOR_WORK_SECONDS_PER_FIRE + EXECUTOR_EARLY_WAIT_SECONDS
# One sweep a minute (template.yaml's rate(1 minute) tick): its shards swept in parallel
# threads, a few DynamoDB round trips of ~10 ms each, so ~0.1 s billed.
DISPATCHER_SECONDS_PER_SWEEP = 0.1
SWEEPS_PER_MINUTE = 1
# Lambda's SQS event source mapping long-polls the work queue (20 s) with five pollers
# while idle: ~15 ReceiveMessage a minute, empty or not, billed whether a fire came or not.
EVENT_SOURCE_RECEIVES_PER_MINUTE = 15
# Active tracing samples 1 request a second and 5% beyond (Lambda's fixed rule): at a
# lone task's rate every invocation is a trace.
TRACES_PER_INVOCATION = 1.0
# EventBridge Scheduler's target: an arm64 Lambda of 128 MB making the HTTP call, ~100 ms
# billed, untraced (the smallest honest equivalent of the executor's work).
EBS_TARGET_MEMORY_GB = 0.125
EBS_TARGET_SECONDS = 0.100
EBS_TARGET_ARCHITECTURE = "arm64"
# Executor batches and concurrency, for the throughput model.
EXECUTOR_BATCH_SIZE = 10
EXECUTOR_DEFAULT_MAXIMUM_CONCURRENCY = 50  # template.yaml's ExecutorMaximumConcurrency


@dataclass(frozen=True)
class FunctionSize:
    """What Lambda bills a function by: its architecture and memory."""

    architecture: str
    memory_gb: float

    def gb_second_price(self) -> float:
        return PRICES_USD[f"lambda_gb_second_{self.architecture}"]


def function_sizes(template: Any = None) -> dict[str, FunctionSize]:
    """Each AWS::Serverless::Function of template.yaml, by logical id, with Globals as the
    default (Lambda's own defaults: x86_64, 128 MB)."""
    from sundial_local.template import Template, functions

    template = template or Template.load()
    defaults = template.body.get("Globals", {}).get("Function", {})
    sizes = {}
    for logical_id, properties in functions(template).items():
        merged = {**defaults, **properties}
        architecture = template.resolve(merged.get("Architectures", ["x86_64"]))[0]
        memory_mb = template.resolve(merged.get("MemorySize", 128))
        sizes[logical_id] = FunctionSize(architecture, int(memory_mb) / 1024)
    return sizes


def _invocation(size: FunctionSize, seconds: float) -> float:
    """USD per million invocations of `seconds` billed."""
    p = PRICES_USD
    return p["lambda_request_per_million"] + size.memory_gb * seconds * 1e6 * size.gb_second_price()


def dynamodb_per_million(write_units: float, read_units: float) -> dict[str, float]:
    """USD per million fires for the capacity one fire consumes, in both capacity modes."""
    p = PRICES_USD
    unit_hours = SECONDS_PER_HOUR * PROVISIONED_UTILISATION
    return {
        "on_demand": write_units * p["dynamodb_write_request_unit_per_million"]
        + read_units * p["dynamodb_read_request_unit_per_million"],
        "provisioned": (
            write_units * p["dynamodb_write_capacity_unit_hour"]
            + read_units * p["dynamodb_read_capacity_unit_hour"]
        )
        * 1e6
        / unit_hours,
    }


def lone_task_per_million(
    capacity: dict[str, Any], sizes: dict[str, FunctionSize]
) -> dict[str, Any]:
    """USD per million fires of one per-minute task alone in a deployment, from its
    metered capacity per fire (counts.lone_task_capacity): every fire carries a whole
    sweep, its own executor invocation and a minute of the event source's polling."""
    p = PRICES_USD
    fires_per_minute = 1.0
    receives = capacity["sqs_requests_per_fire"].get("ReceiveMessage", 0.0)
    idle_polls = max(0.0, EVENT_SOURCE_RECEIVES_PER_MINUTE / fires_per_minute - receives)
    sqs = (capacity["sqs_billed_requests_per_fire"] + idle_polls) * p["sqs_request_per_million"]
    sweeps_per_fire = SWEEPS_PER_MINUTE / fires_per_minute
    executor = _invocation(sizes["ExecutorFunction"], EXECUTOR_SECONDS_PER_INVOCATION)
    dispatcher = sweeps_per_fire * _invocation(
        sizes["DispatcherFunction"], DISPATCHER_SECONDS_PER_SWEEP
    )
    xray = (1 + sweeps_per_fire) * TRACES_PER_INVOCATION * p["xray_trace_recorded_per_million"]
    dynamodb = dynamodb_per_million(
        capacity["write_units_per_fire"], capacity["read_units_per_fire"]
    )
    shared = {
        "sqs": sqs,
        "lambda_executor": executor,
        "lambda_dispatcher": dispatcher,
        "xray": xray,
    }
    return {
        mode: _rounded({"dynamodb": dynamodb[mode], **shared})
        for mode in ("on_demand", "provisioned")
    }


def ebs_lambda_per_million(payload_bytes: int) -> dict[str, float]:
    """USD per million fires of EventBridge Scheduler invoking a small arm64 Lambda that
    makes the HTTP call: no wait for the fire time (the scheduler invokes when it fires)."""
    chunks = max(1, -(-payload_bytes // EVENT_PAYLOAD_CHUNK_BYTES))
    target = FunctionSize(EBS_TARGET_ARCHITECTURE, EBS_TARGET_MEMORY_GB)
    return _rounded(
        {
            "scheduler": chunks * PRICES_USD["eventbridge_scheduler_invocation_per_million"],
            "lambda_target": _invocation(target, EBS_TARGET_SECONDS),
        }
    )


def _rounded(parts: dict[str, float]) -> dict[str, float]:
    return {**{k: round(v, 3) for k, v in parts.items()}, "total": round(sum(parts.values()), 3)}


# DynamoDB limits behind the throughput model.
PARTITION_WRITE_UNITS_PER_SECOND = 1000  # per partition, hence per due-index shard
# Moving a GSI sort key is a delete and an insert in the index: two index writes per commit.
INDEX_WRITES_PER_COMMIT = 2
TABLE_WRITE_UNITS_PER_SECOND = 40_000  # default on-demand table limit (adjustable)
RUN_WRITES_PER_FIRE = 2  # claim + outcome, spread over task_id partitions
LAMBDA_CONCURRENCY = 1000  # default account concurrency (adjustable)


def throughput_model(fires_per_commit: dict[str, float]) -> dict[str, Any]:
    """Sustained fires/s of one deployment by shard count.

    * Due index: each shard is one GSI partition taking PARTITION_WRITE_UNITS_PER_SECOND;
      a sweep commit moves one task's due_at (INDEX_WRITES_PER_COMMIT index writes) and
      covers every fire of that task inside the horizon (`fires_per_commit`).
    * Runs table: RUN_WRITES_PER_FIRE per fire, spread by task_id, capped by the table's
      on-demand limit.
    * Executor: concurrent invocations x full batches / seconds per invocation (under
      load, fires of one second fill batches); at the account's LAMBDA_CONCURRENCY, and
      reported at the template's default ExecutorMaximumConcurrency.
    """
    runs_cap = TABLE_WRITE_UNITS_PER_SECOND / RUN_WRITES_PER_FIRE
    per_invocation = EXECUTOR_BATCH_SIZE / EXECUTOR_SECONDS_PER_INVOCATION
    executor_cap = LAMBDA_CONCURRENCY * per_invocation
    rows = {}
    for shards in (1, 4, 16, 64, 256):
        commits = shards * PARTITION_WRITE_UNITS_PER_SECOND / INDEX_WRITES_PER_COMMIT
        rows[str(shards)] = {
            label: int(min(commits * per_commit, runs_cap, executor_cap))
            for label, per_commit in fires_per_commit.items()
        }
    return {
        "fires_per_second_by_shards": rows,
        "limits": {
            "index_commits_per_second_per_shard": PARTITION_WRITE_UNITS_PER_SECOND
            // INDEX_WRITES_PER_COMMIT,
            "runs_table_fires_per_second": int(runs_cap),
            "executor_fires_per_second": int(executor_cap),
            "executor_fires_per_second_at_default_concurrency": int(
                EXECUTOR_DEFAULT_MAXIMUM_CONCURRENCY * per_invocation
            ),
        },
        "fires_per_commit": fires_per_commit,
    }
