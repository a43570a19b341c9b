"""What the end-to-end tests share besides fixtures: the tenants' keys, a small HTTP
client for the local stack's API, and a bounded poll. Imported by conftest.py and by
tests that need them at module level."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

# generated: the tenant of the generated-client test, whose redrive takes all its dead letters.
KEYS = {
    "alpha": "key-alpha-0123456789",
    "beta": "key-beta-0123456789",
    "generated": "key-generated-0123456789",
}
STARTUP_SECONDS = 90


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Client:
    base: str
    key: str | None

    def call(
        self, method: str, path: str, body: Any = None, headers: dict | None = None
    ) -> Response:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if self.key:
            request.add_header("Authorization", f"Bearer {self.key}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                raw, status, reply_headers = reply.read(), reply.status, dict(reply.headers)
        except urllib.error.HTTPError as error:
            raw, status, reply_headers = error.read(), error.code, dict(error.headers)
        text = raw.decode()
        try:
            parsed: Any = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return Response(status, reply_headers, parsed)


def _wait_for(condition, timeout: float = 60.0, interval: float = 0.5):
    """Poll until `condition()` is truthy; returns its value (bounded, never forever)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
