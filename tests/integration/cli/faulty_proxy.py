"""A proxy in front of the served API that fails requests on cue, before or after the API
has handled them: what a flaky network or gateway does to a client."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# How often the test server checks for shutdown (the standard library's default, 0.5 s,
# is a teardown's wait when the test is done).
POLL_SECONDS = 0.05

# What the proxy does with a request:
REFUSE_429 = "429"  # answers 429 (Retry-After: 0) without passing the request on
FAIL_503 = "503"  # answers 503 without passing the request on
HANDLED_THEN_502 = "handled-then-502"  # passes it on, then answers 502 instead
HANDLED_THEN_DROPPED = "handled-then-dropped"  # passes it on, then closes without an answer
PASS = "pass"

RATE_LIMITED = b'{"error": {"code": "rate_limited", "message": "Slow down.", "field": null}}'


class FaultyProxy:
    """Forwards to `upstream` (the API's base URL); `faults` are used up one per request,
    then requests pass. `seen` lists (method, path) of every request that reached it."""

    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.faults: list[str] = []
        self.seen: list[tuple[str, str]] = []
        self.url = ""

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        self.seen.append((request.command, request.path))
        fault = self.faults.pop(0) if self.faults else PASS
        if fault == REFUSE_429:
            self._answer(request, 429, RATE_LIMITED, {"Retry-After": "0"})
            return
        if fault == FAIL_503:
            self._answer(request, 503, b"<html>Service Unavailable</html>", {})
            return
        status, body, headers = self._forward(request)
        if fault == HANDLED_THEN_DROPPED:
            request.close_connection = True  # the handler returns without a byte of answer
            return
        if fault == HANDLED_THEN_502:
            self._answer(request, 502, b"<html>Bad Gateway</html>", {})
            return
        self._answer(request, status, body, headers)

    def _forward(self, request: BaseHTTPRequestHandler) -> tuple[int, bytes, dict[str, str]]:
        length = int(request.headers.get("Content-Length") or 0)
        data = request.rfile.read(length) if length else None
        # Path after the stage: the proxy's URL ends in /v1 as the API's does.
        upstream = urllib.request.Request(
            self.upstream + request.path.removeprefix("/v1"),
            data=data,
            method=request.command,
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(upstream, timeout=30) as response:
                return response.status, response.read(), dict(response.headers.items())
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers.items())

    @staticmethod
    def _answer(
        request: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]
    ) -> None:
        request.send_response(status)
        skip = {"content-length", "connection", "transfer-encoding", "date", "server"}
        for name, value in headers.items():
            if name.lower() not in skip:
                request.send_header(name, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)


@contextmanager
def faulty_proxy(upstream: str) -> Iterator[FaultyProxy]:
    proxy = FaultyProxy(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            proxy.handle(self)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(POLL_SECONDS,), daemon=True)
    thread.start()
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
