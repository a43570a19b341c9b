"""The executor of this process, built once from settings (template.yaml sets them)."""

from __future__ import annotations

import functools

from sundial import clients
from sundial.execute.run import Executor
from sundial.execute.settings import executor_settings
from sundial.targets import NetworkPolicy, TargetEnvironment
from sundial.targets.aws import aws_client
from sundial.workqueue import WorkQueue
from sundial.workqueue.config import dead_letter_queue_url, work_queue_url


@functools.cache
def default_executor() -> Executor:
    """The executor wired to the deployment's queues and target policy."""
    settings = executor_settings()
    queue = WorkQueue(
        clients.client("sqs"),
        work_queue_url(settings),
        dead_letter_queue_url(settings),
        requeue_after_receives=settings.requeue_after_receives,
    )
    targets = TargetEnvironment(
        aws=aws_client,
        network=NetworkPolicy(
            allow_loopback=settings.allow_loopback_targets,
            allow_private=settings.allow_private_targets,
        ),
        handler_modules=settings.handler_modules,
    )
    return Executor(queue, targets)


def reset_executor() -> None:
    """Forget the executor (tests and the local stack change settings and endpoints)."""
    default_executor.cache_clear()
