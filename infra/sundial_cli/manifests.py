"""Task files for `sundial apply`: YAML read into validated definitions, keyed by name.

A file holds one task (a mapping) or a list of them, in one or more YAML documents; a
directory stands for every `*.yaml` / `*.yml` file below it. Each task is the task
resource's fields (`name` required: it is the key that finds the task again).

String values may reference environment variables, `${NAME}`, so that secrets stay out
of the files. A value that references one is never shown: plans print the reference
(`${WEBHOOK_SECRET}`), not what it resolves to. A reference to an unset variable is an
error, except in a write-only value of a webhook (the HTTP target, or an HTTP
notification destination): in its `signing_secret` it leaves the field out, and in a
credential header (`target.headers.Authorization`, ...) it sends the value masked as
responses show it; either way an update keeps the stored secret (what an exported
file, which cannot know the secret, relies on), and a create is refused by the API,
naming the field.

Every task is validated with the API's own model before any request, and an error names
the file, the task and the field.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sundial.core.errors import SundialError
from sundial.core.task import TaskSpec, validate
from sundial.core.task.limits import HIDDEN_HEADER_VALUE
from sundial.core.task.spec import AS_SHOWN
from sundial.core.task.targets import carries_credentials
from sundial_cli.errors import CliError, Rejected

REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# A webhook's field the API never returns: an unset reference leaves it out instead of
# failing.
WRITE_ONLY_WEBHOOK_FIELD = "signing_secret"
STDIN = "-"


@dataclass
class Declared:
    """One task as a file declares it: the validated definition and where it came from.

    `body` is the create body (the fields the file gives, references resolved); `secrets`
    maps the dotted path of every value that referenced a variable to the text as written;
    `variables` the variables referenced to their values, for `redact`. `omitted` lists
    write-only fields left out because their variable is unset.
    """

    name: str
    source: str
    spec: TaskSpec
    body: dict[str, Any]
    secrets: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    omitted: list[str] = field(default_factory=list)

    def redact(self, text: str) -> str:
        """`text` with every referenced variable's value (raw or JSON-escaped) put back as
        its reference: what is printed never carries a secret."""
        for variable, value in sorted(self.variables.items(), key=lambda kv: -len(kv[1])):
            if value:
                for spelling in {value, json.dumps(value, ensure_ascii=False)[1:-1]}:
                    text = text.replace(spelling, f"${{{variable}}}")
        return text


class ManifestError(Rejected):
    """A task file the API would refuse: the file, the task and the field at fault."""

    def __init__(self, source: str, task: str, code: str, message: str, path: str | None):
        super().__init__(code, f"{source}: task {task}: {message}", path)


def load(paths: tuple[str, ...], environ: Mapping[str, str] | None = None) -> list[Declared]:
    """Every task the files and directories declare, validated; names unique across them."""
    env = os.environ if environ is None else environ
    declared: list[Declared] = []
    seen: dict[str, str] = {}
    for source, raw in _documents(paths):
        for index, item in enumerate(_tasks_of(source, raw)):
            task = _declared(source, index, item, env)
            if task.name in seen:
                raise ManifestError(
                    source,
                    task.name,
                    "validation_error",
                    f"the name is declared twice (also in {seen[task.name]})",
                    "name",
                )
            seen[task.name] = source
            declared.append(task)
    return declared


def _documents(paths: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    for path in paths:
        for file in _files(path):
            try:
                text = sys.stdin.read() if file == STDIN else Path(file).read_text("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CliError(f"cannot read {file}: {exc}") from None
            try:
                documents = list(yaml.safe_load_all(text))
            except yaml.YAMLError as exc:
                raise CliError(f"{file} is not valid YAML: {exc}") from None
            for document in documents:
                if document is not None:
                    yield ("<stdin>" if file == STDIN else file), document


def _files(path: str) -> list[str]:
    if path == STDIN:
        return [STDIN]
    root = Path(path)
    if root.is_dir():
        found = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml"))
        return [str(p) for p in found if p.is_file()]
    if not root.exists():
        raise CliError(f"no such file or directory: {path}")
    return [path]


def _tasks_of(source: str, document: Any) -> list[Any]:
    if isinstance(document, dict):
        return [document]
    if isinstance(document, list):
        return document
    raise CliError(f"{source}: a task file holds a task (a mapping) or a list of tasks")


def _declared(source: str, index: int, item: Any, env: Mapping[str, str]) -> Declared:
    label = f"#{index + 1}"
    if not isinstance(item, dict):
        raise ManifestError(source, label, "validation_error", "must be a mapping", None)
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise ManifestError(
            source, label, "validation_error", "name is required: tasks are keyed by name", "name"
        )
    secrets: dict[str, str] = {}
    omitted: list[str] = []
    resolved = _resolve(_with_on_keys(item), (), env, secrets, omitted, source, name)
    try:
        # A credential header kept as stored is sent masked, as responses show it.
        spec = validate(TaskSpec, resolved, context={AS_SHOWN: True} if omitted else None)
    except SundialError as exc:
        raise ManifestError(source, name, exc.code, exc.message, exc.field) from None
    body = spec.model_dump(mode="json", exclude_unset=True)
    variables = {
        m[1]: env[m[1]]
        for written in secrets.values()
        for m in REFERENCE.finditer(written)
        if m[1] in env
    }
    return Declared(name, source, spec, body, secrets, variables, omitted)


def _with_on_keys(item: dict[str, Any]) -> dict[str, Any]:
    """`item` with each notification's `on` key spelled as the API's field: YAML 1.1 (what
    PyYAML reads) takes a bare `on:` key for the boolean true, and writing it quoted is
    easily forgotten. Only there: elsewhere (a payload) a true key stays what it is."""
    notifications = item.get("notifications")
    if not isinstance(notifications, list):
        return item
    fixed = [
        {("on" if key is True else key): value for key, value in entry.items()}
        if isinstance(entry, dict) and True in entry and "on" not in entry
        else entry
        for entry in notifications
    ]
    return {**item, "notifications": fixed}


def _resolve(
    value: Any,
    path: tuple[str, ...],
    env: Mapping[str, str],
    secrets: dict[str, str],
    omitted: list[str],
    source: str,
    task: str,
) -> Any:
    """`value` with every `${NAME}` replaced; write-only fields with an unset variable
    are left out (their paths added to `omitted`)."""
    if isinstance(value, dict):
        resolved = {}
        for key, item in value.items():
            where = (*path, str(key))
            dotted = ".".join(where)
            if _is_write_only(where) and isinstance(item, str) and _unset(item, env):
                omitted.append(dotted)
                continue
            resolved[key] = _resolve(item, where, env, secrets, omitted, source, task)
        return resolved
    if isinstance(value, list):
        return [
            _resolve(item, (*path, str(n)), env, secrets, omitted, source, task)
            for n, item in enumerate(value)
        ]
    if isinstance(value, str) and REFERENCE.search(value):
        dotted = ".".join(path)
        missing = _unset(value, env)
        if missing and _is_credential_header(path):
            secrets[dotted] = value
            omitted.append(dotted)
            return HIDDEN_HEADER_VALUE
        if missing:
            raise ManifestError(
                source,
                task,
                "validation_error",
                f"{dotted} references ${{{missing}}}, which is not set in the environment",
                dotted,
            )
        secrets[dotted] = value
        return REFERENCE.sub(lambda match: env[match[1]], value)
    return value


def webhook_part(path: tuple[str, ...]) -> tuple[str, ...] | None:
    """The part of `path` below a webhook (the target, a notification's destination):
    `("headers", "Authorization")` for `notifications.0.destination.headers.Authorization`;
    None for a path that is not below one."""
    if path[:1] == ("target",):
        return path[1:]
    if len(path) >= 3 and path[0] == "notifications" and path[2] == "destination":
        return path[3:]
    return None


def _is_write_only(path: tuple[str, ...]) -> bool:
    return webhook_part(path) == (WRITE_ONLY_WEBHOOK_FIELD,)


def _is_credential_header(path: tuple[str, ...]) -> bool:
    below = webhook_part(path)
    return (
        below is not None
        and len(below) == 2
        and below[0] == "headers"
        and (carries_credentials(below[1]))
    )


def _unset(text: str, env: Mapping[str, str]) -> str | None:
    """The first variable `text` references that the environment does not set."""
    return next((m[1] for m in REFERENCE.finditer(text) if m[1] not in env), None)
