"""SSRF spellings beyond tests/unit/test_ssrf.py's list: IPv4-compatible and SIIT IPv6,
local-use NAT64, Teredo, benchmarking and protocol-assignment ranges, cloud metadata
names, and URL parser confusion. Each must be refused before any connection."""

from __future__ import annotations

import pytest

from sundial.targets.base import NetworkPolicy
from sundial.targets.ssrf import RefusedDestination, check_url

DNS = {
    "metadata.google.internal": ["169.254.169.254"],
    "instance-data.ec2.internal": ["169.254.169.254"],
    "localhost.localdomain": ["127.0.0.1"],
    "app.localhost": ["127.0.0.1"],
    "hooks.example.com": ["93.184.215.14"],
    "v6only.example.com": ["::ffff:169.254.169.254"],
    "rebind.example.com": ["93.184.215.14", "127.0.0.1"],
}


def resolver(host: str, port: int) -> list[str]:
    if host not in DNS:
        raise OSError(f"Name or service not known: {host}")
    return DNS[host]


MORE_REFUSED = [
    "http://[::127.0.0.1]/",  # IPv4-compatible IPv6 (deprecated, still routable by some stacks)
    "http://[::a9fe:a9fe]/",
    "http://[::ffff:0:a9fe:a9fe]/",  # SIIT
    "http://[0:0:0:0:0:ffff:169.254.169.254]/",
    "http://[64:ff9b:1::a9fe:a9fe]/",  # local-use NAT64
    "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::]/",  # 6to4 of loopback
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
    "http://[100::1]/",  # discard-only
    "http://[2001:db8::1]/",  # documentation
    "http://[0::1]/",
    "http://[fd00:ec2::23]/",  # EC2 IPv6 DNS / metadata neighbourhood
    "http://192.0.0.170/",  # protocol assignments (NAT64 discovery)
    "http://198.18.0.1/",  # benchmarking
    "http://192.0.2.1/",
    "http://100.100.100.200/",  # Alibaba metadata (shared address space)
    "http://169.254.0.1/",
    "http://169.254.169.254:80/",
    "http://127.000.000.001/",
    "http://0x7f.0x0.0x0.0x1/",
    "http://[::ffff:127.0.0.1]:8080/",
    "https://[::]:443/",
    "http://0.0.0.0:8080/",
    "http://[::1%2511]/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://instance-data.ec2.internal/",
    "http://localhost.localdomain/",
    "http://app.localhost/",
    "http://v6only.example.com/",
    "http://rebind.example.com/",  # any private answer refuses the name
    # parser confusion: what the guard checks must be what the client connects to
    "http://169.254.169.254#@hooks.example.com/",
    "http://169.254.169.254?@hooks.example.com/",
    "http://hooks.example.com@169.254.169.254/",
    "http://169.254.169.254%2f@hooks.example.com/",
    "http://169.254.169.254\\@hooks.example.com/",
    "HTTP://169.254.169.254/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    "dict://127.0.0.1:11211/stats",
]


@pytest.mark.parametrize("url", MORE_REFUSED)
def test_refused_before_connecting(url: str) -> None:
    with pytest.raises(RefusedDestination):
        check_url(url, NetworkPolicy(), resolver)


def test_site_local_ipv6_is_refused() -> None:
    with pytest.raises(RefusedDestination):
        check_url("http://[fec0::1]/", NetworkPolicy(), resolver)


def test_a_public_name_is_still_allowed() -> None:
    destination = check_url("https://hooks.example.com/x", NetworkPolicy(), resolver)
    assert [str(a) for a in destination.addresses] == ["93.184.215.14"]
