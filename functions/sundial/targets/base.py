"""The one interface every target implements.

A target is a function `invoke(target, invocation, env) -> result`:

* `target` is the validated target model of the task (`sundial.core.task.HttpTarget`, ...);
* `invocation` says which execution this is and carries the payload and the deadline;
* `env` holds what the executor's deployment decides (network policy, resolver, clients).

It returns a JSON-able result on success (kept, truncated, in the run record) and
raises on failure: a `sundial.targets.failures.TargetFailure` when it knows whether a
retry can help, any other exception otherwise (classified by `sundial.execute.retry`).
It must finish by `invocation.deadline`.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sundial.core.clock import utc_rfc3339
from sundial.core.network import NetworkPolicy


@dataclass(frozen=True)
class Invocation:
    """One attempt of one execution, as a target sees it."""

    task_id: str
    tenant: str
    execution_id: str
    fire_at_ms: int  # when the run was due (jitter included): the "scheduled time"
    attempt: int  # 1-based, counting every attempt of the execution (redrives included)
    payload: Any
    deadline: float  # time.monotonic() by which the target must have finished
    coalesced: int = 1  # scheduled fires this run stands for (misfire policy fire_once)

    @property
    def scheduled_time(self) -> str:
        return utc_rfc3339(self.fire_at_ms)

    def remaining_seconds(self) -> float:
        """Seconds left before the deadline (never negative)."""
        return max(0.0, self.deadline - time.monotonic())

    def envelope(self) -> dict[str, Any]:
        """What AWS targets receive: the payload with the ids downstream dedupes on."""
        return {
            "execution_id": self.execution_id,
            "task_id": self.task_id,
            "scheduled_time": self.scheduled_time,
            "attempt": self.attempt,
            "coalesced": self.coalesced,
            "payload": self.payload,
        }


# host, port -> the addresses it resolves to (textual IPv4/IPv6)
Resolver = Callable[[str, int], Sequence[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to through the system resolver, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    addresses: list[str] = []
    for *_, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


class AwsClients(Protocol):
    """boto3 clients by service, region (None: the default) and read timeout (seconds)."""

    def __call__(self, service: str, region: str | None, read_timeout: int) -> Any: ...


@dataclass(frozen=True)
class TargetEnvironment:
    """What the deployment decides for every target run."""

    aws: AwsClients
    network: NetworkPolicy = field(default_factory=NetworkPolicy)
    resolver: Resolver = system_resolver
    handler_modules: tuple[str, ...] = ()


class Target(Protocol):
    """The interface: run `target` for `invocation`; a JSON-able result, or raise."""

    def __call__(self, target: Any, invocation: Invocation, env: TargetEnvironment) -> Any: ...
