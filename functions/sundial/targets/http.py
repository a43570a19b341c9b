"""HTTP webhook targets: the request every HTTP target receives (docs/execution.md "HTTP targets").

* The method given, body = the task's payload as compact JSON.
* Headers: Content-Type, Idempotency-Key (= execution id), X-Sundial-Task-Id,
  X-Sundial-Execution-Id, X-Sundial-Scheduled-Time (RFC 3339 UTC), X-Sundial-Attempt
  (1-based), the task's own headers, and X-Sundial-Signature
  `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` with a signing secret.
* 2xx succeeds; 5xx, 408, 429, timeouts and connection errors are retried; redirects
  are not followed (the URL must name the final endpoint, as with GitHub's and Stripe's
  webhooks) and fail like other 4xx, at once.

The connection goes to an address the SSRF guard checked (`ssrf.check_url`), never to
a fresh resolution of the host. The whole exchange is bounded by the invocation's
deadline: socket timeouts cover each wait, and a watchdog closes the socket at the
deadline so a server that trickles bytes cannot hold the run past it.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import hmac
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any

from sundial.core import clock
from sundial.core.task import HttpTarget, encode_payload
from sundial.targets.base import Invocation, TargetEnvironment
from sundial.targets.failures import (
    PermanentFailure,
    RetryableFailure,
    TargetTimeout,
    is_retryable_status,
)
from sundial.targets.ssrf import Destination, check_url

# Connecting takes milliseconds when the server is up; waiting longer for a SYN-ACK
# only burns the budget another address (or the next attempt) could use.
CONNECT_TIMEOUT_SECONDS = 10.0
# The start of the response body kept in the run record (for humans debugging a hook).
RESPONSE_PREVIEW_BYTES = 1024
USER_AGENT = "Sundial-Webhook/1"
SIGNATURE_HEADER = "X-Sundial-Signature"


def invoke(target: HttpTarget, invocation: Invocation, env: TargetEnvironment) -> dict[str, Any]:
    """Send the request; `{"status_code", "body"?}` on 2xx, else raise a TargetFailure."""
    body = encode_payload(invocation.payload)
    headers = request_headers(target, invocation, body, unix_seconds=clock.now_ms() // 1000)
    destination = check_url(target.url, env.network, env.resolver)
    response = exchange(destination, target.method, headers, body, invocation.deadline)
    return interpret(response, target.url)


def request_headers(
    target: HttpTarget, invocation: Invocation, body: bytes, *, unix_seconds: int
) -> dict[str, str]:
    """Every header of the request (http.client adds Host and Content-Length)."""
    # User-Agent and Content-Type are defaults a task may replace. Header names are
    # case-insensitive, so a task's `content-type` replaces the default rather than
    # going out beside it.
    own = {name.lower() for name in target.headers}
    defaults = {"User-Agent": USER_AGENT, "Content-Type": "application/json"}
    headers = {name: value for name, value in defaults.items() if name.lower() not in own}
    headers.update(target.headers)
    # Sundial's own headers come last: validation already keeps users from setting
    # them, and this order keeps a stored task from ever overriding them.
    headers.update(
        {
            "Idempotency-Key": invocation.execution_id,
            "X-Sundial-Task-Id": invocation.task_id,
            "X-Sundial-Execution-Id": invocation.execution_id,
            "X-Sundial-Scheduled-Time": invocation.scheduled_time,
            "X-Sundial-Attempt": str(invocation.attempt),
        }
    )
    if target.signing_secret:
        headers[SIGNATURE_HEADER] = signature(target.signing_secret, unix_seconds, body)
    return headers


def signature(secret: str, unix_seconds: int, body: bytes) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

    The timestamp is signed with the body so a receiver can reject replays of an old
    request (compare `t` with its clock) as well as forgeries.
    """
    signed = f"{unix_seconds}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={unix_seconds},v1={digest}"


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: dict[str, str]
    preview: bytes


