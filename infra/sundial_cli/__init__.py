"""The `sundial` command line: tasks over the HTTP API, schedules offline, keys, the local stack.

`main` is the console script (pyproject `sundial = "sundial_cli:main"`); `cli` is the click
group, for click's test runner. One module per command group; `errors` has the exit codes.
"""

from sundial_cli.app import cli, main

__all__ = ["cli", "main"]
