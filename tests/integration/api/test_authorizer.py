"""Authentication: the API-key authorizer (valid, revoked, unknown, malformed keys) and
the IAM mode, where the tenant is the caller's principal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_client import Api, FakeLambdaContext, load_event

from sundial.api import auth, authorizer
from sundial.store import apikeys

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123defg/v1/GET/tasks"


def authorize(header: str | None) -> dict[str, Any]:
    event = {**load_event("authorizer-token.json"), "methodArn": METHOD_ARN}
    if header is None:
        del event["authorizationToken"]
    else:
        event["authorizationToken"] = header
    return authorizer.handler(event, FakeLambdaContext(function_name="sundial-authorizer"))


def test_a_valid_key_is_allowed_on_every_route_with_its_tenant_in_the_context(
    api_env: dict[str, str],
) -> None:
    raw, key = apikeys.create_key("acme")

    response = authorize(f"Bearer {raw}")

    assert response["principalId"] == key.key_id
    assert response["context"] == {"tenant": "acme", "key_id": key.key_id}
    (statement,) = response["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    # The policy is cached per key and reused on other routes: it must cover the stage.
    assert statement["Resource"] == ["arn:aws:execute-api:us-east-1:123456789012:abc123defg/v1/*/*"]
    assert "usageIdentifierKey" not in response


def test_the_bearer_scheme_is_case_insensitive(api_env: dict[str, str]) -> None:
    raw, _ = apikeys.create_key("acme")
    assert authorize(f"bearer {raw}")["context"]["tenant"] == "acme"


def test_a_key_registered_in_a_usage_plan_returns_it_as_usage_identifier_key(
    api_env: dict[str, str],
) -> None:
    raw, _ = apikeys.create_key("acme", usage_key="u" * 40)
    assert authorize(f"Bearer {raw}")["usageIdentifierKey"] == "u" * 40


def test_a_revoked_key_is_unauthorized(api_env: dict[str, str]) -> None:
    raw, key = apikeys.create_key("acme")
    apikeys.revoke_key(key.key_id)
    with pytest.raises(auth.Unauthorized, match=r"^Unauthorized$"):
        authorize(f"Bearer {raw}")


def test_an_unknown_key_is_unauthorized(api_env: dict[str, str]) -> None:
    apikeys.create_key("acme")
    with pytest.raises(auth.Unauthorized, match=r"^Unauthorized$"):
        authorize(f"Bearer {apikeys.generate_key()}")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "sdl_just-the-key-without-a-scheme",
        "Bearer two words",
        "Bearer " + "x" * 600,
        "Bearer key\nX-Injected: 1",
    ],
)
def test_a_malformed_header_is_unauthorized_without_a_lookup(
    api_env: dict[str, str], header: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_lookup(raw: str) -> None:
        raise AssertionError("a malformed header must not be looked up")

    monkeypatch.setattr(apikeys, "find_key", no_lookup)
    with pytest.raises(auth.Unauthorized, match=r"^Unauthorized$"):
        authorize(header)


def test_only_the_hash_of_a_key_is_stored(api_env: dict[str, str]) -> None:
    import boto3

    raw, _ = apikeys.create_key("acme")
    items = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=api_env["KeysTable"])[
        "Items"
    ]
    assert raw not in json.dumps(items)
    assert items[0]["key_hash"]["S"] == apikeys.hash_key(raw)


def test_the_tenant_the_authorizer_returns_is_the_one_the_api_serves(api: Api) -> None:
    """End to end: authorizer context in, tenant-scoped task out."""
    raw, _ = apikeys.create_key("initech")
    context = authorize(f"Bearer {raw}")["context"]

    response = api.call("POST", "/tasks", {
        "schedule": "@daily", "target": {"type": "handler", "name": "echo"},
    }, tenant=context["tenant"])  # fmt: skip

    assert response.status == 201
    assert api.call("GET", f"/tasks/{response.body['id']}", tenant="initech").status == 200
    assert api.call("GET", f"/tasks/{response.body['id']}", tenant="acme").status == 404


# --- IAM mode --------------------------------------------------------------------------------


ROLE_SESSION = "arn:aws:sts::123456789012:assumed-role/scheduler-client/session-1"
OTHER_SESSION = "arn:aws:sts::123456789012:assumed-role/scheduler-client/session-2"
USER = "arn:aws:iam::123456789012:user/alice"


def test_iam_mode_serves_the_callers_principal_as_tenant(iam_api: Api) -> None:
    task = iam_api.create(tenant=USER)
    assert iam_api.call("GET", f"/tasks/{task['id']}", tenant=USER).status == 200
    other = iam_api.call("GET", f"/tasks/{task['id']}", tenant="arn:aws:iam::123456789012:user/bob")
    assert other.status == 404


def test_iam_mode_treats_every_session_of_a_role_as_the_role(iam_api: Api) -> None:
    """Session names change with every credential refresh; the tasks must not vanish."""
    from sundial import store

    task = iam_api.create(tenant=ROLE_SESSION)
    assert iam_api.call("GET", f"/tasks/{task['id']}", tenant=OTHER_SESSION).status == 200
    stored = store.get_task("arn:aws:iam::123456789012:role/scheduler-client", task["id"])
    assert stored.task_id == task["id"]


def test_iam_mode_without_a_signed_caller_is_unauthorized(iam_api: Api) -> None:
    response = iam_api.call("GET", "/tasks", tenant=None)
    assert (response.status, response.error["code"]) == (401, "unauthorized")


def test_iam_mode_ignores_an_authorizer_tenant_in_the_context(iam_api: Api) -> None:
    event = iam_api.event("GET", "/tasks", tenant=None)
    event["requestContext"]["authorizer"] = {"tenant": "acme"}
    response = iam_api.send(event)
    assert (response.status, response.error["code"]) == (401, "unauthorized")