def exchange(
    destination: Destination, method: str, headers: dict[str, str], body: bytes, deadline: float
) -> Response:
    """One request to one of the checked addresses, finished by `deadline` (monotonic)."""
    sock = _connect(destination, deadline)
    aborted = threading.Event()
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _abort, (sock, aborted))
    watchdog.daemon = True
    watchdog.start()
    connection = _PinnedConnection(destination, sock)
    try:
        sock.settimeout(_remaining(deadline))
        connection.request(method, destination.target, body=body, headers=headers)
        raw = connection.getresponse()
        preview = raw.read(RESPONSE_PREVIEW_BYTES)
        return Response(
            raw.status, raw.reason, {k.lower(): v for k, v in raw.getheaders()}, preview
        )
    except TimeoutError:
        raise TargetTimeout(f"{destination.host} did not answer in time") from None
    except (OSError, http.client.HTTPException) as exc:
        if aborted.is_set():
            raise TargetTimeout(f"{destination.host} did not answer in time") from None
        raise RetryableFailure(f"request to {destination.host} failed: {_describe(exc)}") from None
    finally:
        watchdog.cancel()
        connection.close()


def _connect(destination: Destination, deadline: float) -> socket.socket:
    """A connected (and for https, TLS-wrapped) socket to the first reachable address."""
    errors: list[str] = []
    for address in destination.addresses:
        remaining = _remaining(deadline)
        try:
            sock = socket.create_connection(
                (str(address), destination.port), timeout=min(CONNECT_TIMEOUT_SECONDS, remaining)
            )
        except TimeoutError:
            errors.append(f"{address}: timed out")
            continue
        except OSError as exc:
            errors.append(f"{address}: {_describe(exc)}")
            continue
        if destination.scheme != "https":
            return sock
        try:
            sock.settimeout(_remaining(deadline))
            # SNI and certificate verification name the URL's host, not the address.
            return _tls_context().wrap_socket(sock, server_hostname=destination.host)
        except (OSError, ssl.SSLError) as exc:
            sock.close()
            errors.append(f"{address}: TLS: {_describe(exc)}")
    raise RetryableFailure(
        f"could not connect to {destination.host}:{destination.port} ({'; '.join(errors)})"
    )


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TargetTimeout("the run's time budget ran out")
    return remaining


def _abort(sock: socket.socket, aborted: threading.Event) -> None:
    aborted.set()
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv/send in the run's thread


_context_lock = threading.Lock()
_context: ssl.SSLContext | None = None


def _tls_context() -> ssl.SSLContext:
    # Built once: loading the CA bundle takes milliseconds we would pay per request.
    global _context
    with _context_lock:
        if _context is None:
            _context = ssl.create_default_context()
        return _context


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection over a socket opened to a checked address.

    `host` stays the URL's host, so the Host header names it (with the port when it is
    not the scheme's default).
    """

    def __init__(self, destination: Destination, sock: socket.socket):
        super().__init__(destination.host, destination.port)
        self.default_port = 443 if destination.scheme == "https" else 80
        self.sock = sock

    def connect(self) -> None:  # the socket is connected already; never reconnect
        if self.sock is None:
            raise RetryableFailure("connection closed before the response")


def interpret(response: Response, url: str) -> dict[str, Any]:
    """The run's result for a 2xx response, else the TargetFailure the status means."""
    status = response.status
    text = response.preview.decode("utf-8", errors="replace")
    if 200 <= status < 300:
        return {"status_code": status, "body": text} if text else {"status_code": status}
    summary = f"HTTP {status} {response.reason}".rstrip()
    detail = f": {text[:200]}" if text else ""
    if 300 <= status < 400:
        location = response.headers.get("location", "")
        raise PermanentFailure(
            f"{summary} from {url}: redirects are not followed (to {location!r}); "
            "set the task's URL to the final endpoint"
        )
    if is_retryable_status(status):
        raise RetryableFailure(
            f"{summary} from {url}{detail}",
            retry_after_seconds=retry_after_seconds(response.headers.get("retry-after")),
        )
    raise PermanentFailure(f"{summary} from {url}{detail}")


def retry_after_seconds(value: str | None, *, now: float | None = None) -> int | None:
    """A `Retry-After` header (delay-seconds or an HTTP date) as whole seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = clock.now_ms() / 1000 if now is None else now
    return max(0, int(when.timestamp() - now + 0.999))


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
