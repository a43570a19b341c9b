"""click's test runner with stdout and stderr kept apart, on every click the project allows.

click 8.1 mixes stderr into stdout unless told `mix_stderr=False`; click 8.2 removed the
option and always keeps them apart. The CLI's contract (JSON alone on stdout, errors on
stderr) can only be tested with them apart.
"""

from __future__ import annotations

from collections.abc import Mapping

from click.testing import CliRunner


def cli_runner(env: Mapping[str, str | None] | None = None) -> CliRunner:
    try:
        return CliRunner(env=env, mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:  # click >= 8.2
        return CliRunner(env=env)
