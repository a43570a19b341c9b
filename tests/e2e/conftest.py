"""The local stack, started as a user starts it (`sundial local`), driven over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from sundial_local.emulator import free_port
from sundial_local.gateway import BurstTolerantHTTPServer

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


@dataclass
class LocalStackProcess:
    base: str
    process: subprocess.Popen
    output: list[str] = field(default_factory=list)

    def client(self, tenant: str | None) -> Client:
        return Client(self.base, KEYS[tenant] if tenant else None)


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[LocalStackProcess]:
    port = free_port()
    env = {
        **os.environ,
        "SUNDIAL_LOCAL_API_KEYS": ",".join(f"{t}={k}" for t, k in KEYS.items()),
        "PYTHONUNBUFFERED": "1",
    }
    for name in list(env):
        if name.startswith("AWS_"):
            env.pop(name)
    command = [
        sys.executable,
        "-m",
        "sundial_cli",
        "local",
        "--port",
        str(port),
        "--tick",
        "2",
        "--horizon",
        "4",
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    running = LocalStackProcess(f"http://127.0.0.1:{port}/v1", process)
    ready = threading.Event()

    def read_output() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            running.output.append(line)
            if "Press Ctrl-C to stop." in line:
                ready.set()

    threading.Thread(target=read_output, daemon=True).start()
    if not ready.wait(STARTUP_SECONDS):
        process.kill()
        pytest.fail("sundial local did not start:\n" + "".join(running.output))
    yield running
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("sundial local did not stop on SIGTERM")
    assert code == 0, "".join(running.output)


@dataclass
class Received:
    at: float
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """An HTTP target on loopback: records each request; answers with `status_for(path)`."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.statuses: dict[str, int] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                at = time.time()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append(Received(at, "POST", self.path, dict(self.headers), body))
                status = outer.statuses.get(self.path, 200)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = BurstTolerantHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


def _wait_for(condition, timeout: float = 60.0, interval: float = 0.5):
    """Poll until `condition()` is truthy; returns its value (bounded, never forever)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture
def wait_for():
    return _wait_for
