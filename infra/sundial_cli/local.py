"""`sundial local`: start the local stack and print where to reach it."""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Literal

import click

from sundial_cli.errors import CliError
from sundial_cli.output import emit_json, json_option, state

if TYPE_CHECKING:
    from sundial_local.stack import LocalStack

LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


@click.command()
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
    "--state-file",
    type=click.Path(dir_okay=False),
    help="Keep tasks, runs and keys across restarts.",
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
    state_file: str | None,
    log_level: str,
    function_log_level: str | None,
    log_format: Literal["text", "json"],
    metrics: bool,
) -> None:
    """Run Sundial on this machine: no Docker, no AWS account.

    Prints the API, docs and console URLs and an API key (SUNDIAL_LOCAL_API_KEYS=
    "tenant=key,..." fixes the keys instead), then runs until Ctrl-C or SIGTERM.
    """
    if horizon <= tick:
        raise click.BadParameter(
            "must be longer than --tick, or fires would be late", param_hint="'--horizon'"
        )
    # Imported here: the emulator (moto) is heavy and no other command needs it.
    from sundial_local.stack import LocalConfig, LocalStack, parse_api_keys

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
        state_file=state_file,
        api_keys=api_keys,
        log_level=level,
        function_log_level=(function_log_level or level).upper(),
        log_format=log_format,
        metrics=metrics,
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
