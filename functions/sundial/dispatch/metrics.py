"""The dispatcher's metrics (CloudWatch EMF through Powertools), from a sweep's report."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from sundial.observability import metrics
from sundial.workqueue import SweepReport

# EMF accepts at most 100 values per metric in one document: lags beyond that are
# summarised by their maximum, which is what the lag alarm watches anyway.
MAX_LAG_SAMPLES = 99


def record_sweep(report: SweepReport, continuation: int, duration_ms: float) -> None:
    metrics.add_metric("SweepDuration", MetricUnit.Milliseconds, duration_ms)
    metrics.add_metric("ItemsRead", MetricUnit.Count, report.items_read)
    metrics.add_metric("ShardErrors", MetricUnit.Count, report.shard_errors)
    metrics.add_metric("FiresEmitted", MetricUnit.Count, report.fires_emitted)
    metrics.add_metric("TasksCommitted", MetricUnit.Count, report.tasks_committed)
    metrics.add_metric("CommitConflicts", MetricUnit.Count, report.commit_conflicts)
    metrics.add_metric("DuplicatesSent", MetricUnit.Count, report.duplicates_sent)
    metrics.add_metric("TasksDeferred", MetricUnit.Count, report.tasks_deferred)
    metrics.add_metric("BacklogShards", MetricUnit.Count, report.backlog_shards)
    metrics.add_metric("SweepContinuation", MetricUnit.Count, continuation)
    for lag in sorted(report.lag_ms)[-MAX_LAG_SAMPLES:]:
        metrics.add_metric("DispatchLag", MetricUnit.Milliseconds, lag)
    if not report.lag_ms:
        metrics.add_metric("DispatchLag", MetricUnit.Milliseconds, 0)
