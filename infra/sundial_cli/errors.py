"""Exit codes, and the errors that end a command with one of them.

Every error leaves as one line on stderr, `error: <what went wrong>`, and an exit code a
script can branch on without parsing text:

* 0 `OK`: the command did what it was asked.
* 1 `FAILED`: it could not, for a reason of its own (a file that cannot be read, the
  keys table, an unknown key id, AWS when a command reads it).
* 2 `USAGE`: click's code for a bad flag, argument or option value.
* 3 `REJECTED`: the API answered with an error (printed from its envelope as
  `error: <code> (<field>): <message>`), or, for the offline commands, the input is one
  the API would reject for the same reason.
* 4 `UNREACHABLE`: no answer from the API at all (connection refused, DNS, TLS, timeout).
"""

from __future__ import annotations

from enum import IntEnum
from typing import IO, Any

import click
from sundial_client import ApiError, SundialClientError
from sundial_client.transport import is_loopback


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    REJECTED = 3
    UNREACHABLE = 4


class CliError(click.ClickException):
    """A failure shown as `error: <message>` on stderr, ending the command with `exit_code`."""

    exit_code = ExitCode.FAILED

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", file=file, err=True)


class Rejected(CliError):
    """The request was refused: an API error response, or the same rule checked offline.

    `code`, `field` and `message` are those of the API's error envelope.
    """

    exit_code = ExitCode.REJECTED

    def __init__(
        self, code: str, message: str, field: str | None = None, *, status: int | None = None
    ):
        self.code = code
        self.field = field
        self.status = status
        self.detail = message
        where = f" ({field})" if field else ""
        super().__init__(f"{code}{where}: {message}")

    def envelope(self) -> dict[str, Any]:
        """The API's error envelope, for `--json` output of commands that keep going."""
        return {"code": self.code, "message": self.detail, "field": self.field}


class Unreachable(CliError):
    """The API could not be reached, or did not answer in time."""

    exit_code = ExitCode.UNREACHABLE


def cli_error(error: SundialClientError, *, url: str, key_given: bool) -> CliError:
    """The client's failure as the CLI reports it, with a hint where one helps."""
    if isinstance(error, ApiError):
        message = error.message
        if error.status == 401 and not key_given:
            message += " (no API key given: pass --key or set SUNDIAL_API_KEY)"
        return Rejected(error.code, message, error.field, status=error.status)
    hint = " (is `sundial local` running?)" if is_loopback(url) else ""
    return Unreachable(f"{error}{hint}")
