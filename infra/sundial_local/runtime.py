"""Running Lambda handlers in this process, as the Lambda service would invoke them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sundial_local.logs import run_as
from sundial_local.template import DEFAULT_ACCOUNT_ID, DEFAULT_REGION

Handler = Callable[[Any, Any], Any]


@dataclass
class LocalContext:
    """The Lambda context object: names, request id and the remaining-time clock."""

    function_name: str
    timeout_seconds: float
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local"
    function_version: str = "$LATEST"
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        self.log_group_name = f"/aws/lambda/{self.function_name}"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{DEFAULT_REGION}:{DEFAULT_ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class LocalFunction:
    """A function of the template: its handler, its configured timeout and its service
    name (POWERTOOLS_SERVICE_NAME: api, authorizer, dispatcher, executor), which names
    it in the local stack's log lines."""

    name: str
    handler: Handler
    timeout_seconds: float
    service: str = ""

    def invoke(self, event: Any) -> Any:
        """Call the handler as its own invocation: its log lines and keys are its own,
        whatever other function runs in another thread meanwhile (see `logs.py`)."""
        context = LocalContext(self.name, self.timeout_seconds)
        return run_as(self.service or self.name, self.handler, event, context)
