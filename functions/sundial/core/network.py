"""Which addresses an HTTP target may reach: the pure half of the SSRF guard.

Deciding whether an address is refused needs no network, so it lives here, shared by
the API (a URL whose host is a refused IP literal is refused when the task is created
or updated) and the executor's guard (`sundial.targets.ssrf`, which also
resolves host names at fire time and checks every address they resolve to).

A host that is an IP literal is recognised in *any* spelling a resolver would accept
(`2130706433`, `0x7f.1`, `0177.1`, `[::ffff:7f00:1]`), and IPv4 addresses wrapped in
IPv6 (mapped, NAT64, 6to4, Teredo) are judged by the IPv4 address they carry.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Instance metadata and neighbouring link-local services (AWS IMDS over IPv4 and IPv6,
# the ECS task metadata endpoint, Amazon Time Sync). Refused even where private
# addresses are allowed: they hand out the function's credentials.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",
        "169.254.170.2",
        "169.254.169.123",
        "fd00:ec2::254",
        "fd00:ec2::23",
    )
)
# "This network" (0.0.0.0/8): connecting to it reaches the local host on Linux.
THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
# NAT64 (RFC 6052 well-known prefix and RFC 8215 local-use prefix): IPv6 addresses
# that a NAT64 gateway translates to the IPv4 address in their last 32 bits.
NAT64_PREFIXES = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))

_DECIMAL = re.compile(r"[0-9]+", re.ASCII)
_HEX = re.compile(r"0[xX][0-9a-fA-F]*", re.ASCII)
_HOST_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*", re.ASCII)


@dataclass(frozen=True)
class NetworkPolicy:
    """Which addresses HTTP targets may reach beyond the public internet.

    Instance metadata, link-local, multicast and reserved addresses are refused always.
    """

    allow_loopback: bool = False  # the local stack's targets run on 127.0.0.1
    allow_private: bool = False  # targets inside the VPC or a peered network


class UnusableHost(ValueError):
    """A URL host that can never be requested: not a valid name or address."""


def normalize_host(host: str) -> str:
    """The host as it is resolved and sent: IDNA-encoded, lower case, no trailing dot.

    IDNA maps look-alike characters first (full-width digits become ASCII digits), so a
    literal cannot hide from `parse_ip_literal` behind Unicode.
    """
    if ":" in host:  # an IPv6 literal (urlsplit has removed the brackets)
        return host.lower()
    name = host[:-1] if host.endswith(".") else host
    if not name:
        raise UnusableHost("the URL has no host")
    try:
        name = name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise UnusableHost(f"{host!r} is not a valid host name") from None
    if not _HOST_NAME.fullmatch(name):
        raise UnusableHost(f"{host!r} is not a valid host name")
    return name


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address a host spells, in any form resolvers accept, or None for a name.

    IPv4 follows inet_aton (and the WHATWG URL standard): one to four parts, each
    decimal, octal (leading 0) or hex (0x); the last part fills the remaining bytes,
    so `127.1` and `2130706433` are 127.0.0.1. A host whose last label is a number but
    that is not a valid address is refused rather than resolved.
    """
    if ":" in host:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            raise UnusableHost(f"{host!r} is not a valid IPv6 address") from None
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            raise UnusableHost(f"{host!r} names a network interface (zone index)")
        return address
    labels = host.split(".")
    if not (_DECIMAL.fullmatch(labels[-1]) or _HEX.fullmatch(labels[-1])):
        return None  # a name
    if len(labels) > 4:
        raise UnusableHost(f"{host!r} is not a valid IPv4 address")
    numbers = [_ipv4_part(label, host) for label in labels]
    last = numbers.pop()
    if any(number > 255 for number in numbers) or last >= 256 ** (4 - len(numbers)):
        raise UnusableHost(f"{host!r} is not a valid IPv4 address")
    value = last
    for position, number in enumerate(numbers):
        value += number << (8 * (3 - position))
    return ipaddress.IPv4Address(value)


def _ipv4_part(label: str, host: str) -> int:
    try:
        if _HEX.fullmatch(label):
            return int(label[2:] or "0", 16)
        if _DECIMAL.fullmatch(label):
            return int(label, 8) if len(label) > 1 and label.startswith("0") else int(label)
    except ValueError:  # 08, 09: not octal
        pass
    raise UnusableHost(f"{host!r} is not a valid IPv4 address")


def refusal(address: IPAddress, policy: NetworkPolicy) -> str | None:
    """Why `address` may not be called under `policy` (a predicate), or None."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or _nat64(address)
        if embedded is not None:
            reason = refusal(embedded, policy)
            return None if reason is None else f"maps to {embedded}, which {reason}"
        inner = [address.sixtofour, *(address.teredo or ())]
        for ipv4 in (a for a in inner if a is not None):
            reason = refusal(ipv4, policy)
            if reason is not None:
                return f"embeds {ipv4}, which {reason}"
    if address in METADATA_ADDRESSES:
        return "is a cloud instance metadata address"
    if address.is_unspecified or (address.version == 4 and address in THIS_NETWORK):
        return "is an unspecified address (it reaches the local host)"
    if address.is_loopback:
        return None if policy.allow_loopback else "is a loopback address"
    if address.is_link_local:
        return "is a link-local address"
    if address.is_multicast:
        return "is a multicast address"
    if address.is_reserved:
        return "is a reserved address"
    # fec0::/10, deprecated site-local: still routed privately, yet `is_global` says True.
    if not address.is_global or (address.version == 6 and address.is_site_local):
        return None if policy.allow_private else "is a private address"
    return None


def literal_host_refusal(url: str, policy: NetworkPolicy) -> str | None:
    """Why `url` can never be requested under `policy`, judged without DNS, or None.

    A host that is a refused IP literal (or no valid host at all) is known to fail at
    every fire; a host name may resolve anywhere, and is checked when it fires.
    """
    try:
        host = urlsplit(url).hostname or ""
        literal = parse_ip_literal(normalize_host(host))
    except ValueError as exc:  # UnusableHost included
        return str(exc)
    if literal is None:
        return None
    reason = refusal(literal, policy)
    if reason is None:
        return None
    via = "" if str(literal) == host else f" ({literal})"
    return f"host {host}{via} {reason}"


def _nat64(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if any(address in prefix for prefix in NAT64_PREFIXES):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None
