"""The `sundial` command: its global options and its command groups."""

from __future__ import annotations

import click

from sundial_cli.client import DEFAULT_TIMEOUT_SECONDS, DEFAULT_URL
from sundial_cli.dead_letters import dead_letters
from sundial_cli.import_crontab import import_crontab
from sundial_cli.keys import keys
from sundial_cli.local import local
from sundial_cli.output import CliState, json_option
from sundial_cli.preview import preview
from sundial_cli.tasks import tasks

EPILOG = """\b
Exit codes: 0 success; 1 failed (a file, the keys table); 2 usage error;
3 the API refused the request (or offline, the input is invalid);
4 the API could not be reached.
"""


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--url",
    envvar="SUNDIAL_URL",
    default=DEFAULT_URL,
    show_default=True,
    help="API base URL, with the stage: https://{api-id}.execute-api.{region}.amazonaws.com/v1."
    " Env: SUNDIAL_URL.",
)
@click.option("--key", envvar="SUNDIAL_API_KEY", help="API key. Env: SUNDIAL_API_KEY.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT_SECONDS,
    show_default=True,
    help="Seconds to wait for the API.",
)
@json_option
@click.version_option(package_name="sundial", prog_name="sundial")
@click.pass_context
def cli(ctx: click.Context, url: str, key: str | None, timeout: float) -> None:
    """Sundial: schedule tasks, watch them run."""
    settings = ctx.ensure_object(CliState)
    settings.url, settings.key, settings.timeout = url, key or None, timeout


for command in (tasks, preview, dead_letters, keys, import_crontab, local):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> int:
    """The console script: runs the command and returns its exit code."""
    try:
        cli.main(args=argv, prog_name="sundial")
    except SystemExit as exit:
        code = exit.code
        if code is None:
            return 0
        return int(code) if isinstance(code, int) else 1
    return 0
