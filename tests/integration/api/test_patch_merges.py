"""PATCH without If-Match merges into the latest version: concurrent PATCHes all succeed
and every change is present."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from api_client import Api

# One PATCH per field, so every change can be seen in the end; `retry` and `misfire`
# merge field by field.
CHANGES: list[dict[str, Any]] = [
    {"description": "changed"},
    {"timeout_seconds": 45},
    {"jitter_seconds": 7},
    {"overlap": "skip"},
    {"payload": {"changed": True}},
    {"tags": {"team": "data"}},
    {"name": "renamed"},
    {"retry": {"max_attempts": 9}},
    {"retry": {"backoff_seconds": 5}},
    {"retry": {"max_backoff_seconds": 600}},
    {"retry": {"max_event_age_seconds": 7200}},
    {"misfire": {"grace_seconds": 120}},
    {"misfire": {"policy": "fire_all"}},
]


def test_concurrent_patches_without_if_match_all_succeed_and_every_change_is_present(
    api: Api,
) -> None:
    task = api.create()

    def patch(change: dict[str, Any]) -> int:
        return api.call("PATCH", f"/tasks/{task['id']}", change).status

    with ThreadPoolExecutor(max_workers=len(CHANGES)) as pool:
        statuses = list(pool.map(patch, CHANGES))

    assert statuses == [200] * len(CHANGES)
    final = api.call("GET", f"/tasks/{task['id']}").body
    assert final["version"] == 1 + len(CHANGES)  # each PATCH wrote one version
    for change in CHANGES:
        for field, value in change.items():
            if isinstance(value, dict) and field in ("retry", "misfire"):
                assert value.items() <= final[field].items(), (field, final[field])
            else:
                assert final[field] == value, (field, final[field])
