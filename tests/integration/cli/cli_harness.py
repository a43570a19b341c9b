"""Running `sundial` in tests: click's runner, and `Sundial`, which points it at a server."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from click.testing import CliRunner, Result
from sundial_cli import cli

KEYS = {"acme": "key-acme-0123456789", "globex": "key-globex-0123456789"}


def cli_runner() -> CliRunner:
    """click's runner with stdout and stderr apart (click 8.1 mixes them unless told not
    to; click 8.2 removed the option and always keeps them apart)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:  # click >= 8.2
        return CliRunner()


@dataclass
class Sundial:
    """Runs `sundial <command>` against the served API, as tenant `acme` unless told otherwise.

    `command` is split as a shell would split it; `extra` arguments are passed as they are.
    """

    url: str
    runner: CliRunner

    def __call__(
        self, command: str, *extra: str, tenant: str | None = "acme", input: str | None = None
    ) -> Result:
        options = ["--url", self.url]
        if tenant is not None:
            options += ["--key", KEYS[tenant]]
        args = [*options, *shlex.split(command), *extra]
        return self.runner.invoke(cli, args, input=input, catch_exceptions=False)

    def json(self, command: str, *extra: str, tenant: str | None = "acme") -> Any:
        """The JSON document `sundial <command> --json` prints (asserting it succeeded)."""
        result = self(command, *extra, "--json", tenant=tenant)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)
