"""`sundial local`: start the local stack and print where to reach it; `sundial local
token`: mint a token the stack accepts when it runs with `--auth jwt`."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from sundial_cli.errors import CliError
from sundial_cli.output import emit_json, json_option, state

if TYPE_CHECKING:
    from sundial_local.stack import LocalStack

LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


@click.group(invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option(
    "--tick",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds between dispatcher sweeps.",
)
@click.option(
    "--horizon",
    type=click.IntRange(min=1),
    default=15,
    show_default=True,
    help="Seconds a sweep looks ahead; longer than --tick.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Executor batches in flight at once (the event source mapping's MaximumConcurrency).",
)
@click.option(
    "--send-lead-ms",
    type=click.IntRange(0, 900),
    default=None,
    help="How long before its fire time each fire's message becomes visible, for the "
    "executor to read and claim the run in [default: 300; deployed: 100]. 0 sends at "
    "once (up to a second early).",
)
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False),
    help="Keep tasks, runs and keys (the API key, or the JWT signing key) across restarts.",
)
@click.option(
    "--auth",
    type=click.Choice(["api-key", "jwt"]),
    default="api-key",
    show_default=True,
    help="api-key: Authorization: Bearer <API key>. jwt: Authorization: Bearer <JWT> of "
    "the stack's own OIDC issuer (mint tokens with `sundial local token`).",
)
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    default="WARNING",
    show_default=True,
    help="Level of the log lines (on stderr). DEBUG adds tracebacks to errors' lines.",
)
@click.option(
    "--function-log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    help="Level of the functions' log lines (default: --log-level). DEBUG adds a "
    "line per run with how long it waited for its fire time (fire_time_wait_ms).",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: a line per event for people; json: a JSON object per line for machines.",
)
@click.option(
    "--metrics",
    is_flag=True,
    help="Print the functions' metrics on stdout, as the EMF documents CloudWatch would get.",
)
@json_option
def local(
    host: str,
    port: int,
    tick: float,
    horizon: int,
    concurrency: int,
    send_lead_ms: int | None,
    state_file: str | None,
    log_level: str,
    function_log_level: str | None,
    log_format: Literal["text", "json"],
    metrics: bool,
    auth: str,
) -> None:
    """Run Sundial on this machine: no Docker, no AWS account.

    Prints the API, docs and console URLs and an API key (SUNDIAL_LOCAL_API_KEYS=
    "tenant=key,..." fixes the keys instead), then runs until Ctrl-C or SIGTERM. With
    --auth jwt it prints where its signing key is instead: `sundial local token` mints
    tokens with it.
    """
    if click.get_current_context().invoked_subcommand is not None:
        return
    if horizon <= tick:
        raise click.BadParameter(
            "must be longer than --tick, or fires would be late", param_hint="'--horizon'"
        )
    # Imported here: the emulator (moto) is heavy and no other command needs it.
    from sundial_local.stack import LOCAL_SEND_LEAD_MS, LocalConfig, LocalStack, parse_api_keys

    try:
        api_keys = parse_api_keys(os.environ.get("SUNDIAL_LOCAL_API_KEYS", ""))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    level = log_level.upper()
    config = LocalConfig(
        host=host,
        port=port,
        tick_seconds=tick,
        horizon_seconds=horizon,
        concurrency=concurrency,
        send_lead_ms=LOCAL_SEND_LEAD_MS if send_lead_ms is None else send_lead_ms,
        state_file=state_file,
        api_keys=api_keys,
        log_level=level,
        function_log_level=(function_log_level or level).upper(),
        log_format=log_format,
        metrics=metrics,
        auth="jwt" if auth == "jwt" else "api_key",
    )
    stack = LocalStack(config)
    try:
        stack.start()
    except OSError as exc:
        with contextlib.suppress(Exception):
            stack.stop()
        raise CliError(f"cannot start on {host}:{port}: {exc.strerror or exc}") from None
    except RuntimeError as exc:  # the emulator did not start, or refused the state file
        with contextlib.suppress(Exception):
            stack.stop()
        raise CliError(str(exc)) from None
    try:
        _announce(stack)
        stack.wait()
    finally:
        click.echo(
            "Stopping: letting runs in flight finish (Ctrl-C again to stop now)...",
            err=state().json,
        )
        stack.stop()


def _announce(stack: LocalStack) -> None:
    if stack.issuer is not None:
        _announce_issuer(stack)
        return
    url, keys = stack.url, stack.created_keys
    if state().json:
        emit_json(
            {
                "url": url,
                "docs": f"{url}/docs",
                "console": f"{url}/console",
                "api_keys": [{"tenant": tenant, "key": key} for key, tenant in keys.items()],
            }
        )
        return
    click.echo(f"Sundial is running at {url}")
    click.echo(f"  API docs: {url}/docs")
    click.echo(f"  Console:  {url}/console")
    for key, tenant in keys.items():
        click.echo(f"  API key for tenant '{tenant}': {key}")
    key = next(iter(keys)) if len(keys) == 1 else "<a key above>"
    click.echo(f"  CLI:      export SUNDIAL_URL={url} SUNDIAL_API_KEY={key}")
    click.echo("Press Ctrl-C to stop.")


def _announce_issuer(stack: LocalStack) -> None:
    from sundial_local.jwt_issuer import KEY_ENV

    url, issuer, key_file = stack.url, stack.issuer, stack.issuer_key_file
    assert issuer is not None and key_file is not None
    if state().json:
        emit_json(
            {
                "url": url,
                "docs": f"{url}/docs",
                "console": f"{url}/console",
                "auth": "jwt",
                "issuer": issuer.issuer,
                "audience": issuer.audience,
                "key_file": str(key_file),
            }
        )
        return
    click.echo(f"Sundial is running at {url} (JWT auth)")
    click.echo(f"  API docs: {url}/docs")
    click.echo(f"  Console:  {url}/console")
    click.echo(f"  Issuer:   {issuer.issuer} (audience {issuer.audience}, tenant claim sub)")
    click.echo(f"  Tokens:   export {KEY_ENV}={key_file}")
    click.echo("            sundial local token --tenant <tenant>")
    minted = "$(sundial local token --tenant local)"
    click.echo(f"  CLI:      export SUNDIAL_URL={url} SUNDIAL_API_KEY={minted}")
    click.echo("Press Ctrl-C to stop.")


@local.command()
@click.option("--tenant", required=True, help="The tenant the token speaks for (its sub claim).")
@click.option(
    "--ttl",
    type=click.IntRange(min=1),
    default=3600,
    show_default=True,
    help="Seconds the token is valid for.",
)
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False),
    help="The running stack's --state-file: its signing key is kept beside it.",
)
@json_option
def token(tenant: str, ttl: int, state_file: str | None) -> None:
    """Mint a JWT for TENANT that a stack started with --auth jwt accepts.

    The signing key is the one the stack keeps beside --state-file, else the one named
    by SUNDIAL_LOCAL_JWT_KEY (the stack prints the export line at start). Prints the
    token alone, ready for `Authorization: Bearer <token>` or SUNDIAL_API_KEY.
    """
    from sundial_local.jwt_issuer import KEY_ENV, LocalIssuer, key_file_for

    from sundial.core.tenant_ids import CLAIMED_TENANT_RULE, is_claimed_tenant_id

    if not is_claimed_tenant_id(tenant):
        raise click.BadParameter(f"must be {CLAIMED_TENANT_RULE}", param_hint="'--tenant'")
    key_file = key_file_for(state_file) if state_file else os.environ.get(KEY_ENV)
    if not key_file:
        raise CliError(
            f"no signing key: pass the stack's --state-file, or set {KEY_ENV} "
            "as `sundial local --auth jwt` printed"
        )
    try:
        issuer = LocalIssuer.load(Path(key_file))
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read the signing key {key_file}: {exc}") from None
    now = int(time.time())
    minted = issuer.mint(tenant, ttl_seconds=ttl, now=now)
    if state().json:
        emit_json({"token": minted, "tenant": tenant, "expires_at": now + ttl})
        return
    click.echo(minted)
