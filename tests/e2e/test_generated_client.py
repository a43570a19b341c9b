"""A client generated from the served OpenAPI document works as is against the local stack.

openapi-python-client (the dev extra installs it) generates a package from
/v1/openapi.json into a temporary directory; the test imports it and drives the main
routes with its models: create (with an Idempotency-Key, then replayed), get, list,
update with If-Match (and a stale one), pause, resume, trigger, runs, dead letters,
redrive without a body, preview and delete. The generated code also type-checks (mypy).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from e2e_harness import KEYS

# The generated package's name: nothing else in the test process is called that.
PACKAGE = "sundial_generated_client"
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
GENERATE_SECONDS = 300
# No post-hooks: the generator would otherwise run ruff over its output, which only
# restyles it.
GENERATOR_CONFIG = {"package_name_override": PACKAGE, "post_hooks": []}


@pytest.fixture(scope="module")
def generated_package(stack, tmp_path_factory) -> Path:
    """The package generated from the stack's /v1/openapi.json."""
    if not GENERATOR.exists():
        pytest.fail(f"openapi-python-client is not installed beside {sys.executable}")
    workdir = tmp_path_factory.mktemp("generated-client")
    document = workdir / "openapi.json"
    with urllib.request.urlopen(f"{stack.base}/openapi.json", timeout=30) as reply:
        document.write_bytes(reply.read())
    config = workdir / "config.json"
    config.write_text(json.dumps(GENERATOR_CONFIG))
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(document),
            "--config",
            str(config),
            "--meta",
            "none",
            "--output-path",
            str(workdir / PACKAGE),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=GENERATE_SECONDS,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return workdir / PACKAGE


@pytest.fixture(scope="module")
def generated(generated_package: Path) -> Iterator[ModuleType]:
    """The generated package, imported."""
    workdir = generated_package.parent
    sys.path.insert(0, str(workdir))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(workdir))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_the_generated_client_type_checks(generated_package: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", str(generated_package)],
        capture_output=True,
        text=True,
        timeout=GENERATE_SECONDS,
        cwd=generated_package.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _module(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


def test_a_generated_client_drives_the_main_routes(stack, receiver, wait_for, generated):
    create_task = _module(generated, "api.tasks.create_task")
    get_task = _module(generated, "api.tasks.get_task")
    list_tasks = _module(generated, "api.tasks.list_tasks")
    update_task = _module(generated, "api.tasks.update_task")
    pause_task = _module(generated, "api.tasks.pause_task")
    resume_task = _module(generated, "api.tasks.resume_task")
    trigger_task = _module(generated, "api.tasks.trigger_task")
    delete_task = _module(generated, "api.tasks.delete_task")
    list_runs = _module(generated, "api.runs.list_runs")
    list_dead_letters = _module(generated, "api.dead_letters.list_dead_letters")
    redrive_dead_letters = _module(generated, "api.dead_letters.redrive_dead_letters")
    preview_schedule = _module(generated, "api.schedules.preview_schedule")
    models = _module(generated, "models")

    client = generated.AuthenticatedClient(base_url=stack.base, token=KEYS["generated"])
    path = f"/generated-{uuid.uuid4().hex}"
    receiver.statuses[path] = 400  # refused for good: the triggered run is dead-lettered

    # create: the model's defaults are left out of the body, not sent as null
    spec = models.TaskSpec(
        name=f"generated-{uuid.uuid4().hex[:12]}",
        schedule="0 0 3 1 1 *",
        target=models.HttpTarget(type_="http", url=receiver.url(path)),
        retry=models.Retry(max_attempts=1),
    )
    key = str(uuid.uuid4())
    created = create_task.sync_detailed(client=client, body=spec, idempotency_key=key)
    assert created.status_code == 201, created.content
    task = created.parsed
    assert isinstance(task, models.TaskView)
    assert isinstance(task.created_at, datetime) and task.last_run is None
    assert task.misfire.policy == "fire_once"
    replayed = create_task.sync_detailed(client=client, body=spec, idempotency_key=key)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.parsed.id == task.id

    # get and list
    got = get_task.sync_detailed(task.id, client=client)
    assert got.status_code == 200 and got.parsed.name == spec.name
    etag = got.headers["ETag"]
    listed = list_tasks.sync(client=client, limit=100)
    assert task.id in [t.id for t in listed.tasks]

    # update with If-Match; a stale version is refused with the error envelope
    changes = models.TaskUpdate(description="made by a generated client")
    updated = update_task.sync_detailed(task.id, client=client, body=changes, if_match=etag)
    assert updated.status_code == 200 and updated.parsed.description == changes.description
    stale = update_task.sync_detailed(task.id, client=client, body=changes, if_match=etag)
    assert stale.status_code == 412
    assert isinstance(stale.parsed, models.ErrorEnvelope)
    assert stale.parsed.error.code == "version_mismatch"

    # pause and resume
    paused = pause_task.sync(task.id, client=client, if_match=updated.headers["ETag"])
    assert paused.state == models.TaskState.PAUSED
    resumed = resume_task.sync(task.id, client=client)
    assert resumed.state == models.TaskState.ACTIVE

    # trigger: the run, the task's last run and the dead letter it becomes
    triggered = trigger_task.sync(task.id, client=client)
    execution_id = triggered.execution_id

    def dead_letter() -> Any:
        page = list_dead_letters.sync(client=client, limit=100)
        return next((d for d in page.dead_letters if d.execution_id == execution_id), None)

    letter = wait_for(dead_letter, 60)
    assert letter.task_id == task.id and letter.reason
    assert isinstance(letter.dead_lettered_at, datetime)
    runs = list_runs.sync(task.id, client=client).runs
    assert [run.execution_id for run in runs] == [execution_id]
    assert runs[0].status == models.RunStatus.FAILED
    last_run = get_task.sync(task.id, client=client).last_run
    assert isinstance(last_run, models.RunView) and last_run.execution_id == execution_id

    # redrive without a body: all of this tenant's dead letters
    redriven = redrive_dead_letters.sync_detailed(client=client)
    assert redriven.status_code == 202 and redriven.parsed.redriven >= 1

    # preview
    preview = preview_schedule.sync(
        client=client, body=models.PreviewRequest(schedule="0 0 3 * * *", count=2)
    )
    assert len(preview.fire_times) == 2 and isinstance(preview.fire_times[0], datetime)

    # delete, then the task is gone
    deleted = delete_task.sync_detailed(task.id, client=client)
    assert deleted.status_code == 204
    gone = get_task.sync_detailed(task.id, client=client)
    assert gone.status_code == 404 and gone.parsed.error.code == "not_found"
