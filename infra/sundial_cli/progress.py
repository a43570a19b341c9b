"""A progress bar for long imports: on stderr, only on a terminal, never under --json.

Piped or captured output (scripts, CI, tests) gets no bar at all, so stdout and stderr
carry only results and errors.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from sundial_cli.output import state


class progress_bar:
    """`with progress_bar(total) as advance:` ... `advance()` after each item."""

    def __init__(self, total: int, label: str = "importing"):
        stderr = Console(stderr=True)
        self.progress = Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            console=stderr,
            transient=True,
            disable=state().json or not stderr.is_terminal,
        )
        self.task = self.progress.add_task(label, total=total)

    def __enter__(self) -> Any:
        self.progress.start()
        return lambda: self.progress.advance(self.task)

    def __exit__(self, *_exc: Any) -> None:
        self.progress.stop()
