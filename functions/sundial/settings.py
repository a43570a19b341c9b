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


@dataclass(frozen=True)
class Settings:
    """Everything a function needs to know about the deployment it runs in."""

    tasks_table: str | None = None
    runs_table: str | None = None
    shard_count: int = DEFAULT_SHARD_COUNT
    run_retention_days: int = DEFAULT_RUN_RETENTION_DAYS
    pagination_secret: str = DEV_PAGINATION_SECRET
    region: str | None = None

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
