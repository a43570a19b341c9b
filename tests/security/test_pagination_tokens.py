"""Page tokens are opaque and bound to the listing that issued them (store/pagination.py):
a forged, edited, replayed-elsewhere or other tenant's token is a 400 on `next_token`,
never a page of someone else's items, for tasks, runs and dead letters alike."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from api_client import Api
from security_helpers import FIRE_AT_MS

from sundial.settings import DEV_PAGINATION_SECRET, reset_settings
from sundial.store import RunItem, run_key
from sundial.store.pagination import TOKEN_MAC_BYTES

OWNER, INTRUDER = "acme", "globex"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(key: dict[str, Any], scope: str, secret: str) -> str:
    """A token as store/pagination.py would issue it, with a chosen secret and scope."""
    body = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(secret.encode(), f"{len(scope)}:{scope}:".encode() + body, hashlib.sha256)
    return f"{b64(body)}.{b64(mac.digest()[:TOKEN_MAC_BYTES])}"


def runs(task_id: str, count: int, tenant: str) -> None:
    for i in range(count):
        key = run_key(task_id, FIRE_AT_MS + (i + 1) * 60_000)
        RunItem(
            key.task_id, key.fire_key, execution_id=key.execution_id,
            fire_at=FIRE_AT_MS + (i + 1) * 60_000, status="succeeded", attempt=1,
            expires_at=2_000_000_000, tenant=tenant,
        ).save()  # fmt: skip


@pytest.fixture
def listings(api: Api, dead_letter: Callable[..., str]) -> dict[str, Any]:
    """Both tenants with two pages of tasks, runs and dead letters; each listing's path
    and a genuine second-page token of each tenant."""
    paths: dict[str, dict[str, str]] = {}
    tokens: dict[str, dict[str, str]] = {}
    for tenant in (OWNER, INTRUDER):
        first, second = api.create(tenant=tenant), api.create(tenant=tenant)
        runs(first["id"], 3, tenant)
        dead_letter(first["id"], tenant)
        dead_letter(second["id"], tenant)
        paths[tenant] = {
            "tasks": "/tasks",
            "runs": f"/tasks/{first['id']}/runs",
            "dead-letters": "/dead-letters",
        }
        tokens[tenant] = {}
        for name, path in paths[tenant].items():
            page = api.call("GET", f"{path}?limit=1", tenant=tenant)
            assert page.status == 200 and page.body["next_token"], (name, page.body)
            tokens[tenant][name] = page.body["next_token"]
    return {"paths": paths, "tokens": tokens}


LISTINGS = ("tasks", "runs", "dead-letters")


def refused(api: Api, path: str, token: str, tenant: str = OWNER) -> None:
    response = api.call("GET", f"{path}?limit=1&next_token={token}", tenant=tenant)
    assert response.status == 400, response.body
    assert (response.error["code"], response.error["field"]) == ("validation_error", "next_token")


@pytest.mark.parametrize("listing", LISTINGS)
def test_a_genuine_token_resumes_its_own_listing(api: Api, listings, listing: str) -> None:
    path = listings["paths"][OWNER][listing]
    token = listings["tokens"][OWNER][listing]
    assert api.call("GET", f"{path}?limit=1&next_token={token}").status == 200


@pytest.mark.parametrize("listing", LISTINGS)
def test_another_tenants_token_is_refused(api: Api, listings, listing: str) -> None:
    path = listings["paths"][OWNER][listing]
    refused(api, path, listings["tokens"][INTRUDER][listing])


def test_a_token_of_another_listing_is_refused(api: Api, listings) -> None:
    for listing in LISTINGS:
        for other in LISTINGS:
            if other != listing:
                refused(api, listings["paths"][OWNER][listing], listings["tokens"][OWNER][other])


FORGED = [
    "garbage",
    ".",
    "a.b.c",
    "e30.",  # {} without a signature
    "e30.AAAAAAAAAAAAAAAAAAAAAA",  # {} with a made-up signature
    "%00",
    "A" * 5000,
    "not-base64!!.not-base64!!",
]


@pytest.mark.parametrize("listing", LISTINGS)
def test_a_made_up_token_is_refused(api: Api, listings, listing: str) -> None:
    for forge in FORGED:
        refused(api, listings["paths"][OWNER][listing], forge)


def edited_value(name: str, value: dict[str, str]) -> dict[str, str]:
    if "tenant" in name:
        return {"S": INTRUDER}
    if "S" in value:
        return {"S": value["S"][:-1] + ("0" if value["S"][-1] != "0" else "1")}
    return {"N": str(int(value["N"]) + 1)}


@pytest.mark.parametrize("listing", LISTINGS)
def test_an_edited_token_is_refused(api: Api, listings, listing: str) -> None:
    token = listings["tokens"][OWNER][listing]
    body, mac = token.split(".")
    key = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    # Move the resume key elsewhere (the other tenant, another task), keep the signature.
    key = {name: edited_value(name, value) for name, value in key.items()}
    edited = b64(json.dumps(key, separators=(",", ":"), sort_keys=True).encode())
    refused(api, listings["paths"][OWNER][listing], f"{edited}.{mac}")
    # (The first character: the last one of base64 carries padding bits, so changing it
    # may not change the bytes at all.)
    flipped = ("A" if mac[0] != "A" else "B") + mac[1:]
    refused(api, listings["paths"][OWNER][listing], f"{body}.{flipped}")


@pytest.mark.parametrize("listing", LISTINGS)
def test_a_token_signed_with_the_public_dev_secret_is_refused_by_a_deployment(
    api: Api, listings, listing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # template.yaml gives every deployment its own secret; a token forged with the
    # development default (it is in the source) must not work there.
    token = listings["tokens"][OWNER][listing]
    body = token.split(".")[0]
    key = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    monkeypatch.setenv("PAGINATION_SECRET", "a-deployment-secret-" + "x" * 24)
    reset_settings()
    for scope in (OWNER, INTRUDER, listing, f"{listing}:{OWNER}", ""):
        refused(api, listings["paths"][OWNER][listing], signed(key, scope, DEV_PAGINATION_SECRET))
