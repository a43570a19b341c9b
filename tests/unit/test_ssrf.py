"""The SSRF guard of HTTP targets (loopback, private, link-local and metadata
addresses are refused unless the deployment allows them).

Sockets are disabled for unit tests, and every name goes through an injected resolver:
nothing here resolves or connects for real.
"""

from __future__ import annotations

import ipaddress

import pytest

from sundial.targets.base import NetworkPolicy
from sundial.targets.failures import RetryableFailure
from sundial.targets.ssrf import RefusedDestination, check_url, parse_ip_literal

PUBLIC = NetworkPolicy()
LOCAL_STACK = NetworkPolicy(allow_loopback=True)
IN_VPC = NetworkPolicy(allow_private=True)

DNS = {
    "hooks.example.com": ["93.184.215.14"],
    "api.example.org": ["2606:4700:4700::1111", "1.1.1.1"],
    "internal.example.com": ["10.1.2.3"],
    "localhost": ["127.0.0.1", "::1"],
    "127.0.0.1.nip.io": ["127.0.0.1"],
    "metadata.example.com": ["169.254.169.254"],
    "mixed.example.com": ["93.184.215.14", "192.168.0.10"],
    "mapped.example.com": ["::ffff:10.0.0.1"],
    "ula.example.com": ["fd12:3456:789a::1"],
}


class Resolver:
    """Answers from DNS above, counting lookups; unknown names fail like NXDOMAIN."""

    def __init__(self) -> None:
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in DNS:
            raise OSError(f"[Errno -2] Name or service not known: {host}")
        return DNS[host]


REFUSED = [
    # loopback, in every spelling a resolver would accept
    "http://127.0.0.1/",
    "http://127.0.0.1:8080/admin",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://017700000001/",
    "http://0177.0.0.1/",
    "http://127.0.0.1./",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/",  # full-width digits
    "http://localhost/",
    "http://127.0.0.1.nip.io/",
    # instance metadata and link-local
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/",
    "http://0251.0376.0251.0376/",
    "http://2852039166/",
    "http://169.254.170.2/v2/credentials",
    "http://[fd00:ec2::254]/",
    "http://[fe80::1]/",
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "http://[2002:a9fe:a9fe::]/",  # 6to4 of 169.254.169.254
    "http://metadata.example.com/",
    # private, shared and unique-local
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://[fc00::1]/",
    "http://internal.example.com/",
    "http://mixed.example.com/",  # one private answer refuses the name
    "http://mapped.example.com/",
    # unspecified, multicast, broadcast, reserved
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://255.255.255.255/",
    "http://240.0.0.1/",
    # not addresses at all, though they end in a number
    "http://1.2.3.4.5/",
    "http://08.0.0.1/",
    "http://example.123/",
    "http://256.1.1.1/",
    # other smuggling
    "http://user:pass@hooks.example.com/",
    "http://[fe80::1%25eth0]/",
    "ftp://hooks.example.com/",
]


def test_at_least_25_kinds_of_refusal_are_covered():
    assert len(REFUSED) >= 25


@pytest.mark.parametrize("url", REFUSED)
def test_refused(url: str) -> None:
    with pytest.raises(RefusedDestination):
        check_url(url, PUBLIC, Resolver())


ALLOWED = [
    ("https://hooks.example.com/hook", "hooks.example.com", 443, "/hook", ["93.184.215.14"]),
    ("http://8.8.8.8/", "8.8.8.8", 80, "/", ["8.8.8.8"]),
    ("http://134744072/", "134744072", 80, "/", ["8.8.8.8"]),  # 8.8.8.8, one number
    (
        "https://api.example.org:8443/v1/x?a=1&b=2",
        "api.example.org",
        8443,
        "/v1/x?a=1&b=2",
        ["2606:4700:4700::1111", "1.1.1.1"],
    ),
    ("http://[2606:4700:4700::1111]/", "2606:4700:4700::1111", 80, "/", ["2606:4700:4700::1111"]),
    ("http://[::ffff:8.8.8.8]/", "::ffff:8.8.8.8", 80, "/", ["::ffff:8.8.8.8"]),
    ("https://HOOKS.Example.COM./hook", "hooks.example.com", 443, "/hook", ["93.184.215.14"]),
]


@pytest.mark.parametrize(("url", "host", "port", "target", "addresses"), ALLOWED)
def test_public_destinations_are_allowed_and_pinned(url, host, port, target, addresses):
    destination = check_url(url, PUBLIC, Resolver())
    assert (destination.host, destination.port, destination.target) == (host, port, target)
    assert destination.addresses == tuple(ipaddress.ip_address(a) for a in addresses)


def test_a_name_is_resolved_exactly_once():
    resolver = Resolver()
    check_url("https://api.example.org/", PUBLIC, resolver)
    assert resolver.lookups == ["api.example.org"]


def test_ip_literals_are_never_handed_to_the_resolver():
    resolver = Resolver()
    for url in ("http://8.8.8.8/", "http://0x08080808/", "http://[2606:4700:4700::1111]/"):
        check_url(url, PUBLIC, resolver)
    assert resolver.lookups == []


def test_the_local_stack_may_call_loopback_but_never_metadata():
    for url in ("http://127.0.0.1:8080/", "http://localhost/", "http://[::1]/", "http://0x7f.1/"):
        assert check_url(url, LOCAL_STACK, Resolver()).addresses
    for url in ("http://169.254.169.254/", "http://10.0.0.1/", "http://0.0.0.0/"):
        with pytest.raises(RefusedDestination):
            check_url(url, LOCAL_STACK, Resolver())


def test_a_vpc_deployment_may_call_private_addresses_but_never_metadata_or_loopback():
    for url in ("http://10.0.0.1/", "http://internal.example.com/", "http://[fc00::1]/"):
        assert check_url(url, IN_VPC, Resolver()).addresses
    refused = (
        "http://169.254.169.254/",
        "http://[fd00:ec2::254]/",
        "http://127.0.0.1/",
        "http://[fe80::1]/",
    )
    for url in refused:
        with pytest.raises(RefusedDestination):
            check_url(url, IN_VPC, Resolver())


def test_refusals_say_what_the_address_is():
    with pytest.raises(RefusedDestination, match=r"0x7f\.1 \(127\.0\.0\.1\) is a loopback"):
        check_url("http://0x7f.1/", PUBLIC, Resolver())
    with pytest.raises(RefusedDestination, match="metadata"):
        check_url("http://metadata.example.com/", PUBLIC, Resolver())
    with pytest.raises(RefusedDestination, match=r"maps to 169\.254\.169\.254"):
        check_url("http://[::ffff:169.254.169.254]/", PUBLIC, Resolver())


def test_a_name_that_does_not_resolve_is_retryable_not_refused():
    with pytest.raises(RetryableFailure) as raised:
        check_url("http://not-yet-in-dns.example.com/", PUBLIC, Resolver())
    assert not isinstance(raised.value, RefusedDestination)


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f.0.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0177.0.0.01", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("0x", "0.0.0.0"),
        ("192.168.0x1.1", "192.168.1.1"),
        ("8.8.8.8", "8.8.8.8"),
        ("::ffff:7f00:1", "::ffff:7f00:1"),
    ],
)
def test_ipv4_spellings_parse_as_resolvers_read_them(host, address):
    assert parse_ip_literal(host) == ipaddress.ip_address(address)


def test_names_are_not_literals():
    assert parse_ip_literal("hooks.example.com") is None
    assert parse_ip_literal("1.2.3.example") is None
