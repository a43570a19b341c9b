"""The API's pure request handling: error translation, If-Match, tag filters, bearer
tokens, IAM principals, key hashing and the auth settings. No AWS, no sockets."""

from __future__ import annotations

import pytest

from sundial.api.auth import bearer_token, caller_tenant, principal_of
from sundial.api.body import non_json_content_type
from sundial.api.errors import from_validation_errors
from sundial.api.models import PreviewRequest
from sundial.api.request import expected_version, tag_filter
from sundial.api.settings import ApiSettings, AuthorizerSettings
from sundial.core.errors import SundialError
from sundial.core.task import TaskSpec
from sundial.settings import InvalidSettings
from sundial.store import apikeys


def _error(loc: tuple, kind: str, **ctx: object) -> dict:
    return {"type": kind, "loc": loc, "msg": "pydantic's own words", "input": None, "ctx": ctx}


@pytest.mark.parametrize(
    "errors, model, code, field, message",
    [
        (
            [_error(("query", "limit"), "greater_than_equal", ge=1)],
            None,
            "validation_error",
            "limit",
            "limit must be at least 1",
        ),
        (
            [_error(("query", "limit"), "int_parsing")],
            None,
            "validation_error",
            "limit",
            "limit must be an integer",
        ),
        (
            [_error(("header", "idempotency-key"), "string_too_long", max_length=255)],
            None,
            "validation_error",
            "Idempotency-Key",
            "Idempotency-Key must be at most 255 characters",
        ),
        (
            [_error(("query", "state"), "literal_error", expected="'active' or 'paused'")],
            None,
            "validation_error",
            "state",
            "state must be one of active or paused",
        ),
        (
            [_error(("body", 7), "json_invalid", error="Expecting value")],
            TaskSpec,
            "validation_error",
            None,
            "The request body is not valid JSON: Expecting value (at character 7).",
        ),
        (
            [_error(("body",), "missing")],
            TaskSpec,
            "validation_error",
            None,
            "The request body is required: send a JSON object.",
        ),
        (
            [_error(("body",), "model_attributes_type")],
            TaskSpec,
            "validation_error",
            None,
            "The request body must be a JSON object.",
        ),
        (
            [_error(("body", "retry", "max_attempts"), "greater_than_equal", ge=1)],
            TaskSpec,
            "validation_error",
            "retry.max_attempts",
            "retry.max_attempts must be between 1 and 100",
        ),
        (
            [_error(("body", "target", "http", "url"), "missing")],
            TaskSpec,
            "invalid_target",
            "target.url",
            "target.url is required",
        ),
        (
            [_error(("body", "count"), "less_than_equal", le=100)],
            PreviewRequest,
            "validation_error",
            "count",
            "count must be between 1 and 100",
        ),
    ],
)
def test_powertools_validation_errors_become_the_api_error(
    errors: list, model: type | None, code: str, field: str | None, message: str
) -> None:
    error = from_validation_errors(errors, model)
    assert isinstance(error, SundialError)
    assert (error.status, error.code, error.field, error.message) == (400, code, field, message)


def test_an_unknown_field_is_reported_before_anything_else() -> None:
    errors = [
        _error(("body", "schedule"), "missing"),
        {"type": "extra_forbidden", "loc": ("body", "schedul"), "msg": "x", "input": "@daily"},
    ]
    error = from_validation_errors(errors, TaskSpec)
    assert (error.code, error.field) == ("validation_error", "schedul")
    assert "did you mean 'schedule'?" in error.message


@pytest.mark.parametrize(
    "header, version",
    [(None, None), ("*", None), ('"3"', 3), ("3", 3), ('W/"12"', 12), (' "4" ', 4)],
)
def test_if_match_names_a_version_quoted_or_not(header: str | None, version: int | None) -> None:
    assert expected_version(header) == version


@pytest.mark.parametrize("header", ["v3", '"3', "3,4", "-1", '""'])
def test_a_malformed_if_match_is_refused(header: str) -> None:
    with pytest.raises(SundialError) as caught:
        expected_version(header)
    assert (caught.value.code, caught.value.field) == ("validation_error", "If-Match")


