"""The executor's metrics (CloudWatch EMF through the shared Powertools `metrics`).

* `RunsSucceeded`, `RunsRetrying`, `RunsFailed`, `RunsSkipped`: runs by outcome;
* `TargetCalls`: attempts made (one per target call); `AttemptsPerRun`: the attempt
  number a run finished on (succeeded or failed);
* `LatenessMs`: start minus fire time of first attempts of scheduled and manual runs;
* `FireTimeWaitMs`: how long each claimed run waited for its fire time (the message
  came early: SQS delays are whole seconds; timed sends keep this near their lead);
* `DuplicatesDropped`, `StaleDropped`, `DeadLetters`, `MalformedMessages`,
  `MessagesReturned` (back to the queue: backoff, lease, early, buffered), `Superseded`
  and `ProcessingErrors`.

Called from the batch's event loop thread only: Powertools metrics are not thread-safe.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from sundial.core.vocabulary import Outcome
from sundial.execute.attempt import Processed
from sundial.observability import metrics

# The metric counting each outcome, when it has one of its own.
COUNTED = {
    Outcome.SUCCEEDED: "RunsSucceeded",
    Outcome.RETRYING: "RunsRetrying",
    Outcome.FAILED: "RunsFailed",
    Outcome.SKIPPED: "RunsSkipped",
    Outcome.DUPLICATE: "DuplicatesDropped",
    Outcome.STALE: "StaleDropped",
    Outcome.MALFORMED: "MalformedMessages",
    Outcome.SUPERSEDED: "Superseded",
    Outcome.ERROR: "ProcessingErrors",
}
# Outcomes that end a run for good.
FINAL = frozenset({Outcome.SUCCEEDED, Outcome.FAILED})
# Outcomes that hand the message back to the queue unrun, counted as MessagesReturned.
RETURNED = frozenset(
    {Outcome.EARLY, Outcome.LEASE_HELD, Outcome.NOT_YET_DUE, Outcome.WAITING, Outcome.NO_TIME}
)


def record_outcome(processed: Processed) -> None:
    name = COUNTED.get(processed.outcome)
    if name is not None:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    if processed.outcome in RETURNED:
        metrics.add_metric(name="MessagesReturned", unit=MetricUnit.Count, value=1)
    if processed.attempt is not None:
        metrics.add_metric(name="TargetCalls", unit=MetricUnit.Count, value=1)
        if processed.outcome in FINAL:
            metrics.add_metric(
                name="AttemptsPerRun", unit=MetricUnit.Count, value=processed.attempt
            )
    if processed.lateness_ms is not None:
        metrics.add_metric(
            name="LatenessMs", unit=MetricUnit.Milliseconds, value=processed.lateness_ms
        )
    if processed.fire_time_wait_ms is not None:
        metrics.add_metric(
            name="FireTimeWaitMs", unit=MetricUnit.Milliseconds, value=processed.fire_time_wait_ms
        )
    if processed.dead_lettered:
        metrics.add_metric(name="DeadLetters", unit=MetricUnit.Count, value=1)
