"""The executor: runs each fire effectively once, with retries and dead letters.

Entry points:

* `sundial.execute.handler.handler`: the Lambda handler of the work queue;
* `task(name)`: registers a Python function as a `handler` target (see
  `sundial.targets.handler`), which may raise `PermanentFailure`.
"""

from sundial.targets.base import Invocation
from sundial.targets.failures import PermanentFailure, RetryableFailure, TargetFailure
from sundial.targets.handler import task

__all__ = [
    "Invocation",
    "PermanentFailure",
    "RetryableFailure",
    "TargetFailure",
    "task",
]