def test_tag_filters_split_at_the_first_colon() -> None:
    assert tag_filter("env:prod") == ("env", "prod")
    assert tag_filter("url:https://x") == ("url", "https://x")
    assert tag_filter("empty:") == ("empty", "")
    assert tag_filter(None) is None
    with pytest.raises(SundialError):
        tag_filter("no-colon")


@pytest.mark.parametrize(
    "headers, body, refused",
    [
        ({"Content-Type": "application/json"}, "{}", False),
        ({"content-type": "application/json; charset=utf-8"}, "{}", False),
        ({"Content-Type": "APPLICATION/JSON; Charset=UTF-8"}, "{}", False),
        ({}, "{}", False),
        ({"Content-Type": "application/x-www-form-urlencoded"}, "a=1", True),
        ({"Content-Type": "text/plain"}, "{}", True),
        ({"Content-Type": "text/plain"}, None, False),  # no body, nothing to refuse
    ],
)
def test_only_json_bodies_are_accepted(headers: dict, body: str | None, refused: bool) -> None:
    assert (non_json_content_type({"headers": headers, "body": body}) is not None) is refused


@pytest.mark.parametrize(
    "header, token",
    [
        ("Bearer sdl_abc", "sdl_abc"),
        ("bearer   sdl_abc", "sdl_abc"),
        ("BEARER sdl_abc=", "sdl_abc="),
        ("Basic sdl_abc", None),
        ("Bearer", None),
        ("Bearer a b", None),
        ("Bearer " + "k" * 513, None),
        ("Bearer kéy", None),
        (None, None),
    ],
)
def test_bearer_tokens_are_parsed_strictly(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


def test_an_assumed_role_session_counts_as_its_role() -> None:
    arn = "arn:aws:sts::123456789012:assumed-role/ops/alice@example.com"
    assert principal_of(arn) == "arn:aws:iam::123456789012:role/ops"
    assert principal_of("arn:aws-cn:sts::123456789012:assumed-role/r/s") == (
        "arn:aws-cn:iam::123456789012:role/r"
    )
    user = "arn:aws:iam::123456789012:user/bob"
    assert principal_of(user) == user


def test_the_tenant_comes_from_the_request_context_of_the_auth_mode() -> None:
    context = {
        "authorizer": {"tenant": "acme"},
        "identity": {"userArn": "arn:aws:iam::123456789012:user/bob"},
    }
    assert caller_tenant(context, "API_KEY") == "acme"
    assert caller_tenant(context, "IAM") == "arn:aws:iam::123456789012:user/bob"
    with pytest.raises(SundialError) as caught:
        caller_tenant({"identity": {}}, "API_KEY")
    assert (caught.value.status, caught.value.code) == (401, "unauthorized")


def test_generated_keys_are_unique_well_formed_and_hashed() -> None:
    first, second = apikeys.generate_key(), apikeys.generate_key()
    assert first != second
    assert first.startswith(apikeys.KEY_PREFIX) and apikeys.is_well_formed(first)
    assert len(apikeys.hash_key(first)) == 64 and apikeys.hash_key(first) != first


API_ENVIRONMENT = {
    "TASKS_TABLE": "t",
    "RUNS_TABLE": "r",
    "WORK_QUEUE_URL": "http://q",
    "IDEMPOTENCY_TABLE": "i",
}


def test_auth_settings_from_the_environment(settings_from) -> None:
    assert settings_from(ApiSettings, **API_ENVIRONMENT).auth_mode == "API_KEY"
    assert settings_from(ApiSettings, **API_ENVIRONMENT, AUTH_MODE="iam").auth_mode == "IAM"
    settings = settings_from(ApiSettings, **API_ENVIRONMENT)
    assert settings.idempotency_table == "i"
    assert settings.idempotency_ttl_seconds == 86_400
    assert settings_from(AuthorizerSettings, KEYS_TABLE="k").keys_table == "k"
    with pytest.raises(InvalidSettings, match="AUTH_MODE"):
        settings_from(ApiSettings, **API_ENVIRONMENT, AUTH_MODE="OAUTH")
    with pytest.raises(InvalidSettings, match="IDEMPOTENCY_TTL_SECONDS"):
        settings_from(ApiSettings, **API_ENVIRONMENT, IDEMPOTENCY_TTL_SECONDS="59")
