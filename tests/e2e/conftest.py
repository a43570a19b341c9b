"""The local stack, started as a user starts it (`sundial local`), driven over HTTP."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from e2e_harness import KEYS, Client, _wait_for, start_local
from sundial_local.emulator import free_port
from sundial_local.gateway import BurstTolerantHTTPServer


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
    keys = ",".join(f"{t}={k}" for t, k in KEYS.items())
    output: list[str] = []
    args = ["--port", str(port), "--tick", "2", "--horizon", "4"]
    process = start_local(args, {"SUNDIAL_LOCAL_API_KEYS": keys}, output)
    running = LocalStackProcess(f"http://127.0.0.1:{port}/v1", process, output)
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


@pytest.fixture
def wait_for():
    return _wait_for
