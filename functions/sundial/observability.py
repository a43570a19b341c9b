"""Logger, Tracer and Metrics, created once and imported by every function.

Powertools reads its configuration from the environment template.yaml sets:
POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL, and
POWERTOOLS_TRACE_DISABLED (set by the tests and the local stack, which have no X-Ray).
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.metric_properties import (
    MetricResolution,
    MetricUnit,
)

NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Sundial")


class QuietEMFProvider(AmazonCloudWatchEMFProvider):
    """The EMF provider, quiet where Powertools' is noisy for no reason of ours.

    - It keeps nothing while POWERTOOLS_METRICS_DISABLED is set. Powertools' flush skips
      printing when metrics are disabled but keeps the values, and once a metric holds
      100 of them add_metric prints the set anyway: a long-running local stack (or a test
      serving the API in-process) would find an EMF document in its output every 100
      tasks created.
    - An invocation that recorded no metric (a read of the API, an idle sweep, any
      invocation while metrics are disabled) has nothing to publish, and says nothing:
      Powertools warns "No application metrics to publish" at each such flush.
    """

    def add_metric(
        self,
        name: str,
        unit: MetricUnit | str,
        value: float,
        resolution: MetricResolution | int = 60,
    ) -> None:
        if not is_metrics_disabled():
            super().add_metric(name, unit, value, resolution)

    def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
        if self.metric_set or raise_on_empty_metrics:
            super().flush_metrics(raise_on_empty_metrics=raise_on_empty_metrics)


class QuietWhenDisabledMetrics(Metrics):
    """Metrics publishing through `QuietEMFProvider` (the decorator flushes through it)."""

    def __init__(self, namespace: str) -> None:
        # The sets are the class-wide ones every Metrics instance shares, as without a
        # provider of our own.
        super().__init__(
            provider=QuietEMFProvider(
                namespace=namespace,
                metric_set=Metrics._metrics,
                dimension_set=Metrics._dimensions,
                metadata_set=Metrics._metadata,
                default_dimensions=Metrics._default_dimensions,
            )
        )


logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "sundial"))
tracer = Tracer(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "sundial"))
metrics = QuietWhenDisabledMetrics(namespace=NAMESPACE)
