"""`sundial keys create|list|revoke` against the keys table: the raw key is shown once and
works with the authorizer until it is revoked."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from api_client import FakeLambdaContext, load_event
from sundial_cli import main

from sundial.api import auth, authorizer


def keys(capsys: pytest.CaptureFixture[str], table: str, *args: str) -> tuple[int, str, str]:
    code = main(["keys", *args, "--table", table, "--region", "us-east-1"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def authorize(raw: str) -> dict[str, Any]:
    event = {**load_event("authorizer-token.json"), "authorizationToken": f"Bearer {raw}"}
    return authorizer.handler(event, FakeLambdaContext())


def test_create_prints_the_key_once_on_its_own_line_and_it_authorizes(
    api_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = keys(capsys, api_env["KeysTable"], "create", "--tenant", "acme")
    assert code == 0
    raw = out.strip()
    assert raw.startswith("sdl_") and "\n" not in raw
    assert "only this once" in err
    assert authorize(raw)["context"]["tenant"] == "acme"


def test_list_shows_ids_and_tenants_but_never_keys(
    api_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    table = api_env["KeysTable"]
    _, first, _ = keys(capsys, table, "create", "--tenant", "acme", "--json")
    keys(capsys, table, "create", "--tenant", "globex", "--description", "ci")
    created = json.loads(first)

    code, out, _ = keys(capsys, table, "list", "--json")
    rows = json.loads(out)
    assert code == 0
    assert [r["tenant"] for r in rows] == ["acme", "globex"]
    assert rows[0]["key_id"] == created["key_id"]
    assert created["api_key"] not in out

    _, only_acme, _ = keys(capsys, table, "list", "--tenant", "acme")
    assert "acme" in only_acme and "globex" not in only_acme


def test_revoke_makes_the_key_unauthorized(
    api_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    table = api_env["KeysTable"]
    created = json.loads(keys(capsys, table, "create", "--tenant", "acme", "--json")[1])

    code, out, _ = keys(capsys, table, "revoke", created["key_id"])
    assert code == 0 and created["key_id"] in out
    with pytest.raises(auth.Unauthorized):
        authorize(created["api_key"])
    rows = json.loads(keys(capsys, table, "list", "--json")[1])
    assert rows[0]["revoked_at"] is not None


def test_revoking_an_unknown_or_revoked_key_fails_with_a_message(
    api_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    table = api_env["KeysTable"]
    assert keys(capsys, table, "revoke", "000000000000")[0] == 1
    created = json.loads(keys(capsys, table, "create", "--tenant", "acme", "--json")[1])
    keys(capsys, table, "revoke", created["key_id"])
    code, _, err = keys(capsys, table, "revoke", created["key_id"])
    assert code == 1 and "error" in err


def test_create_refuses_a_tenant_name_with_separators(
    api_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = keys(capsys, api_env["KeysTable"], "create", "--tenant", "a b/c")
    assert (code, out) == (1, "")
    assert "tenant" in err


def test_create_with_a_usage_plan_meters_all_of_a_tenants_keys_with_one_usage_key(
    api_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    apigateway = boto3.client("apigateway", region_name="us-east-1")
    plan = apigateway.create_usage_plan(name="sundial-tenants")["id"]
    table = api_env["KeysTable"]

    first = json.loads(
        keys(capsys, table, "create", "--tenant", "acme", "--usage-plan-id", plan, "--json")[1]
    )
    second = json.loads(
        keys(capsys, table, "create", "--tenant", "acme", "--usage-plan-id", plan, "--json")[1]
    )

    usage_key = authorize(first["api_key"])["usageIdentifierKey"]
    assert authorize(second["api_key"])["usageIdentifierKey"] == usage_key
    plan_keys = apigateway.get_usage_plan_keys(usagePlanId=plan)["items"]
    assert [k["value"] for k in plan_keys] == [usage_key]
    assert len(usage_key) >= 20  # API Gateway's minimum


def test_the_table_can_come_from_the_environment(
    api_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "list", "--json"]) == 0  # KEYS_TABLE is set by api_env
    assert json.loads(capsys.readouterr().out) == []


def test_preview_still_works(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "@hourly", "--count", "2", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2


def test_list_shows_times_in_the_clis_one_format(
    api_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    table = api_env["KeysTable"]
    keys(capsys, table, "create", "--tenant", "acme")
    (row,) = json.loads(keys(capsys, table, "list", "--json")[1])
    created = datetime.fromisoformat(row["created_at"]).astimezone(UTC)
    _, out, _ = keys(capsys, table, "list", "--utc")
    assert created.strftime("%Y-%m-%d %H:%M:%SZ") in out and row["created_at"] not in out
