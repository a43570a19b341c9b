"""A URL whose host is an IP literal the network policy refuses is known to fail at every
fire, so it is refused without DNS (`sundial.core.network.literal_host_refusal`), by the
same rules as the executor's guard; host names are left to the fire-time check."""

from __future__ import annotations

import pytest

from sundial.core.errors import InvalidTarget
from sundial.core.network import NetworkPolicy, literal_host_refusal
from sundial.core.task import parse_task_create
from sundial.core.task.feasibility import check_target_feasible
from sundial.targets.ssrf import RefusedDestination, check_url

STRICT = NetworkPolicy()
PRIVATE_ALLOWED = NetworkPolicy(allow_private=True, allow_loopback=True)


def _no_dns(host: str, port: int) -> list[str]:
    raise AssertionError("a literal is never resolved")


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://169.254.170.2/v2/credentials",
        "http://127.0.0.1:8080/hook",
        "http://2130706433/",  # 127.0.0.1 spelled as one number
        "http://0x7f.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://10.0.0.5/hook",
        "https://192.168.1.1/",
        "http://172.16.0.1/",
        "http://0.0.0.0/",
        "http://169.254.1.1/",  # link-local
    ],
)
def test_refused_literals_are_refused_without_dns_as_the_executor_refuses_them(url: str) -> None:
    reason = literal_host_refusal(url, STRICT)
    assert reason is not None
    with pytest.raises(RefusedDestination):
        check_url(url, STRICT, _no_dns)


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/", "http://[fd00:ec2::254]/", "http://169.254.1.1/"]
)
def test_metadata_and_link_local_literals_are_refused_even_where_private_targets_are_allowed(
    url: str,
) -> None:
    assert literal_host_refusal(url, PRIVATE_ALLOWED) is not None


@pytest.mark.parametrize("url", ["http://10.0.0.5/", "http://192.168.1.1/", "http://127.0.0.1/"])
def test_private_and_loopback_literals_pass_where_the_policy_allows_them(url: str) -> None:
    assert literal_host_refusal(url, PRIVATE_ALLOWED) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/hook",
        "https://internal.example.com/",  # a name: resolved and checked when it fires
        "http://93.184.215.14/",
        "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/",
    ],
)
def test_public_literals_and_host_names_pass(url: str) -> None:
    assert literal_host_refusal(url, STRICT) is None


def test_the_reason_names_the_address_and_what_it_is() -> None:
    reason = literal_host_refusal("http://2130706433/", STRICT)
    assert reason == "host 2130706433 (127.0.0.1) is a loopback address"


def test_a_task_with_a_refused_literal_is_an_invalid_target_naming_target_url() -> None:
    spec = parse_task_create(
        {"schedule": "@daily", "target": {"type": "http", "url": "http://169.254.169.254/"}}
    )
    with pytest.raises(InvalidTarget) as raised:
        check_target_feasible(spec.target, network=STRICT, handler_names=["echo"])
    assert (raised.value.code, raised.value.field) == ("invalid_target", "target.url")
    assert "cloud instance metadata address" in raised.value.message


def test_a_task_with_a_public_url_is_feasible() -> None:
    spec = parse_task_create(
        {"schedule": "@daily", "target": {"type": "http", "url": "https://example.com/hook"}}
    )
    check_target_feasible(spec.target, network=STRICT, handler_names=["echo"])


def test_a_host_name_passes_when_written_and_the_executor_still_refuses_what_it_resolves_to() -> (
    None
):
    url = "https://rebind.example.com/hook"
    assert literal_host_refusal(url, STRICT) is None
    with pytest.raises(RefusedDestination, match="private address"):
        check_url(url, STRICT, lambda host, port: ["10.1.2.3"])
