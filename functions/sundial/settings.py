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
            dispatch_page_size=_int(
                env, "DISPATCH_PAGE_SIZE", DEFAULT_DISPATCH_PAGE_SIZE, 1, 1000
            ),
            dispatch_reserve_ms=_int(
                env, "DISPATCH_RESERVE_MS", DEFAULT_DISPATCH_RESERVE_MS, 0, None
            ),
            max_continuations=_int(env, "MAX_CONTINUATIONS", DEFAULT_MAX_CONTINUATIONS, 0, 1000),
        )


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


@functools.cache
def get_settings() -> Settings:
    """The settings of this process, parsed once."""
    return Settings.from_env()


def reset_settings() -> None:
    """Forget the parsed settings so the next `get_settings()` reads the environment again.

    For tests and the local stack, which change the environment after import.
    """
    get_settings.cache_clear()
