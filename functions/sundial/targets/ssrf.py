"""The SSRF guard of HTTP targets: where a webhook URL may lead, decided once, then pinned.

A task's URL is user input, and the executor runs inside the operator's AWS account,
next to the instance metadata service and the VPC. So, before any request:

1. the host is normalised (IDNA, lower case, one trailing dot) and, when it is an IP
   literal in *any* spelling a resolver would accept (`2130706433`, `0x7f.1`, `0177.1`,
   `[::ffff:7f00:1]`), parsed as one rather than handed to a resolver;
2. otherwise it is resolved once, with the injected resolver;
3. every resulting address is checked: loopback, private, shared, link-local,
   multicast, reserved, unspecified and cloud metadata addresses are refused,
   including IPv4 addresses wrapped in IPv6 (mapped, NAT64, 6to4, Teredo); one refused
   address refuses the URL (DNS that mixes public and private answers is an attack);
4. the request then connects to a checked address (never resolving again, so a DNS
   answer that changes in between, "DNS rebinding", changes nothing), with the original
   host in the Host header and TLS SNI (see `http.py`).

Steps 1 and 3 need no network: they are `sundial.core.network`'s, which the API also
uses to refuse a literal address when a task is created or updated.

Redirects are not followed at all (`http.py`), so a redirect cannot lead anywhere else.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from sundial.core.network import (
    IPAddress,
    NetworkPolicy,
    UnusableHost,
    normalize_host,
    parse_ip_literal,
    refusal,
)
from sundial.targets.base import Resolver
from sundial.targets.failures import PermanentFailure, RetryableFailure

DEFAULT_PORTS = {"http": 80, "https": 443}


class RefusedDestination(PermanentFailure):
    """The URL leads to an address the executor may not call."""


@dataclass(frozen=True)
class Destination:
    """A checked URL: connect to one of `addresses`, naming `host` in Host and SNI."""

    scheme: str
    host: str
    port: int
    target: str  # path and query, as the request line carries them
    addresses: tuple[IPAddress, ...]


def check_url(url: str, policy: NetworkPolicy, resolver: Resolver) -> Destination:
    """Where `url` may be requested, or RefusedDestination saying why not.

    A host that cannot be resolved raises RetryableFailure (DNS outages pass).
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RefusedDestination(f"{url!r} is not a valid URL") from None
    if parts.scheme not in DEFAULT_PORTS:
        raise RefusedDestination(f"{url!r} must use http or https")
    if parts.username is not None or parts.password is not None:
        raise RefusedDestination(
            "credentials in the URL are not sent; use an Authorization header instead"
        )
    try:
        host = normalize_host(parts.hostname or "")
        literal = parse_ip_literal(host)
    except UnusableHost as exc:
        raise RefusedDestination(str(exc)) from None
    port = port if port is not None else DEFAULT_PORTS[parts.scheme]
    addresses = [literal] if literal is not None else _resolve(host, port, resolver)
    for address in addresses:
        reason = refusal(address, policy)
        if reason is not None:
            shown = host if literal is None else parts.hostname
            via = "" if literal is not None and str(literal) == host else f" ({address})"
            raise RefusedDestination(f"target host {shown}{via} {reason}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme, host, port, target, tuple(addresses))


def _resolve(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    try:
        answers = list(resolver(host, port))
    except OSError as exc:
        raise RetryableFailure(f"could not resolve {host}: {exc}") from None
    if not answers:
        raise RetryableFailure(f"{host} resolved to no address")
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            addresses.append(ipaddress.ip_address(answer))
        except ValueError:
            raise RefusedDestination(f"{host} resolved to {answer!r}, not an address") from None
    return addresses
