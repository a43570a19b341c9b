"""Task files offline: how `apply` reads them (lists, directories, `${VAR}` references,
errors naming file, task and field), how it compares them with tasks (as the API's
models), and that `export` writes what it reads back unchanged."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sundial_cli.export import exported, variable_name
from sundial_cli.manifests import ManifestError, load
from sundial_cli.plan import Action, plan

from sundial.core.task import TaskSpec, TaskView

HANDLER = "target: {type: handler, name: h}"


def view_of(definition: dict, version: int = 1) -> TaskView:
    """A task as the API would return it for `definition`."""
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    return TaskView.of(
        TaskSpec.model_validate(definition),
        task_id=f"id-{definition['name']}",
        state="active",
        version=version,
        created_at=moment,
        updated_at=moment,
    )


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_directory_holds_tasks_as_mappings_lists_and_documents(tmp_path: Path) -> None:
    write(tmp_path, "one.yaml", f"name: a\nschedule: '@daily'\n{HANDLER}\n")
    write(tmp_path, "sub/list.yml", f"- name: b\n  schedule: '@daily'\n  {HANDLER}\n")
    write(tmp_path, "docs.yaml", f"name: c\nschedule: '@daily'\n{HANDLER}\n---\n")
    write(tmp_path, "notes.txt", "not a task file")
    assert sorted(task.name for task in load((str(tmp_path),), {})) == ["a", "b", "c"]


def test_a_task_without_a_name_is_named_by_its_place_in_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "t.yaml", f"- name: a\n  schedule: '@daily'\n  {HANDLER}\n- {{}}\n")
    with pytest.raises(ManifestError) as raised:
        load((str(path),), {})
    assert raised.value.field == "name"
    assert f"{path}: task #2: name is required" in raised.value.detail


def test_a_name_declared_twice_names_both_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", f"name: x\nschedule: '@daily'\n{HANDLER}\n")
    second = write(tmp_path, "b.yaml", f"name: x\nschedule: '@hourly'\n{HANDLER}\n")
    with pytest.raises(ManifestError, match=f"{second}: task x: .*also in {first}"):
        load((str(tmp_path),), {})


def test_an_invalid_field_is_named_with_the_file_and_the_task(tmp_path: Path) -> None:
    path = write(tmp_path, "t.yaml", f"name: x\nschedule: '@daily'\ntimezone: Mars/Base\n{HANDLER}")
    with pytest.raises(ManifestError) as raised:
        load((str(path),), {})
    assert (raised.value.code, raised.value.field) == ("invalid_timezone", "timezone")
    assert raised.value.detail.startswith(f"{path}: task x: ")


def test_references_resolve_and_print_as_written(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.yaml",
        "name: x\nschedule: '@daily'\n"
        "target: {type: http, url: 'https://h.example/', headers: {X-Token: 'a ${TOKEN}'}}\n"
        'payload: {note: "quote \\" ${TOKEN}"}\n',
    )
    (task,) = load((str(path),), {"TOKEN": 's3cr"t'})
    assert task.body["target"]["headers"]["X-Token"] == 'a s3cr"t'
    assert task.secrets == {
        "target.headers.X-Token": "a ${TOKEN}",
        "payload.note": 'quote " ${TOKEN}',
    }
    printed = task.redact(str(task.body) + '{"note": "s3cr\\"t"}')
    assert "s3cr" not in printed and "${TOKEN}" in printed


def test_an_unset_variable_leaves_a_write_only_field_out_and_fails_elsewhere(
    tmp_path: Path,
) -> None:
    secret = "target: {type: http, url: 'https://h.example/', signing_secret: '${SECRET}'}"
    path = write(tmp_path, "t.yaml", f"name: x\nschedule: '@daily'\n{secret}\n")
    (task,) = load((str(path),), {})
    assert "signing_secret" not in task.body["target"]
    assert task.omitted == ["target.signing_secret"]
    write(tmp_path, "t.yaml", f"name: x\nschedule: '@daily'\ndescription: '${{DESC}}'\n{HANDLER}")
    with pytest.raises(ManifestError, match=r"description references \$\{DESC\}, which is not set"):
        load((str(path),), {})


def test_the_same_definition_spelled_otherwise_is_unchanged(tmp_path: Path) -> None:
    current = view_of(
        {
            "name": "x",
            "schedule": "@daily",
            "start_at": "2030-01-01T08:00:00Z",
            "target": {"type": "handler", "name": "h"},
        }
    )
    path = write(
        tmp_path,
        "t.yaml",
        "name: x\nschedule: '@daily'\nstart_at: 2030-01-01T09:00:00+01:00\n"
        f"retry: {{max_attempts: 3}}\noverlap: allow\n{HANDLER}\n",
    )
    (step,) = plan(load((str(path),), {}), [current], prune=False)
    assert step.action == Action.UNCHANGED


def test_a_field_left_out_of_the_file_goes_back_to_its_default(tmp_path: Path) -> None:
    current = view_of(
        {
            "name": "x",
            "schedule": "@daily",
            "jitter_seconds": 9,
            "tags": {"a": "1"},
            "target": {"type": "handler", "name": "h"},
        },
        version=4,
    )
    path = write(tmp_path, "t.yaml", f"name: x\nschedule: '@daily'\n{HANDLER}\n")
    (step,) = plan(load((str(path),), {}), [current], prune=False)
    assert (step.action, step.version) == (Action.UPDATE, 4)
    assert step.update_body() == {"jitter_seconds": 0, "tags": {}}
    assert [(c.path, c.before, c.after) for c in step.changes] == [
        ("jitter_seconds", "9", "0"),
        ("tags.a", '"1"', "(absent)"),
    ]


def test_prune_deletes_what_no_file_names_and_only_with_prune(tmp_path: Path) -> None:
    kept, dropped = (
        view_of({"name": name, "schedule": "@daily", "target": {"type": "handler", "name": "h"}})
        for name in ("kept", "dropped")
    )
    path = write(tmp_path, "t.yaml", f"name: kept\nschedule: '@daily'\n{HANDLER}\n")
    declared = load((str(path),), {})
    assert [s.action for s in plan(declared, [kept, dropped], prune=False)] == [Action.UNCHANGED]
    steps = plan(declared, [kept, dropped], prune=True)
    assert [(s.action, s.name) for s in steps] == [
        (Action.UNCHANGED, "kept"),
        (Action.DELETE, "dropped"),
    ]


def test_an_exported_task_reads_back_unchanged(tmp_path: Path) -> None:
    current = view_of(
        {
            "name": "nightly-report",
            "schedule": "0 30 2 * * *",
            "timezone": "Europe/Berlin",
            "end_at": "2031-01-01T00:00:00+01:00",
            "target": {
                "type": "http",
                "url": "https://h.example/",
                "method": "PUT",
                "headers": {"X-Team": "a"},
                "signing_secret": "s",
            },
            "retry": {"max_attempts": 5},
            "misfire": {"policy": "skip", "grace_seconds": 60},
            "tags": {"team": "billing"},
        }
    )
    document = exported(current)
    assert document["retry"] == {"max_attempts": 5}  # defaults left out
    assert document["target"]["signing_secret"] == "${NIGHTLY_REPORT_SIGNING_SECRET}"
    path = write(tmp_path, "export.yaml", yaml.safe_dump([document]))
    (step,) = plan(load((str(path),), {}), [current], prune=False)
    assert step.action == Action.UNCHANGED, step.changes


def test_variable_names_are_made_of_task_and_header_names() -> None:
    assert variable_name("nightly-report") == "NIGHTLY_REPORT"
    assert variable_name("7am.sync") == "TASK_7AM_SYNC"
