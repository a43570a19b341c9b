"""A task whose URL host is an IP literal the executor would refuse (instance metadata;
loopback and private ranges unless AllowPrivateTargets) is refused when it is created or
its target is updated: 400 invalid_target on target.url, and nothing is stored."""

from __future__ import annotations

import pytest
from api_client import Api, task_body

from sundial.settings import reset_settings

REFUSED = [
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:8080/hook",
    "http://10.0.0.5/hook",
    "http://[::ffff:192.168.0.1]/",
]


def _http(url: str) -> dict[str, str]:
    return {"type": "http", "url": url}


@pytest.mark.parametrize("url", REFUSED)
def test_create_refuses_a_refused_literal_address_and_stores_nothing(api: Api, url: str) -> None:
    response = api.call("POST", "/tasks", task_body(target=_http(url)))
    assert response.status == 400
    assert (response.error["code"], response.error["field"]) == ("invalid_target", "target.url")
    assert api.call("GET", "/tasks").body["tasks"] == []


@pytest.mark.parametrize("url", REFUSED)
def test_patch_refuses_a_refused_literal_address_and_keeps_the_stored_target(
    api: Api, url: str
) -> None:
    created = api.call("POST", "/tasks", task_body())
    task_id = created.body["id"]
    response = api.call("PATCH", f"/tasks/{task_id}", {"target": _http(url)})
    assert response.status == 400
    assert (response.error["code"], response.error["field"]) == ("invalid_target", "target.url")
    stored = api.call("GET", f"/tasks/{task_id}").body
    assert stored["target"]["url"] == "https://example.com/hook"
    assert stored["version"] == created.body["version"]


def test_public_urls_and_host_names_are_still_accepted(api: Api) -> None:
    for url in ("https://example.com/hook", "http://93.184.215.14/", "https://internal.corp/"):
        assert api.call("POST", "/tasks", task_body(target=_http(url))).status == 201


def test_private_literals_are_accepted_where_private_targets_are_allowed(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLOW_PRIVATE_TARGETS", "true")
    reset_settings()
    assert api.call("POST", "/tasks", task_body(target=_http("http://10.0.0.5/"))).status == 201
    metadata = api.call("POST", "/tasks", task_body(target=_http("http://169.254.169.254/")))
    assert (metadata.status, metadata.error["field"]) == (400, "target.url")
