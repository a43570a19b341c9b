"""Shell completion: `sundial --show-completion` and `--install-completion`, for the shell
`$SHELL` names."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from cli_runner import cli_runner
from click.testing import Result
from sundial_cli import cli


def run(command: str, shell: str, home: Path | None = None) -> Result:
    env = {"SHELL": shell, **({"HOME": str(home)} if home else {})}
    return cli_runner(env=env).invoke(cli, shlex.split(command), catch_exceptions=False)


def test_the_completion_options_are_on_the_sundial_command() -> None:
    out = run("--help", "/bin/bash").stdout
    assert "--install-completion" in out and "--show-completion" in out


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_show_completion_prints_the_script_of_the_users_shell(shell: str) -> None:
    result = run("--show-completion", f"/usr/bin/{shell}")
    assert result.exit_code == 0
    assert "_SUNDIAL_COMPLETE" in result.stdout and f"{shell}_complete" in result.stdout


def test_install_completion_writes_the_script_and_sources_it_once(tmp_path: Path) -> None:
    (tmp_path / ".bashrc").write_text("alias ll='ls -l'")
    for _ in range(2):
        result = run("--install-completion", "/bin/bash", home=tmp_path)
        assert result.exit_code == 0, result.output
    script = tmp_path / ".bash_completions" / "sundial.sh"
    assert "_SUNDIAL_COMPLETE=bash_complete" in script.read_text()
    assert (tmp_path / ".bashrc").read_text() == (
        "alias ll='ls -l'\nsource ~/.bash_completions/sundial.sh\n"
    )


def test_a_shell_without_completion_is_a_usage_error() -> None:
    result = run("--show-completion", "/bin/tcsh")
    assert result.exit_code == 2 and "bash, zsh, fish" in result.stderr
