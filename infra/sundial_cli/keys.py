"""`sundial keys create|list|revoke`: API keys, managed in the keys table with AWS credentials.

The raw key is printed once, by `create`, and never stored: only its SHA-256 is. It goes
to stdout on a line of its own (the explanations go to stderr), so
`KEY=$(sundial keys create --tenant acme --table ...)` captures exactly the key.

The table is `--table`, else $KEYS_TABLE, else the KeysTableName output of `--stack`.
These commands do not use the HTTP API; failures (no table, unknown key id, a tenant
name the table refuses) exit with code 1.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from sundial_cli.errors import CliError
from sundial_cli.output import console, display_options, emit_json, json_option, state, table, text
from sundial_cli.timefmt import show_time

F = TypeVar("F", bound=Callable[..., Any])

# API Gateway requires API key values of at least 20 characters; 30 random bytes give 40.
USAGE_KEY_RANDOM_BYTES = 30


def table_options(function: F) -> F:
    """Where the keys table is: the same four options on every keys command."""
    options = [
        click.option("--table", help="Keys table name (default: $KEYS_TABLE)."),
        click.option("--stack", help="CloudFormation stack whose KeysTableName output to use."),
        click.option("--region", help="AWS region (default: the AWS configuration's)."),
        click.option("--endpoint-url", help="DynamoDB endpoint (local emulators)."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.group()
def keys() -> None:
    """API keys of API_KEY deployments (uses AWS credentials, not the API)."""


@keys.command()
@click.option("--tenant", required=True, help="The tenant the key acts for.")
@click.option("--description", default="", help="A note, e.g. who holds the key.")
@click.option(
    "--usage-plan-id",
    help="Also meter the tenant in this API Gateway usage plan (stack output UsagePlanId; "
    "needed when the stack was deployed with TenantUsageKeys=true).",
)
@table_options
@json_option
def create(tenant: str, description: str, usage_plan_id: str | None, **where: Any) -> None:
    """Create a key for a tenant; the key is shown only this once."""
    apikeys = _bind(**where)
    with _failures():
        usage_key = None
        if usage_plan_id:
            usage_key = _usage_key(tenant, usage_plan_id, where["region"])
        raw, item = apikeys.create_key(tenant, description=description, usage_key=usage_key)
    if state().json:
        emit_json({"tenant": item.tenant, "key_id": item.key_id, "api_key": raw})
        return
    click.echo(
        f"API key {item.key_id} for tenant {item.tenant}. It is shown only this once: "
        "store it now (only its hash is kept).",
        err=True,
    )
    click.echo(raw)


@keys.command(name="list")
@click.option("--tenant", help="Only this tenant's keys.")
@table_options
@json_option
@display_options
def list_(tenant: str | None, **where: Any) -> None:
    """List keys: ids, tenants, creation and revocation times (never the keys)."""
    apikeys = _bind(**where)
    with _failures():
        items = apikeys.list_keys(tenant)
    rows = [
        {
            "key_id": item.key_id,
            "tenant": item.tenant,
            "created_at": _time(item.created_at),
            "revoked_at": _time(item.revoked_at) if item.revoked_at is not None else None,
            "description": item.description,
        }
        for item in items
    ]
    if state().json:
        emit_json(rows)
        return
    grid = table("KEY ID", "TENANT", "CREATED", "REVOKED", "DESCRIPTION")
    utc = state().utc
    for row in rows:
        grid.add_row(
            text(row["key_id"]),
            text(row["tenant"]),
            text(show_time(row["created_at"], utc=utc)),
            text(show_time(row["revoked_at"], utc=utc)),
            text(row["description"]),
        )
    console().print(grid)


@keys.command()
@click.argument("key_id")
@table_options
@json_option
def revoke(key_id: str, **where: Any) -> None:
    """Revoke a key by its id (from `keys create` or `keys list`)."""
    apikeys = _bind(**where)
    with _failures():
        item = apikeys.revoke_key(key_id)
    if state().json:
        emit_json({"key_id": item.key_id, "tenant": item.tenant, "revoked": True})
    else:
        click.echo(f"revoked key {item.key_id} of tenant {item.tenant}")


@contextmanager
def _failures() -> Iterator[None]:
    """The keys table's and AWS's errors as `error: ...` with exit code 1."""
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    from sundial.store import apikeys

    try:
        yield
    except apikeys.KeyNotFound as exc:
        raise CliError(f"no key with id {exc}") from None
    except apikeys.KeyAlreadyRevoked as exc:
        raise CliError(f"key {exc} is already revoked") from None
    except (ValueError, LookupError) as exc:
        raise CliError(str(exc)) from None
    except (BotoCoreError, ClientError, PynamoDBException) as exc:
        raise CliError(f"the keys table could not be used: {exc}") from None


def _bind(
    table: str | None, stack: str | None, region: str | None, endpoint_url: str | None
) -> Any:
    """The keys module, bound to the table the options name."""
    name = table or os.environ.get("KEYS_TABLE") or None
    if name is None and stack:
        with _failures():
            name = _stack_output(stack, "KeysTableName", region)
    if name is None:
        raise CliError("no keys table: pass --table or --stack, or set KEYS_TABLE")
    from sundial.store import apikeys

    apikeys.bind_keys_table(name, region=region, endpoint_url=endpoint_url)
    return apikeys


def _usage_key(tenant: str, usage_plan_id: str, region: str | None) -> str:
    """The tenant's API Gateway key in the usage plan, created on its first key.

    All keys of a tenant share it, so the plan throttles the tenant, not each key.
    """
    import boto3

    from sundial.store import apikeys

    existing = apikeys.usage_key_of(tenant)
    if existing is not None:
        return existing
    value = secrets.token_urlsafe(USAGE_KEY_RANDOM_BYTES)
    apigateway = boto3.client("apigateway", region_name=region)
    created = apigateway.create_api_key(
        name=f"sundial-tenant-{tenant}",
        description=f"Meters Sundial tenant {tenant} (used by the authorizer, not by clients)",
        enabled=True,
        value=value,
    )
    apigateway.create_usage_plan_key(
        usagePlanId=usage_plan_id, keyId=created["id"], keyType="API_KEY"
    )
    return value


def _stack_output(stack: str, name: str, region: str | None) -> str:
    import boto3

    cloudformation = boto3.client("cloudformation", region_name=region)
    outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    for output in outputs:
        if output["OutputKey"] == name:
            return str(output["OutputValue"])
    raise LookupError(f"stack {stack} has no output {name}")


def _time(ms: Any) -> str:
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC).isoformat(timespec="seconds")
