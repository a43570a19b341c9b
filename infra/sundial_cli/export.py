"""`sundial export`: the tenant's tasks as a YAML task file that `sundial apply` reads back
with an empty plan.

Fields at the API's default are left out, so the file says what is particular to each
task. What the API never returns is written as a reference to an environment variable
named after the task: `signing_secret: ${NIGHTLY_REPORT_SIGNING_SECRET}` on every HTTP
target (the API does not say whether one is set; unset, apply keeps the stored secret),
and `${<TASK>_<HEADER>}` for a header value the API returns masked; an HTTP notification
destination's are `${<TASK>_NOTIFICATION_<N>_SIGNING_SECRET}` and
`${<TASK>_NOTIFICATION_<N>_<HEADER>}` (N its position, from 1).
"""

from __future__ import annotations

import re
from typing import IO, Any

import click
import yaml
from pydantic import BaseModel

from sundial.core.task import TARGET_MODELS, TaskSpec, TaskView
from sundial.core.task.notifications import DESTINATION_MODELS
from sundial_cli.output import api_options, note, state
from sundial_cli.plan import is_masked


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    show_default=True,
    help="Where to write the YAML.",
)
@api_options
def export(output: IO[str]) -> None:
    """Write the tenant's tasks as YAML that `sundial apply` reads back.

    \b
    sundial export -o schedules/tasks.yaml
    sundial export | sundial apply -f - --dry-run    # no changes
    """
    tasks = list(state().client().list_tasks())
    named = sorted((t for t in tasks if t.name is not None), key=lambda t: t.name or "")
    documents = [exported(task) for task in named]
    output.write(yaml.safe_dump(documents, sort_keys=False, allow_unicode=True, width=100))
    if len(named) < len(tasks):
        note(
            f"Left out {len(tasks) - len(named)} task(s) without a name: apply keys tasks "
            "by name (give them one with `sundial tasks update ID --name NAME`)."
        )


def exported(task: TaskView) -> dict[str, Any]:
    """A task's definition as a task file writes it: name first, defaults left out."""
    shown = task.model_dump(mode="json")
    document: dict[str, Any] = {}
    for name, info in TaskSpec.model_fields.items():
        value = shown[name]
        if not info.is_required() and name != "name":
            default = _as_json(info.get_default(call_default_factory=True))
            if default == value:
                continue
            if isinstance(default, dict) and isinstance(value, dict):  # retry, misfire
                value = _without_defaults(value, default)
        document[name] = value
    target = document["target"] = _without_defaults(
        shown["target"], _field_defaults(TARGET_MODELS[shown["target"]["type"]])
    )
    variable = variable_name(task.name or task.id)
    if target["type"] == "http":
        _write_only_as_references(target, variable)
    for number, notification in enumerate(document.get("notifications") or [], start=1):
        destination = notification["destination"] = _without_defaults(
            notification["destination"],
            _field_defaults(DESTINATION_MODELS[notification["destination"]["type"]]),
        )
        if destination["type"] == "http":
            _write_only_as_references(destination, f"{variable}_NOTIFICATION_{number}")
    return document


def _write_only_as_references(webhook: dict[str, Any], variable: str) -> None:
    """A webhook's masked header values and (unknown) signing secret as references to
    variables named with `variable`."""
    for header, value in webhook.get("headers", {}).items():
        if is_masked(value):
            webhook["headers"][header] = f"${{{variable}_{variable_name(header)}}}"
    webhook["signing_secret"] = f"${{{variable}_SIGNING_SECRET}}"


def variable_name(text: str) -> str:
    """An environment variable name made of `text`: NIGHTLY_REPORT for nightly-report."""
    name = re.sub(r"[^A-Za-z0-9]", "_", text).upper()
    return f"TASK_{name}" if name[:1].isdigit() else name


def _without_defaults(value: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k not in defaults or defaults[k] != v}


def _field_defaults(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON defaults of a model's optional fields (`method: POST`, `headers: {}`)."""
    return {
        name: _as_json(info.get_default(call_default_factory=True))
        for name, info in model.model_fields.items()
        if not info.is_required()
    }


def _as_json(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value
