"""How store keys and execution ids are spelled."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import quote

from sundial.store.models import NAME_CLAIM_PREFIX

# DynamoDB's limit on a partition key value; longer keys are rejected by the service.
MAX_PARTITION_KEY_BYTES = 2048
# Fire keys are zero-padded epoch ms so that string order is time order (runs listed
# newest first with a plain descending query); 15 digits last until the year 33658.
FIRE_KEY_DIGITS = 15
MANUAL_MARKER = "manual"


class RunKey(NamedTuple):
    """Where a run lives (`task_id`, `fire_key`) and what it is called (`execution_id`)."""

    task_id: str
    fire_key: str
    execution_id: str


def run_key(task_id: str, fire_at_ms: int, manual_id: str | None = None) -> RunKey:
    """The keys of a scheduled fire (`manual_id` None) or a manual trigger (`manual_id` a ULID).

    A scheduled fire and a backfill of the same time get the same key, so a backfill
    never repeats a run that already happened; manual triggers never collide.
    """
    if fire_at_ms < 0:
        raise ValueError(f"fire time {fire_at_ms} is before the epoch")
    padded = f"{fire_at_ms:0{FIRE_KEY_DIGITS}d}"
    if manual_id is None:
        return RunKey(task_id, padded, f"{task_id}:{fire_at_ms}")
    return RunKey(
        task_id,
        f"{padded}:{MANUAL_MARKER}:{manual_id}",
        f"{task_id}:{MANUAL_MARKER}:{manual_id}",
    )


def name_claim_key(tenant: str, name: str) -> str:
    """The key of the item reserving `name` within `tenant`.

    The tenant is percent-encoded so that `#` in a tenant cannot make two
    (tenant, name) pairs spell the same key; the name comes last and needs no escaping.
    """
    key = f"{NAME_CLAIM_PREFIX}{quote(tenant, safe='')}#{name}"
    if len(key.encode("utf-8")) > MAX_PARTITION_KEY_BYTES:
        raise ValueError("tenant and name are too long to claim")
    return key


def is_task_key(task_id: str) -> bool:
    """Whether `task_id` can be the key of a task item (and not of a name claim or lease).

    Task ids are ULIDs; every other item in the tasks table has a `#` in its key.
    """
    return (
        bool(task_id)
        and "#" not in task_id
        and len(task_id.encode("utf-8")) <= MAX_PARTITION_KEY_BYTES
    )
