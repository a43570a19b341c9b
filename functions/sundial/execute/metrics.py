"""The executor's metrics (CloudWatch EMF through the shared Powertools `metrics`).

* `RunsSucceeded`, `RunsRetrying`, `RunsFailed`, `RunsSkipped`: runs by outcome;
* `TargetCalls`: attempts made (one per target call); `AttemptsPerRun`: the attempt
  number a run finished on (succeeded or failed);
* `LatenessMs`: start minus fire time of first attempts of scheduled and manual runs;
* `DuplicatesDropped`, `StaleDropped`, `DeadLetters`, `MalformedMessages`,
  `MessagesReturned` (back to the queue: backoff, lease, early, buffered), `Superseded`
  and `ProcessingErrors`.

Called from the batch's event loop thread only: Powertools metrics are not thread-safe.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from sundial.execute.run import Outcome
from sundial.observability import metrics

RUN_OUTCOMES = {
    "succeeded": "RunsSucceeded",
    "retrying": "RunsRetrying",
    "failed": "RunsFailed",
    "skipped": "RunsSkipped",
}
MESSAGE_OUTCOMES = {
    "duplicate": "DuplicatesDropped",
    "stale": "StaleDropped",
    "malformed": "MalformedMessages",
    "superseded": "Superseded",
    "error": "ProcessingErrors",
}
FINAL = frozenset({"succeeded", "failed"})
RETURNED = frozenset({"early", "lease_held", "not_yet_due", "waiting", "no_time"})


def record_outcome(outcome: Outcome) -> None:
    name = RUN_OUTCOMES.get(outcome.status) or MESSAGE_OUTCOMES.get(outcome.status)
    if name is not None:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    if outcome.status in RETURNED:
        metrics.add_metric(name="MessagesReturned", unit=MetricUnit.Count, value=1)
    if outcome.attempt is not None:
        metrics.add_metric(name="TargetCalls", unit=MetricUnit.Count, value=1)
        if outcome.status in FINAL:
            metrics.add_metric(name="AttemptsPerRun", unit=MetricUnit.Count, value=outcome.attempt)
    if outcome.lateness_ms is not None:
        metrics.add_metric(
            name="LatenessMs", unit=MetricUnit.Milliseconds, value=outcome.lateness_ms
        )
    if outcome.dead_lettered:
        metrics.add_metric(name="DeadLetters", unit=MetricUnit.Count, value=1)
