"""Tasks named as people name them: by id, by a short id as the tables print it, or by
name (unique within a tenant).

A full id costs no extra request and a name one (`GET /tasks?name=`); a short id is
matched against one listing of the tenant's tasks. A reference that names nothing ends
the command as the API's own `not_found` would.
"""

from __future__ import annotations

from collections.abc import Iterable

import click
from sundial_client import Client, NotFound

from sundial_cli import shortids

# How many candidates an ambiguous short id lists before "...".
SHOWN_CANDIDATES = 5


def task_id(client: Client, reference: str) -> str:
    """The id of the task `reference` names: its id, its name, or a unique start of its id
    (6 characters or more)."""
    if shortids.is_ulid(reference):
        return reference
    named = client.find_task(reference)
    if named is not None:
        return named.id
    if shortids.could_be_short_id(reference):
        ids = [task.id for task in client.list_tasks()]
        candidates = [found_id for found_id in ids if shortids.matches(reference, found_id)]
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            raise click.BadParameter(
                f"{reference} is the start of {len(candidates)} task ids "
                f"({_listed(candidates)}): give more of it, or the name",
                param_hint="'TASK'",
            )
    # The API's own answer for an unknown id, word for word.
    raise NotFound(404, "not_found", f"task {reference} not found")


def execution_ids(client: Client, references: Iterable[str]) -> list[str]:
    """The dead-lettered executions `references` name, in full: each as given when no
    dead letter has it in full, else the one it names as a short id (as the dead letters
    table prints them)."""
    references = list(references)
    if all(shortids.is_full_execution_id(reference) for reference in references):
        return references
    letters = [letter.execution_id for letter in client.list_dead_letters()]
    known = set(letters)
    resolved = []
    for reference in references:
        if reference in known:
            resolved.append(reference)
            continue
        candidates = [full for full in letters if shortids.matches(reference, full)]
        if len(candidates) > 1:
            raise click.BadParameter(
                f"{reference} names {len(candidates)} dead letters ({_listed(candidates)}):"
                " give more of it",
                param_hint="'EXECUTION_IDS'",
            )
        # Nothing matched: sent as given, for the API to say what it makes of it.
        resolved.append(candidates[0] if candidates else reference)
    return resolved


def _listed(candidates: list[str]) -> str:
    shown = ", ".join(candidates[:SHOWN_CANDIDATES])
    return shown + (", ..." if len(candidates) > SHOWN_CANDIDATES else "")
