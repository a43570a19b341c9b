"""What an HTTP target receives (docs/execution.md "HTTP targets"), against a local server.

Loopback is allowed here as in the local stack; the SSRF guard's refusals are in
tests/unit/test_ssrf.py. Nothing here talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from execute_helpers import failures, fire, run_of

from sundial import store
from sundial.targets import NetworkPolicy

# How often the test server checks for shutdown (the standard library's default, 0.5 s,
# is a teardown's wait when the test is done).
POLL_SECONDS = 0.05


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Hook:
    """A local webhook: records requests, answers with `status` (and `headers`)."""

    port: int = 0
    status: int = 200
    reply: bytes = b'{"ok":true}'
    headers: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None
    requests: list[Seen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/run?source=sundial"


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            state.requests.append(
                Seen(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
            )
            if state.hold is not None:
                state.hold.wait(10)
            self.send_response(state.status)
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(state.reply)))
            self.end_headers()
            self.wfile.write(state.reply)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client that gave up (the timeout test) is expected here

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(POLL_SECONDS,), daemon=True)
    thread.start()
    yield state
    if state.hold is not None:
        state.hold.set()
    server.shutdown()
    server.server_close()


SECRET = "whsec_test_secret"


def _http_task(make_task, hook: Hook, *, timeout_seconds: int = 30, **target: Any) -> Any:
    definition = {"type": "http", "url": hook.url, "headers": {"Authorization": "Bearer abc"}}
    definition.update(target)
    item = make_task(
        target=definition,
        payload={"report": "daily", "n": [1, 2]},
        timeout_seconds=timeout_seconds,
    )
    return store.create_task(item)


def test_request_carries_the_contract_headers_body_and_signature(
    make_task, tables, hook, work, deliver
):
    task = _http_task(make_task, hook, signing_secret=SECRET, method="PUT")
    message = fire(task)
    work.send(message)
    before = int(time.time())

    assert failures(deliver(*work.receive())) == []

    (seen,) = hook.requests
    assert (seen.method, seen.path) == ("PUT", "/hooks/run?source=sundial")
    assert seen.body == b'{"report":"daily","n":[1,2]}'
    assert json.loads(seen.body) == {"report": "daily", "n": [1, 2]}
    headers = {name.lower(): value for name, value in seen.headers.items()}
    assert headers["host"] == f"127.0.0.1:{hook.port}"
    assert headers["content-type"] == "application/json"
    assert headers["content-length"] == str(len(seen.body))
    assert headers["idempotency-key"] == message.execution_id
    assert headers["x-sundial-execution-id"] == message.execution_id
    assert headers["x-sundial-task-id"] == task.task_id
    assert headers["x-sundial-scheduled-time"] == "2026-05-28T20:26:40Z"
    assert headers["x-sundial-attempt"] == "1"
    assert headers["authorization"] == "Bearer abc"
    # Verified as a receiver would, independently of the sender's code.
    parts = dict(part.split("=", 1) for part in headers["x-sundial-signature"].split(","))
    signed = f"{parts['t']}.".encode() + seen.body
    expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    assert before - 1 <= int(parts["t"]) <= int(time.time()) + 1
    run = run_of(message)
    assert (run.status, run.result) == ("succeeded", {"status_code": 200, "body": '{"ok":true}'})


def test_no_signature_without_a_secret_and_post_by_default(make_task, tables, hook, work, deliver):
    task = _http_task(make_task, hook)
    work.send(fire(task))

    deliver(*work.receive())

    (seen,) = hook.requests
    assert seen.method == "POST"
    assert "X-Sundial-Signature" not in seen.headers


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (204, "succeeded"),
        (500, "retrying"),
        (503, "retrying"),
        (408, "retrying"),
        (429, "retrying"),
        (400, "failed"),
        (404, "failed"),
        (410, "failed"),
        (301, "failed"),
    ],
)
def test_status_decides_success_retry_or_failure(
    make_task, tables, hook, work, deliver, status, outcome
):
    hook.status = status
    hook.reply = b""
    if status == 301:
        hook.headers = {"Location": "https://elsewhere.example/"}
    task = _http_task(make_task, hook)
    work.send(fire(task))

    deliver(*work.receive())

    assert run_of(fire(task)).status == outcome
    assert len(hook.requests) == 1


def test_retry_after_is_a_floor_under_the_backoff(make_task, tables, hook, work, deliver, sqs):
    hook.status, hook.headers = 429, {"Retry-After": "40"}
    task = _http_task(make_task, hook)
    work.send(fire(task))
    (record,) = work.receive()

    deliver(record)

    assert sqs.visibility_of(record) == [40]  # jittered backoff alone would be 1 s
    assert "429" in run_of(fire(task)).error


def test_named_host_is_resolved_once_and_called_on_the_checked_address(
    make_task, tables, hook, work, deliver, make_executor
):
    answers = {"hooks.internal.test": ["127.0.0.1"]}
    looked_up: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return answers[host]

    task = _http_task(make_task, hook, url=f"http://hooks.internal.test:{hook.port}/x")
    work.send(fire(task))

    deliver(*work.receive(), using=make_executor(resolver=resolver))

    assert looked_up == ["hooks.internal.test"]
    (seen,) = hook.requests
    assert seen.headers["Host"] == f"hooks.internal.test:{hook.port}"
    assert run_of(fire(task)).status == "succeeded"


def test_redirect_to_the_metadata_service_is_not_followed(
    make_task, tables, hook, work, deliver, make_executor
):
    hook.status = 302
    hook.headers = {"Location": "http://metadata.internal.test/latest/meta-data/iam/"}
    answers = {"hooks.internal.test": ["127.0.0.1"], "metadata.internal.test": ["169.254.169.254"]}
    looked_up: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return answers[host]

    task = _http_task(make_task, hook, url=f"http://hooks.internal.test:{hook.port}/x")
    work.send(fire(task))

    deliver(*work.receive(), using=make_executor(resolver=resolver))

    run = run_of(fire(task))
    assert run.status == "failed"
    assert "redirects are not followed" in run.error
    assert len(hook.requests) == 1
    assert looked_up == ["hooks.internal.test"]  # the redirect's host is never even resolved


def test_connection_refused_is_retryable(make_task, tables, work, deliver):
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    item = make_task(target={"type": "http", "url": f"http://127.0.0.1:{port}/"})
    task = store.create_task(item)
    work.send(fire(task))

    deliver(*work.receive())

    run = run_of(fire(task))
    assert run.status == "retrying"
    assert "could not connect" in run.error


def test_a_target_slower_than_the_timeout_times_out_and_is_retried(
    make_task, tables, hook, work, deliver
):
    hook.hold = threading.Event()  # answers only when released
    task = _http_task(make_task, hook, timeout_seconds=1)
    work.send(fire(task))

    deliver(*work.receive())
    hook.hold.set()

    run = run_of(fire(task))
    assert run.status == "retrying"
    assert "did not answer in time" in run.error


def test_loopback_is_refused_unless_the_deployment_allows_it(
    make_task, tables, hook, work, deliver, make_executor
):
    task = _http_task(make_task, hook)
    work.send(fire(task))

    deliver(*work.receive(), using=make_executor(network=NetworkPolicy()))

    run = run_of(fire(task))
    assert (run.status, hook.requests) == ("failed", [])
    assert "loopback" in run.error
