"""A sweep publishes only what happened: an idle deployment pays for no custom metric."""

import warnings

from sundial.dispatch.metrics import record_sweep
from sundial.observability import metrics
from sundial.workqueue import SweepReport


def published(report: SweepReport, continuation: int = 0) -> dict[str, list[float]]:
    """The metric values one sweep's EMF document carries, by name."""
    record_sweep(report, continuation, duration_ms=12.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Powertools warns when there is nothing to publish
        document = metrics.serialize_metric_set() if metrics.metric_set else None
    metrics.clear_metrics()
    if document is None:
        return {}
    names = [m["Name"] for d in document["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]
    return {name: list(document[name]) for name in names}  # EMF lists each metric's values


def test_a_sweep_that_found_nothing_publishes_no_custom_metric():
    assert published(SweepReport(shards_swept=16)) == {}


def test_a_busy_sweep_publishes_its_duration_lag_and_only_its_nonzero_counts():
    report = SweepReport(items_read=3, fires_emitted=5, tasks_committed=3, shards_swept=16)
    values = published(report)
    assert values == {
        "SweepDuration": [12.0],
        "ItemsRead": [3.0],
        "FiresEmitted": [5.0],
        "TasksCommitted": [3.0],
        "DispatchLag": [0.0],  # on time, all of it: the lag percentiles see the sweep
    }


def test_late_fires_and_shard_errors_are_published_even_when_nothing_was_read():
    values = published(SweepReport(shard_errors=1, lag_ms=[1500]), continuation=1)
    assert values["ShardErrors"] == [1.0]
    assert values["DispatchLag"] == [1500.0]
    assert values["SweepContinuation"] == [1.0]


def test_a_sweep_that_found_the_lease_held_says_so():
    assert published(SweepReport(lease_busy=1))["LeaseBusy"] == [1.0]
