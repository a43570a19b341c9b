"""Cost per million fires and the throughput model, computed from counted requests.

Prices: AWS us-east-1 on-demand list prices (pages cited in RESULTS.md), as of
PRICES_AS_OF. Re-check them before quoting the figures; only these constants change.
"""

from __future__ import annotations

from typing import Any

PRICES_AS_OF = "2026-11-22"
PRICES_USD = {
    # DynamoDB on-demand (since the 2024-11-01 price cut): per million request units.
    "dynamodb_write_request_unit_per_million": 0.625,
    "dynamodb_read_request_unit_per_million": 0.125,
    # SQS standard queue, per million requests (64 KB chunks), beyond the free tier.
    "sqs_request_per_million": 0.40,
    # Lambda (x86): per million requests, per GB-second.
    "lambda_request_per_million": 0.20,
    "lambda_gb_second": 0.0000166667,
    # EventBridge Scheduler: per million scheduled invocations, beyond the free tier.
    "eventbridge_scheduler_invocation_per_million": 1.00,
}
# Estimates, not measurements (stated in RESULTS.md). The executor's Lambda at 512 MB
# works ~30 ms per fire (three DynamoDB calls and a fast target). Before that it waits
# for the fire time: SQS delays are whole seconds, floored, so a message becomes visible
# up to a second early, half a second on average, and Lambda bills the wait. Fires of
# one second that share a batch share the wait; in the worst case (the cost figure)
# each fire is its own invocation and pays all of it.
EXECUTOR_MEMORY_GB = 0.5
EXECUTOR_WORK_SECONDS_PER_FIRE = 0.030
EXECUTOR_EARLY_WAIT_SECONDS = 0.5
EXECUTOR_SECONDS_PER_INVOCATION = EXECUTOR_WORK_SECONDS_PER_FIRE + EXECUTOR_EARLY_WAIT_SECONDS
EXECUTOR_BATCH_SIZE = 10
EXECUTOR_DEFAULT_MAXIMUM_CONCURRENCY = 50  # template.yaml's ExecutorMaximumConcurrency
# DynamoDB limits behind the throughput model.
PARTITION_WRITE_UNITS_PER_SECOND = 1000  # per partition, hence per due-index shard
# Moving a GSI sort key is a delete and an insert in the index: two index writes per commit.
INDEX_WRITES_PER_COMMIT = 2
TABLE_WRITE_UNITS_PER_SECOND = 40_000  # default on-demand table limit (adjustable)
RUN_WRITES_PER_FIRE = 2  # claim + outcome, spread over task_id partitions
LAMBDA_CONCURRENCY = 1000  # default account concurrency (adjustable)


def cost_per_million(measured: dict[str, Any]) -> dict[str, Any]:
    """USD per million fires from counted requests per fire (1 unit per request: items
    under 1 KB written, under 4 KB read, messages under 64 KB)."""
    p = PRICES_USD
    dynamodb = (
        measured["dynamodb_writes_per_fire"] * p["dynamodb_write_request_unit_per_million"]
        + measured["dynamodb_reads_per_fire"] * p["dynamodb_read_request_unit_per_million"]
    )
    sqs = measured["sqs_requests_per_fire"] * p["sqs_request_per_million"]
    lambda_requests = p["lambda_request_per_million"]
    lambda_duration = (
        EXECUTOR_MEMORY_GB * EXECUTOR_SECONDS_PER_INVOCATION * 1e6 * p["lambda_gb_second"]
    )
    total = dynamodb + sqs + lambda_requests + lambda_duration
    return {
        "dynamodb": round(dynamodb, 3),
        "sqs": round(sqs, 3),
        "lambda_requests": round(lambda_requests, 3),
        "lambda_duration": round(lambda_duration, 3),
        "total": round(total, 3),
    }


def eventbridge_scheduler_per_million() -> dict[str, Any]:
    """EventBridge Scheduler invoking a Lambda per fire: the same work, no wait for the
    fire time (EventBridge Scheduler invokes when it fires)."""
    p = PRICES_USD
    scheduler = p["eventbridge_scheduler_invocation_per_million"]
    lambda_requests = p["lambda_request_per_million"]
    lambda_duration = (
        EXECUTOR_MEMORY_GB * EXECUTOR_WORK_SECONDS_PER_FIRE * 1e6 * p["lambda_gb_second"]
    )
    return {
        "scheduler": scheduler,
        "lambda_requests": lambda_requests,
        "lambda_duration": round(lambda_duration, 3),
        "total": round(scheduler + lambda_requests + lambda_duration, 3),
    }


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
