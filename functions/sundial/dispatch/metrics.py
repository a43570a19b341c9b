"""The dispatcher's metrics (CloudWatch EMF through Powertools), from a sweep's report.

Only what happened is published: a count that is zero is left out, and a sweep that read
nothing and met no trouble publishes nothing. CloudWatch bills each custom metric
$0.30 a month for every hour it receives a value, so eleven zeros a minute would cost
an idle deployment $3.30 a month; that the dispatcher ran, and for how long, is in
AWS/Lambda's Invocations and Duration already, and the dispatcher-not-running alarm
watches those. Alarms on these metrics treat missing data as not breaching.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from sundial.observability import metrics
from sundial.workqueue import SweepReport

# EMF accepts at most 100 values per metric in one document: lags beyond that are
# summarised by their maximum, which is what the lag alarm watches anyway.
MAX_LAG_SAMPLES = 99


def sweep_counts(report: SweepReport, continuation: int) -> dict[str, int]:
    """The sweep's counted metrics, zero or not."""
    return {
        "ItemsRead": report.items_read,
        "ShardErrors": report.shard_errors,
        # Another sweep held the lease, so this one swept nothing (a slow tick, or a
        # continuation still working): a steady count means sweeps outlast the tick.
        "LeaseBusy": report.lease_busy,
        "FiresEmitted": report.fires_emitted,
        "TasksCommitted": report.tasks_committed,
        "CommitConflicts": report.commit_conflicts,
        "DuplicatesSent": report.duplicates_sent,
        "TasksDeferred": report.tasks_deferred,
        "BacklogShards": report.backlog_shards,
        "SweepContinuation": continuation,
    }


def record_sweep(report: SweepReport, continuation: int, duration_ms: float) -> None:
    counts = {name: n for name, n in sweep_counts(report, continuation).items() if n}
    if not counts and not report.lag_ms:
        return  # an idle sweep: nothing to say that Lambda's own metrics do not
    metrics.add_metric("SweepDuration", MetricUnit.Milliseconds, duration_ms)
    for name, value in counts.items():
        metrics.add_metric(name, MetricUnit.Count, value)
    for lag in sorted(report.lag_ms)[-MAX_LAG_SAMPLES:]:
        metrics.add_metric("DispatchLag", MetricUnit.Milliseconds, lag)
    if not report.lag_ms:
        metrics.add_metric("DispatchLag", MetricUnit.Milliseconds, 0)  # on time, all of it
