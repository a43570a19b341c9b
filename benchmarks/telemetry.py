"""What the functions write to CloudWatch: the custom metrics (each name and dimension set
is billed by the month) and the bytes of log each invocation ingests, measured by running
the code over the emulator and reading what it prints (Lambda sends a function's stdout
to its log group; Powertools prints metrics there as EMF documents).

* an idle tick: the dispatcher's real handler, with nothing due;
* an executor batch: `process_batch` on a full batch of due fires, then the metrics flush
  the handler's decorator does, as one invocation prints them.

Lambda's own START, END and REPORT lines are not printed by the code; they are added as
LAMBDA_PLATFORM_LOG_BYTES per invocation.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "soak"))

import chaos  # noqa: E402

# START, END and REPORT of one invocation, as Lambda writes them in its text format: about
# 350 bytes together (request id, version, durations, memory, init duration).
LAMBDA_PLATFORM_LOG_BYTES = 350


@dataclass
class _Context:
    """The parts of a Lambda context the handlers read."""

    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    function_name: str = "sundial-dispatcher"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:sundial-dispatcher"
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/sundial-dispatcher"
    log_stream_name: str = "2026/06/01/[$LATEST]0"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def custom_metrics(printed: str) -> list[str]:
    """Each metric of the EMF documents in `printed`, as "namespace/name[dims]"."""
    found = []
    for line in printed.splitlines():
        if '"_aws"' not in line:
            continue
        for directive in json.loads(line)["_aws"]["CloudWatchMetrics"]:
            for dimensions in directive["Dimensions"] or [[]]:
                labels = ",".join(f"{d}={json.loads(line).get(d)}" for d in dimensions)
                for metric in directive["Metrics"]:
                    found.append(f"{directive['Namespace']}/{metric['Name']}[{labels}]")
    return sorted(set(found))


def emitted(printed: str) -> dict[str, Any]:
    return {
        "custom_metrics": custom_metrics(printed),
        "log_bytes_per_invocation": len(printed.encode("utf-8")) + LAMBDA_PLATFORM_LOG_BYTES,
    }


@contextlib.contextmanager
def _printed(env: dict[str, str]) -> Iterator[io.StringIO]:
    """Stdout of the code under `env`, at the template's default log level (INFO)."""
    from sundial.observability import logger, metrics
    from sundial.settings import reset_settings

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    reset_settings()
    # Logger and Metrics read the service from the environment when first imported, as
    # in Lambda; here they were imported before, so they are told.
    service = env["POWERTOOLS_SERVICE_NAME"]
    level, stream = logger.log_level, logger.logger_handler.stream
    old_service = (logger.service, metrics.provider.service)
    logger.service = service
    logger.append_keys(service=service)
    metrics.provider.service = service
    logger.setLevel("INFO")
    metrics.clear_metrics()  # what earlier code in this process left: not this invocation's
    out = io.StringIO()
    logger.logger_handler.setStream(out)
    try:
        with contextlib.redirect_stdout(out), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no metrics to publish" is the point
            yield out
    finally:
        logger.logger_handler.setStream(stream)
        logger.setLevel(level)
        logger.service, metrics.provider.service = old_service
        logger.append_keys(service=old_service[0])
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings()


def idle_tick(shards: int) -> dict[str, Any]:
    """What one dispatcher invocation prints when nothing is due."""
    env = {
        "TASKS_TABLE": "TasksTable",
        "RUNS_TABLE": "RunsTable",
        "SHARD_COUNT": str(shards),
        "HORIZON_SECONDS": "90",
        "CONTINUATION_MODE": "return",
        "POWERTOOLS_SERVICE_NAME": "dispatcher",
    }
    with chaos.emulated_aws(), _printed(env) as out:
        from sundial.dispatch.handler import handler

        handler({}, _Context())
    return emitted(out.getvalue())


def executor_batch(size: int = 10) -> dict[str, Any]:
    """What one executor invocation prints for a batch of `size` fires that succeed."""
    import counts

    from sundial.execute.batch import process_batch
    from sundial.execute.run import Executor
    from sundial.observability import metrics
    from sundial.store import TaskItem
    from sundial.targets import NetworkPolicy, TargetEnvironment
    from sundial.targets.aws import aws_client
    from sundial.workqueue.delivery import WorkQueue

    env = {"POWERTOOLS_SERVICE_NAME": "executor"}
    with chaos.emulated_aws():
        clock = chaos.SimClock(chaos.START)
        start = clock.now_ms()
        with TaskItem.batch_write() as batch:
            for _ in range(size):
                counts._save(batch, counts._task("0 * * * * *", start + 60_000, start - 86_400_000))
        sqs = counts.CountingSqs(clock, random.Random(1), 0.0)
        counts._dispatcher(sqs, clock, chaos.SHARDS, threads=1).sweep()
        clock.ms = start + 60_000
        records = [{**r, "eventSource": "aws:sqs"} for r in sqs.receive(size)]
        executor = Executor(
            WorkQueue(sqs, chaos.WORK_QUEUE, chaos.DEAD_LETTER_QUEUE, requeue_after_receives=5),
            TargetEnvironment(aws=aws_client, network=NetworkPolicy()),
            clock=clock,
        )
        with _printed(env) as out:
            response = process_batch({"Records": records}, _Context(), executor)
            metrics.flush_metrics()  # what the handler's log_metrics decorator does
    if len(records) != size or response.get("batchItemFailures"):
        raise RuntimeError(f"the batch did not run {size} fires: {response}")
    return {**emitted(out.getvalue()), "fires": size}
