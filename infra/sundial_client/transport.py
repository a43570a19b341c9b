"""One HTTP exchange over the standard library, and how it can fail.

A failure says whether the request can have reached the API, because that decides
whether sending it again is safe:

* `NotSent`: the connection was never made (refused, DNS, TLS): the API saw nothing.
* `AnswerLost`: the request went out but no complete answer came back (a dropped
  connection, a timeout): the API may have handled it.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Answer:
    """A complete HTTP response, whatever its status. Header names are lower case."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Transport(Protocol):
    """Sends one request and returns its answer, or raises NotSent or AnswerLost."""

    def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> Answer: ...


class TransportFailure(Exception):
    """No complete answer; `reason` says why in a few words."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class NotSent(TransportFailure):
    """The request never reached the API."""


class AnswerLost(TransportFailure):
    """The request was sent; its answer was lost. `timed_out` when the wait ran out."""

    def __init__(self, reason: str, *, timed_out: bool = False):
        self.timed_out = timed_out
        super().__init__(reason)


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class UrllibTransport:
    """Sends requests with urllib. A proxy from the environment is for the outside
    world: requests to this machine (`sundial local`) never go through it."""

    def __init__(self, base_url: str, timeout: float):
        self.timeout = timeout
        handlers = [urllib.request.ProxyHandler({})] if is_loopback(base_url) else []
        self._opener = urllib.request.build_opener(*handlers)

    def send(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> Answer:
        request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return Answer(response.status, _lower(response.headers), response.read())
        except urllib.error.HTTPError as error:  # a complete answer with an error status
            return Answer(error.code, _lower(error.headers), error.read())
        except urllib.error.URLError as error:
            # urllib wraps what fails while connecting and sending; only a refused or
            # unresolvable connection surely kept the request from the server.
            reason = error.reason
            if isinstance(reason, TimeoutError | socket.timeout):
                raise AnswerLost("timed out", timed_out=True) from None
            if isinstance(reason, ConnectionRefusedError | socket.gaierror | ssl.SSLError):
                raise NotSent(str(reason)) from None
            raise AnswerLost(str(reason) or type(reason).__name__) from None
        except TimeoutError:
            raise AnswerLost("timed out", timed_out=True) from None
        except (OSError, http.client.HTTPException) as error:  # reset, cut off mid-response
            raise AnswerLost(str(error) or type(error).__name__) from None


def _lower(headers: Any) -> dict[str, str]:
    """`headers` is an email.message.Message (urllib's) or a mapping."""
    return {name.lower(): value for name, value in (headers or {}).items()}
