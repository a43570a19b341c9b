"""Logger, Tracer and Metrics, created once and imported by every function.

Powertools reads its configuration from the environment template.yaml sets:
POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL, and
POWERTOOLS_TRACE_DISABLED (set by the tests and the local stack, which have no X-Ray).
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Sundial")

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "sundial"))
tracer = Tracer(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "sundial"))
metrics = Metrics(namespace=NAMESPACE)
