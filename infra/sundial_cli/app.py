"""The `sundial` command: its global options and its command groups."""

from __future__ import annotations

from typing import Any

import click
from sundial_client import DEFAULT_TIMEOUT_SECONDS, DEFAULT_URL, SundialClientError

from sundial_cli.apply import apply
from sundial_cli.calendars import calendars
from sundial_cli.completion import completion_options
from sundial_cli.dead_letters import dead_letters
from sundial_cli.errors import cli_error
from sundial_cli.export import export
from sundial_cli.import_crontab import import_crontab
from sundial_cli.imports import imports
from sundial_cli.keys import keys
from sundial_cli.local import local
from sundial_cli.output import CliState, display_options, json_option
from sundial_cli.preview import preview
from sundial_cli.tasks import tasks

EPILOG = """\b
Exit codes: 0 success; 1 failed (a file, the keys table, AWS); 2 usage error;
3 the API refused the request (or offline, the input is invalid);
4 the API could not be reached. `apply --dry-run` exits 2 when the plan has changes.
"""


class _Sundial(click.Group):
    """The root group: a failure of the API client that a command lets through ends it
    as the CLI's error (one line on stderr, the exit code of its kind)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SundialClientError as exc:
            settings = ctx.ensure_object(CliState)
            raise cli_error(exc, url=settings.url, key_given=bool(settings.key)) from None


@click.group(cls=_Sundial, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
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
@display_options
@completion_options
@click.version_option(package_name="sundial", prog_name="sundial")
@click.pass_context
def cli(ctx: click.Context, url: str, key: str | None, timeout: float) -> None:
    """Sundial: schedule tasks, watch them run."""
    settings = ctx.ensure_object(CliState)
    settings.url, settings.key, settings.timeout = url, key or None, timeout


for command in (
    tasks,
    apply,
    export,
    preview,
    calendars,
    dead_letters,
    keys,
    imports,
    import_crontab,
    local,
):
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
