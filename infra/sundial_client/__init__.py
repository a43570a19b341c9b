"""A Python client for the Sundial HTTP API.

    from sundial_client import Client

    client = Client("https://abc123.execute-api.eu-west-1.amazonaws.com/v1", key="...")
    task = client.create_task({"name": "nightly", "schedule": "0 30 2 * * *",
                               "target": {"type": "handler", "name": "report"}})
    for run in client.list_runs(task.id):
        print(run.status)

Answers are the API's own pydantic models (`TaskView`, `RunView`, ...); list routes are
iterators that follow `next_token`; failed calls are retried when that is safe
(`sundial_client.retry`); errors are `ApiError`s with the API's `code` and `field`.
It needs only the project's runtime dependencies (pydantic), not the CLI's.
"""

from sundial.api.models import (
    BackfillResponse,
    DeadLetterView,
    PreviewResponse,
    RedriveResponse,
    RunView,
    TriggerResponse,
)
from sundial.core.task import TaskCreate, TaskUpdate, TaskView
from sundial_client.client import DEFAULT_TIMEOUT_SECONDS, DEFAULT_URL, Client, check_base_url
from sundial_client.errors import (
    ApiError,
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServerError,
    SundialClientError,
    Unauthorized,
    Unreachable,
    VersionMismatch,
)
from sundial_client.pagination import Page
from sundial_client.retry import NO_RETRIES, RetryPolicy

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "DEFAULT_URL",
    "NO_RETRIES",
    "ApiError",
    "BackfillResponse",
    "BadRequest",
    "Client",
    "Conflict",
    "DeadLetterView",
    "NotFound",
    "Page",
    "PayloadTooLarge",
    "PreviewResponse",
    "RateLimited",
    "RedriveResponse",
    "RetryPolicy",
    "RunView",
    "ServerError",
    "SundialClientError",
    "TaskCreate",
    "TaskUpdate",
    "TaskView",
    "TriggerResponse",
    "Unauthorized",
    "Unreachable",
    "VersionMismatch",
    "check_base_url",
]
