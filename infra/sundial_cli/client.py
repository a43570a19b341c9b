"""A small client for the Sundial HTTP API, on the standard library alone.

Errors become CLI errors: an error response is `Rejected` with its envelope's code,
field and message; no response at all is `Unreachable`.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from sundial_cli.errors import Rejected, Unreachable

DEFAULT_URL = "http://127.0.0.1:8080/v1"
DEFAULT_TIMEOUT_SECONDS = 30.0
USER_AGENT = "sundial-cli/1"
# How much of a body that is not the API's error envelope (a proxy's HTML page) an
# error quotes.
MAX_QUOTED_BODY = 200


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: Any


def check_base_url(url: str) -> str:
    """`url` without a trailing slash; ValueError unless it is an http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http:// or https:// URL such as {DEFAULT_URL}")
    return url.rstrip("/")


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ApiClient:
    """Calls `<base_url><path>` with `Authorization: Bearer <key>` (when a key is set)."""

    def __init__(self, base_url: str, key: str | None, timeout: float = DEFAULT_TIMEOUT_SECONDS):
        self.base_url = check_base_url(base_url)
        self.key = key
        self.timeout = timeout
        # A proxy from the environment is for the outside world; `sundial local` on this
        # machine must not be sent through it.
        self._local = _is_loopback(urlsplit(base_url).hostname)
        handlers = [urllib.request.ProxyHandler({})] if self._local else []
        self._opener = urllib.request.build_opener(*handlers)

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """The decoded reply of a 2xx response; raises Rejected or Unreachable otherwise."""
        url = self.base_url + path
        params = {k: v for k, v in (query or {}).items() if v is not None}
        if params:
            url += "?" + urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        request.add_header("User-Agent", USER_AGENT)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.key:
            request.add_header("Authorization", f"Bearer {self.key}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                reply = Reply(response.status, _headers(response.headers), _decode(response.read()))
        except urllib.error.HTTPError as error:
            raise self._rejected(error.code, error.read()) from None
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, TimeoutError | socket.timeout):
                raise self._timed_out() from None
            hint = " (is `sundial local` running?)" if self._local else ""
            raise Unreachable(
                f"cannot reach the Sundial API at {self.base_url}: {reason}{hint}"
            ) from None
        except TimeoutError:
            raise self._timed_out() from None
        except (OSError, http.client.HTTPException) as error:  # reset, cut off mid-response
            reason = str(error) or type(error).__name__
            raise Unreachable(f"lost the connection to {self.base_url}: {reason}") from None
        if reply.body is not None and not isinstance(reply.body, dict):
            raise Rejected(
                f"http_{reply.status}",
                f"{self.base_url}{path} did not answer with JSON: is {self.base_url} the "
                "Sundial API (with its stage, e.g. /v1)?",
                status=reply.status,
            )
        return reply

    def collect(
        self, path: str, items_key: str, query: Mapping[str, Any], *, every_page: bool
    ) -> tuple[list[Any], str | None]:
        """A page of a list route and its next_token; with `every_page`, every page after
        it too (following next_token to the end, where it is null)."""
        params = dict(query)
        found: list[Any] = []
        while True:
            body = self.call("GET", path, query=params).body
            found += body.get(items_key) or []
            token = body.get("next_token")
            if not every_page or not token:
                return found, token
            params["next_token"] = token

    def _timed_out(self) -> Unreachable:
        return Unreachable(
            f"no answer from the Sundial API at {self.base_url} within {self.timeout:g} s"
        )

    def _rejected(self, status: int, raw: bytes) -> Rejected:
        body = _decode(raw)
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            message = str(error.get("message") or "")
            if status == 401 and not self.key:
                message += " (no API key given: pass --key or set SUNDIAL_API_KEY)"
            return Rejected(error["code"], message, error.get("field"), status=status)
        text = body if isinstance(body, str) else json.dumps(body)
        text = " ".join(text.split())[:MAX_QUOTED_BODY] or "(empty body)"
        return Rejected(
            f"http_{status}", f"unexpected response from {self.base_url}: {text}", status=status
        )


def task_path(task_id: str, action: str = "") -> str:
    """`/tasks/<id>[/action]`, the id quoted so that no id can reach another route."""
    return f"/tasks/{quote(task_id, safe='')}" + (f"/{action}" if action else "")


def _headers(message: Message) -> dict[str, str]:
    return {name.lower(): value for name, value in message.items()}


def _decode(raw: bytes) -> Any:
    text = raw.decode("utf-8", "replace")
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
