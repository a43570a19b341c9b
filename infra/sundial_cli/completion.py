"""Shell completion: `sundial --show-completion` prints the script for the user's shell,
`sundial --install-completion` puts it where the shell reads it.

The scripts are click's own (commands, options and choices complete; they call
`sundial` back with `_SUNDIAL_COMPLETE` set, which click answers before any command
runs), and a TASK argument completes with the tenant's task names. The shell is the
one `$SHELL` names: bash, zsh or fish.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from click.shell_completion import CompletionItem, get_completion_class
from sundial_client import DEFAULT_URL, Client, SundialClientError
from sundial_client.retry import NO_RETRIES

F = TypeVar("F", bound=Callable[..., Any])
PROG_NAME = "sundial"
COMPLETE_VAR = "_SUNDIAL_COMPLETE"
SHELLS = ("bash", "zsh", "fish")
# A completion waits for the API at most this long: a shell must not hang on a tab.
TASK_NAMES_TIMEOUT_SECONDS = 2.0

# Where each shell finds the script, relative to the home directory, and the lines its
# startup file needs to read it (fish reads its completions directory by itself).
_SCRIPT_PATHS = {
    "bash": ".bash_completions/sundial.sh",
    "zsh": ".zfunc/_sundial",
    "fish": ".config/fish/completions/sundial.fish",
}
_STARTUP = {
    "bash": (".bashrc", "source ~/.bash_completions/sundial.sh"),
    "zsh": (".zshrc", "fpath+=~/.zfunc; autoload -Uz compinit; compinit"),
}


def user_shell() -> str:
    """The shell `$SHELL` names; a usage error if it is none that click completes."""
    shell = Path(os.environ.get("SHELL", "")).name
    if shell not in SHELLS:
        raise click.UsageError(
            f"cannot complete for the shell {shell or '(SHELL is not set)'}: "
            f"completion works in {', '.join(SHELLS)}"
        )
    return shell


def completion_script(group: click.Command, shell: str) -> str:
    completion = get_completion_class(shell)
    assert completion is not None  # every shell of SHELLS is click's
    return completion(group, {}, PROG_NAME, COMPLETE_VAR).source()


def install(group: click.Command, shell: str, home: Path) -> Path:
    """Write the script for `shell` under `home` and make the shell's startup file read
    it (once: installing again changes nothing else). Returns the script's path."""
    script = home / _SCRIPT_PATHS[shell]
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(completion_script(group, shell), encoding="utf-8")
    if shell in _STARTUP:
        name, line = _STARTUP[shell]
        startup = home / name
        existing = startup.read_text(encoding="utf-8") if startup.exists() else ""
        if line not in existing.splitlines():
            separator = "" if not existing or existing.endswith("\n") else "\n"
            startup.write_text(existing + separator + line + "\n", encoding="utf-8")
    return script


def _show(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(completion_script(_root(ctx), user_shell()), nl=False)
        ctx.exit()


def _install(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        shell = user_shell()
        script = install(_root(ctx), shell, Path.home())
        click.echo(f"Installed {shell} completion in {script}; it works in new shells.")
        ctx.exit()


def _root(ctx: click.Context) -> click.Command:
    return ctx.find_root().command


def task_names(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[Any]:
    """Completes a TASK argument with the names of the tenant's tasks, asking the API the
    `sundial` options (or their environment variables) point at; nothing if it cannot."""
    root = ctx.find_root().params
    try:
        client = Client(
            root.get("url") or DEFAULT_URL,
            root.get("key"),
            timeout=TASK_NAMES_TIMEOUT_SECONDS,
            retry=NO_RETRIES,
        )
        names = [task.name for task in client.list_tasks() if task.name]
    except (SundialClientError, ValueError):
        return []
    return [CompletionItem(name) for name in names if name.startswith(incomplete)]


def completion_options(function: F) -> F:
    """`--install-completion` and `--show-completion`, on the `sundial` group."""
    function = click.option(
        "--show-completion",
        is_flag=True,
        is_eager=True,
        expose_value=False,
        callback=_show,
        help="Print the completion script for your shell ($SHELL: bash, zsh, fish).",
    )(function)
    return click.option(
        "--install-completion",
        is_flag=True,
        is_eager=True,
        expose_value=False,
        callback=_install,
        help="Install completion for your shell ($SHELL: bash, zsh, fish).",
    )(function)
