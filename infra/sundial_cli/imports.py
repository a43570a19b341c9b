"""`sundial import SOURCE`: schedules kept elsewhere become tasks.

One subcommand per source; each reads the source, creates a task per schedule it can
express (and says why not for the others), and creates nothing twice when run again.
"""

from __future__ import annotations

import click

from sundial_cli.import_eventbridge import import_eventbridge


@click.group(name="import")
def imports() -> None:
    """Create tasks from schedules kept elsewhere (see also import-crontab)."""


imports.add_command(import_eventbridge)
