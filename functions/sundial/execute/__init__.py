"""The executor: runs each fire effectively once, with retries and dead letters.

Entry points:

* `sundial.execute.handler.handler`: the Lambda handler of the work queue;
* `task(name)`: registers a Python function as a `handler` target (see
  `sundial.execute.targets.handler`), which may raise `PermanentFailure`.
"""

from sundial.execute.failures import PermanentFailure, RetryableFailure, TargetFailure
from sundial.execute.targets.base import Invocation
from sundial.execute.targets.handler import task

__all__ = [
    "Invocation",
    "PermanentFailure",
    "RetryableFailure",
    "TargetFailure",
    "task",
]
