"""What the end-to-end tests share besides fixtures: the tenants' keys, a small HTTP
client for the local stack's API, a bounded poll, and `sundial local` started as a user
starts it. Imported by conftest.py and by tests that need them at module level."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

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


def start_local(
    args: list[str], env: Mapping[str, str], output: list[str], *, leave_out: tuple[str, ...] = ()
) -> subprocess.Popen:
    """`sundial local <args>` in a process of its own, once it says it is ready.

    Its output (stdout and stderr) is appended to `output` as it comes. The environment
    is this one without AWS_* variables (and `leave_out`), plus `env`: the stack sets
    its own fake credentials.
    """
    base = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") and name not in leave_out
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "sundial_cli", "local", *args],
        env={**base, "PYTHONUNBUFFERED": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready = threading.Event()

    def read_output() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if "Press Ctrl-C to stop." in line:
                ready.set()

    threading.Thread(target=read_output, daemon=True).start()
    if not ready.wait(STARTUP_SECONDS):
        process.kill()
        pytest.fail(f"sundial local {' '.join(args)} did not start:\n" + "".join(output))
    return process
