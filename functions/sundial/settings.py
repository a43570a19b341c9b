"""Deployment settings, parsed from environment variables in this one place.

`template.yaml` sets these variables on every function (Globals); the local stack
and the tests set them (or call `sundial.store.bind_tables`) before the first use.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass

# Only for laptops and tests. A deployment must set PAGINATION_SECRET (the HMAC key of
# page tokens) to a generated secret through template.yaml, otherwise anyone who reads
# this file could forge page tokens.
DEV_PAGINATION_SECRET = "sundial-dev-pagination-secret-not-for-production"

DEFAULT_SHARD_COUNT = 16
# The due index partition key is a number 0..S-1; template.yaml allows 1..256.
MAX_SHARD_COUNT = 256
DEFAULT_RUN_RETENTION_DAYS = 30
# The dispatcher runs every 60 s; a horizon longer than the tick lets a late tick still
# enqueue fires before they are due (DESIGN.md §3).
DEFAULT_HORIZON_SECONDS = 90
DEFAULT_DISPATCH_THREADS = 8
# Items per due-index page: one page is planned, sent and committed before the next.
DEFAULT_DISPATCH_PAGE_SIZE = 100
# Time a sweep keeps in hand when it stops taking new pages: enough to send and commit
# the page it is on.
DEFAULT_DISPATCH_RESERVE_MS = 10_000
# Chained self-invocations after an outage; bounds the damage of a bug that never drains.
DEFAULT_MAX_CONTINUATIONS = 10
# How callers authenticate (API.md "Base, auth, errors"): a bearer key looked up by the
# authorizer, or SigV4 with the caller's IAM principal as the tenant.
AUTH_MODE_API_KEY = "API_KEY"
AUTH_MODE_IAM = "IAM"
AUTH_MODES = (AUTH_MODE_API_KEY, AUTH_MODE_IAM)
# A retried create with the same Idempotency-Key returns the first response for this
# long: a day covers any client retry loop, as Stripe's keys do.
DEFAULT_IDEMPOTENCY_TTL_SECONDS = 86_400
# The executor returns a message to the queue (backoff, a lease, a buffered overlap) by
# hiding it; every return is one more receive, and the work queue's redrive policy moves
# a message to the dead-letter queue after maxReceiveCount (10) receives. From this
# receive on, the executor sends a fresh copy instead, so only poison messages that
# crash the executor ever reach that count.
DEFAULT_REQUEUE_AFTER_RECEIVES = 5


@dataclass(frozen=True)
class Settings:
    """Everything a function needs to know about the deployment it runs in."""

    tasks_table: str | None = None
    runs_table: str | None = None
    shard_count: int = DEFAULT_SHARD_COUNT
    run_retention_days: int = DEFAULT_RUN_RETENTION_DAYS
    pagination_secret: str = DEV_PAGINATION_SECRET
    region: str | None = None
    work_queue_url: str | None = None
    dead_letter_queue_url: str | None = None
    horizon_seconds: int = DEFAULT_HORIZON_SECONDS
    dispatch_threads: int = DEFAULT_DISPATCH_THREADS
    dispatch_page_size: int = DEFAULT_DISPATCH_PAGE_SIZE
    dispatch_reserve_ms: int = DEFAULT_DISPATCH_RESERVE_MS
    max_continuations: int = DEFAULT_MAX_CONTINUATIONS
    # "invoke": a backlog is continued by an asynchronous self-invocation (deployed);
    # "return": the handler returns the continuation event for its caller to run (the
    # local stack's tick loop, which has no Lambda service to invoke).
    continuation_mode: str = "invoke"
    auth_mode: str = AUTH_MODE_API_KEY
    keys_table: str | None = None
    idempotency_table: str | None = None
    idempotency_ttl_seconds: int = DEFAULT_IDEMPOTENCY_TTL_SECONDS
    # executor: HTTP targets on loopback (the local stack) / private networks are refused
    # unless allowed; instance metadata and link-local addresses are refused always.
    allow_loopback_targets: bool = False
    allow_private_targets: bool = False
    # modules imported before a `handler` target runs, so their @task handlers register
    handler_modules: tuple[str, ...] = ()
    requeue_after_receives: int = DEFAULT_REQUEUE_AFTER_RECEIVES

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Parse settings from `env` (default: the process environment).

        Raises ValueError naming the variable when a value cannot be used.
        """
        env = os.environ if env is None else env
        return cls(
            tasks_table=env.get("TASKS_TABLE") or None,
            runs_table=env.get("RUNS_TABLE") or None,
            shard_count=_int(env, "SHARD_COUNT", DEFAULT_SHARD_COUNT, 1, MAX_SHARD_COUNT),
            run_retention_days=_int(env, "RUN_RETENTION_DAYS", DEFAULT_RUN_RETENTION_DAYS, 1, None),
            pagination_secret=env.get("PAGINATION_SECRET") or DEV_PAGINATION_SECRET,
            # Lambda sets both; botocore itself only reads AWS_DEFAULT_REGION.
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
            work_queue_url=env.get("WORK_QUEUE_URL") or None,
            dead_letter_queue_url=env.get("DEAD_LETTER_QUEUE_URL") or None,
            horizon_seconds=_int(env, "HORIZON_SECONDS", DEFAULT_HORIZON_SECONDS, 1, 840),
            dispatch_threads=_int(env, "DISPATCH_THREADS", DEFAULT_DISPATCH_THREADS, 1, 256),
            dispatch_page_size=_int(env, "DISPATCH_PAGE_SIZE", DEFAULT_DISPATCH_PAGE_SIZE, 1, 1000),
            dispatch_reserve_ms=_int(
                env, "DISPATCH_RESERVE_MS", DEFAULT_DISPATCH_RESERVE_MS, 0, None
            ),
            max_continuations=_int(env, "MAX_CONTINUATIONS", DEFAULT_MAX_CONTINUATIONS, 0, 1000),
            continuation_mode=_choice(env, "CONTINUATION_MODE", ("invoke", "return")),
            auth_mode=_choice(env, "AUTH_MODE", AUTH_MODES),
            keys_table=env.get("KEYS_TABLE") or None,
            idempotency_table=env.get("IDEMPOTENCY_TABLE") or None,
            idempotency_ttl_seconds=_int(
                env, "IDEMPOTENCY_TTL_SECONDS", DEFAULT_IDEMPOTENCY_TTL_SECONDS, 60, None
            ),
            allow_loopback_targets=_bool(env, "ALLOW_LOOPBACK_TARGETS"),
            allow_private_targets=_bool(env, "ALLOW_PRIVATE_TARGETS"),
            handler_modules=_names(env, "HANDLER_MODULES"),
            requeue_after_receives=_int(
                env, "REQUEUE_AFTER_RECEIVES", DEFAULT_REQUEUE_AFTER_RECEIVES, 1, 9
            ),
        )


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    """One of `choices` (the first is the default), case-insensitively."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return choices[0]
    for choice in choices:
        if raw.upper() == choice.upper():
            return choice
    raise ValueError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {bounds}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str) -> bool:
    """`true`/`false` (any case; also 1/0, yes/no), false when unset."""
    raw = (env.get(name) or "").strip().lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise ValueError(f"{name} must be true or false, got {raw!r}")


def _names(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list of dotted Python names (module paths)."""
    names = tuple(part.strip() for part in (env.get(name) or "").split(",") if part.strip())
    for item in names:
        if not all(piece.isidentifier() for piece in item.split(".")):
            raise ValueError(f"{name} must list dotted module names, got {item!r}")
    return names


@functools.cache
def get_settings() -> Settings:
    """The settings of this process, parsed once."""
    return Settings.from_env()


def reset_settings() -> None:
    """Forget the parsed settings so the next `get_settings()` reads the environment again.

    For tests and the local stack, which change the environment after import.
    """
    get_settings.cache_clear()
