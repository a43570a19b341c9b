"""What `sundial apply` would change: declared tasks against the tenant's tasks, by name.

Each declared task is a create (no task has its name), an update (the fields that differ,
leaf by leaf) or unchanged; with prune, every task of the tenant that no file names is a
delete. Fields are compared as the API's models, so spellings that mean the same
(`+01:00` or `Z` for one instant, defaults written out or left out) are no change.

What the API never returns cannot be compared: a signing secret is sent when a task is
created or its target (or, a destination's, its notifications) changes, never detected
as changed on its own. A header value the API returns masked compares equal to a value
that references a variable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from enum import StrEnum
from typing import Any

from sundial.core.task import TaskSpec, TaskView
from sundial.core.task.limits import HIDDEN_HEADER_VALUE
from sundial.core.task.spec import AS_SHOWN
from sundial_cli.manifests import Declared, webhook_part

# The definition's fields a plan compares; `name` is the key, not a change.
COMPARED = tuple(f for f in TaskSpec.model_fields if f != "name")
WRITE_ONLY_TARGET_FIELDS = frozenset({"signing_secret"})
HIDDEN = "(hidden)"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DELETE = "delete"


@dataclass(frozen=True)
class Change:
    """One leaf that differs: its dotted path and its values as shown (secrets never)."""

    path: str
    before: str
    after: str


@dataclass
class Step:
    """What apply does with one task. `version` is the one read when planning: an update
    or delete sends it as If-Match, so an edit made since is a conflict, not overwritten."""

    action: Action
    name: str | None
    source: str | None = None
    task_id: str | None = None
    version: int | None = None
    declared: Declared | None = None
    changes: list[Change] = field(default_factory=list)
    # The top-level fields the update sends.
    fields: list[str] = field(default_factory=list)

    def update_body(self) -> dict[str, Any]:
        assert self.declared is not None
        # Every changed field as the file gives it, or, left out there, as the API's
        # default (a field removed from a file goes back to its default).
        whole = self.declared.spec.model_dump(mode="json")
        given = self.declared.body
        return {f: given.get(f, whole[f]) for f in self.fields}

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"action": str(self.action), "name": self.name}
        if self.source:
            document["file"] = self.source
        if self.task_id:
            document["id"] = self.task_id
        if self.changes:
            document["changes"] = [
                {"field": c.path, "before": c.before, "after": c.after} for c in self.changes
            ]
        if self.declared and self.declared.omitted:
            document["left_out"] = self.declared.omitted
        return document


def plan(declared: Iterable[Declared], current: Iterable[TaskView], *, prune: bool) -> list[Step]:
    """The steps that make the tenant's tasks what the files declare, in file order, the
    deletes last."""
    by_name: dict[str, TaskView] = {}
    unnamed: list[TaskView] = []
    for view in current:
        if view.name is None:
            unnamed.append(view)
        else:
            by_name[view.name] = view
    steps: list[Step] = []
    for task in declared:
        existing = by_name.pop(task.name, None)
        if existing is None:
            steps.append(Step(Action.CREATE, task.name, task.source, declared=task))
            continue
        fields, changes = _differences(task, existing)
        steps.append(
            Step(
                Action.UPDATE if fields else Action.UNCHANGED,
                task.name,
                task.source,
                task_id=existing.id,
                version=existing.version,
                declared=task,
                changes=changes,
                fields=fields,
            )
        )
    if prune:
        for left in sorted(by_name.values(), key=lambda t: t.name or "") + unnamed:
            steps.append(Step(Action.DELETE, left.name, task_id=left.id, version=left.version))
    return steps


def _differences(task: Declared, existing: TaskView) -> tuple[list[str], list[Change]]:
    """The top-level fields that differ, and the leaves that differ under them."""
    ours = _comparable(task.spec)
    theirs = _comparable(_spec_of(existing))
    fields: list[str] = []
    changes: list[Change] = []
    for name in COMPARED:
        leaves = [
            (path, before, after)
            for path, before, after in _leaf_differences(name, theirs[name], ours[name])
            if not _masked_equal(path, before, task)
        ]
        if leaves:
            fields.append(name)
            changes += [
                Change(path, _shown(before, task), _shown(after, task))
                for path, before, after in leaves
            ]
    return fields, changes


def _spec_of(view: TaskView) -> TaskSpec:
    """The definition a task's view shows (the fields apply compares)."""
    shown = view.model_dump(mode="python")
    fields = {f: shown[f] for f in TaskSpec.model_fields if f in shown}
    # Credential header values come masked (`***`): shown, not sent back.
    return TaskSpec.model_validate(fields, context={AS_SHOWN: True})


def _comparable(spec: TaskSpec) -> dict[str, Any]:
    """The fields as JSON, instants in UTC (one instant, one spelling), secrets left out."""
    document = spec.model_dump(
        mode="json",
        exclude={
            "target": set(WRITE_ONLY_TARGET_FIELDS),
            "notifications": {"__all__": {"destination": set(WRITE_ONLY_TARGET_FIELDS)}},
        },
    )
    for name in ("start_at", "end_at"):
        value = getattr(spec, name)
        if value is not None:
            document[name] = value.astimezone(UTC).isoformat()
    return document


def _leaf_differences(path: str, before: Any, after: Any) -> Iterator[tuple[str, Any, Any]]:
    """(dotted path, before, after) of every leaf that differs; objects are walked,
    lists and other values compared whole (but notifications of the same count entry by
    entry, so that a destination's masked header compares as the target's does). A key
    only one side has differs too."""
    lists = isinstance(before, list) and isinstance(after, list)
    if path == "notifications" and lists and len(before) == len(after):
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            yield from _leaf_differences(f"{path}.{index}", old, new)
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            yield from _leaf_differences(
                f"{path}.{key}", before.get(key, _ABSENT), after.get(key, _ABSENT)
            )
        return
    if before != after:
        yield path, before, after


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


_ABSENT = _Absent()


def _masked_equal(path: str, before: Any, task: Declared) -> bool:
    """A header the API shows masked equals a file's reference: neither side can be read."""
    below = webhook_part(tuple(path.split(".")))
    masked = is_masked(before) and path in task.secrets
    return masked and below is not None and below[:1] == ("headers",)


def is_masked(value: Any) -> bool:
    """Whether the API returned a value masked (write-only)."""
    return value == HIDDEN_HEADER_VALUE


def _shown(value: Any, task: Declared) -> str:
    """A value as a plan prints it, as JSON; a variable's value shows as its reference."""
    if value is _ABSENT:
        return "(absent)"
    if is_masked(value):
        return HIDDEN
    return task.redact(json.dumps(value, ensure_ascii=False))
