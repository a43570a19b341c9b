"""The emulated API Gateway: authorizer first, Gateway Responses from the template, and
REST proxy events the real API function answers."""

from __future__ import annotations

import json

import pytest
from sundial_local.gateway import ApiGateway, GatewayConfig
from sundial_local.runtime import LocalFunction
from sundial_local.template import Template

from sundial.api.authorizer import handler as authorizer_handler
from sundial.api.handler import handler as api_handler
from sundial.store import apikeys


@pytest.fixture
def gateway(tables, queues, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("KEYS_TABLE", tables["KeysTable"])
    monkeypatch.setenv("IDEMPOTENCY_TABLE", tables["IdempotencyTable"])
    from sundial.settings import reset_settings

    reset_settings()
    apikeys.create_key("acme", raw_key="acme-key-123")
    config = GatewayConfig.from_template(Template.load())
    return ApiGateway(
        LocalFunction("api", api_handler, 29),
        LocalFunction("authorizer", authorizer_handler, 10),
        config,
    )


def call(gateway, method, path, key=None, body=None):
    headers = [("Content-Type", "application/json")]
    if key is not None:
        headers.append(("Authorization", key))
    raw = json.dumps(body).encode() if body is not None else b""
    reply = gateway.handle(method, path, headers, raw, "127.0.0.1")
    return reply.status, json.loads(reply.body) if reply.body.startswith(b"{") else reply.body


def test_template_marks_docs_openapi_and_console_public(gateway):
    assert {"/docs", "/openapi.json", "/console"} <= gateway.config.public_paths
    assert call(gateway, "GET", "/v1/openapi.json")[0] == 200


def test_missing_or_malformed_key_gets_the_templates_401_envelope(gateway):
    for key in (None, "Basic abc", "Bearer"):
        status, body = call(gateway, "GET", "/v1/tasks", key)
        assert status == 401 and body["error"]["code"] == "unauthorized"


def test_unknown_key_is_refused_by_the_authorizer(gateway):
    status, body = call(gateway, "GET", "/v1/tasks", "Bearer not-a-key")
    assert status == 401 and body["error"]["code"] == "unauthorized"


def test_valid_key_reaches_the_function_with_its_tenant(gateway):
    status, body = call(
        gateway,
        "POST",
        "/v1/tasks",
        "Bearer acme-key-123",
        {"schedule": "0 0 1 1 *", "target": {"type": "handler", "name": "echo"}},
    )
    assert status == 201
    listed = call(gateway, "GET", "/v1/tasks?limit=5", "Bearer acme-key-123")[1]
    assert [t["id"] for t in listed["tasks"]] == [body["id"]]


def test_deny_policy_is_a_403(gateway):
    gateway.authorizer = LocalFunction(
        "deny",
        lambda event, context: {
            "principalId": "x",
            "policyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny"}]},
        },
        10,
    )
    status, body = call(gateway, "GET", "/v1/tasks", "Bearer acme-key-123")
    assert status == 403 and body["error"]["code"] == "forbidden"


def test_paths_outside_the_stage_are_not_routed(gateway):
    status, _ = call(gateway, "GET", "/tasks", "Bearer acme-key-123")
    assert status in (401, 403, 404)


def test_a_body_that_is_not_utf8_reaches_the_api_as_its_bytes_and_is_refused(gateway):
    raw = (
        json.dumps(
            {
                "schedule": "0 0 1 1 *",
                "target": {"type": "handler", "name": "echo"},
                "description": "D",
            }
        )
        .encode()
        .replace(b'"D"', b'"caf\xe9"')
    )
    headers = [("Content-Type", "application/json"), ("Authorization", "Bearer acme-key-123")]
    reply = gateway.handle("POST", "/v1/tasks", headers, raw, "127.0.0.1")
    assert reply.status == 400 and b"UTF-8" in reply.body
    listed = call(gateway, "GET", "/v1/tasks", "Bearer acme-key-123")[1]
    assert listed["tasks"] == []


def test_the_gateway_answers_with_the_responses_of_the_stacks_auth_mode():
    # The template's UNAUTHORIZED response differs by AuthMode: the local gateway resolves
    # it for the parameters the stack runs with.
    def unauthorized(parameters: dict[str, str]) -> str:
        config = GatewayConfig.from_template(Template.load(parameters=parameters))
        return json.loads(config.response("UNAUTHORIZED", "DEFAULT_4XX").body)["error"]["message"]

    jwt_mode = {"AuthMode": "JWT", "JwtIssuer": "http://127.0.0.1:1", "JwtAudience": "a"}
    assert "Bearer <key>" in unauthorized({})
    assert "Bearer <JWT>" in unauthorized(jwt_mode)
