"""`sundial apply` and `sundial export` against the served API: a directory of task files
becomes the tenant's tasks, a second apply changes nothing, an edit updates only what
changed, --prune deletes what no file names, an export applies back with an empty plan,
and an edit made between plan and apply is a conflict, not overwritten."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_harness import KEYS, Sundial
from sundial_cli import apply as apply_command
from sundial_client import Client

NIGHTLY = """\
name: nightly-report
schedule: "0 30 2 * * *"
timezone: Europe/Berlin
target:
  type: http
  url: https://example.com/hook
  headers:
    Authorization: Bearer ${REPORT_TOKEN}
    X-Tenant-Ref: ref-${TENANT_REF}
  signing_secret: ${WEBHOOK_SECRET}
payload: {report: daily}
retry: {max_attempts: 5}
tags: {team: billing}
"""
BATCH = """\
- name: hourly-sync
  schedule: "@hourly"
  target: {type: handler, name: sync}
- name: window
  schedule: rate(15 minutes)
  start_at: 2030-01-01T09:00:00+01:00
  end_at: "2030-06-01T00:00:00Z"
  target: {type: sqs, queue_url: "https://sqs.us-east-1.amazonaws.com/123456789012/jobs"}
  misfire: {policy: skip}
"""
SECRETS = {
    "REPORT_TOKEN": "tok-3f9a7c51e2",
    "WEBHOOK_SECRET": "whsec-88d0b6a4f1",
    "TENANT_REF": "tr-51c0e9d2",
}


@pytest.fixture
def schedules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository's directory of task files, its secrets in the environment."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    directory = tmp_path / "schedules"
    (directory / "batch").mkdir(parents=True)
    (directory / "nightly.yaml").write_text(NIGHTLY)
    (directory / "batch" / "jobs.yml").write_text(BATCH)
    (directory / "README.md").write_text("not a task file")
    return directory


def client(served_api: str) -> Client:
    return Client(served_api, KEYS["acme"])


def tasks_by_name(served_api: str) -> dict[str | None, Any]:
    return {t.name: t for t in client(served_api).list_tasks()}


def plan_of(sundial: Sundial, *args: str, input: str | None = None) -> list[dict[str, Any]]:
    result = sundial("apply --dry-run --json", *args, input=input)
    assert result.exit_code in (0, 2), result.output
    return json.loads(result.stdout)["plan"]


def test_applying_a_directory_creates_its_tasks_and_a_second_apply_changes_nothing(
    sundial: Sundial, schedules: Path, served_api: str
) -> None:
    dry = sundial("apply --dry-run -f", str(schedules))
    assert dry.exit_code == 2  # changes pending: what CI fails on
    assert tasks_by_name(served_api) == {}
    created = sundial("apply -f", str(schedules))
    assert created.exit_code == 0, created.output
    tasks = tasks_by_name(served_api)
    assert set(tasks) == {"nightly-report", "hourly-sync", "window"}
    assert tasks["nightly-report"].retry.max_attempts == 5
    assert tasks["window"].misfire.policy == "skip"
    again = sundial("apply -f", str(schedules))
    assert again.exit_code == 0
    assert {step["action"] for step in plan_of(sundial, "-f", str(schedules))} == {"unchanged"}
    assert sundial("apply --dry-run -f", str(schedules)).exit_code == 0
    assert {t.version for t in tasks_by_name(served_api).values()} == {1}


def test_an_edited_file_updates_only_the_changed_fields(
    sundial: Sundial, schedules: Path, served_api: str
) -> None:
    assert sundial("apply -f", str(schedules)).exit_code == 0
    before = tasks_by_name(served_api)["nightly-report"]
    edited = NIGHTLY.replace("max_attempts: 5", "max_attempts: 7").replace(
        "team: billing", "team: billing, tier: gold"
    )
    (schedules / "nightly.yaml").write_text(edited)
    steps = {step["name"]: step for step in plan_of(sundial, "-f", str(schedules))}
    assert steps["hourly-sync"]["action"] == steps["window"]["action"] == "unchanged"
    assert steps["nightly-report"]["action"] == "update"
    assert steps["nightly-report"]["changes"] == [
        {"field": "retry.max_attempts", "before": "5", "after": "7"},
        {"field": "tags.tier", "before": "(absent)", "after": '"gold"'},
    ]
    assert sundial("apply -f", str(schedules)).exit_code == 0
    after = tasks_by_name(served_api)["nightly-report"]
    assert after.version == before.version + 1
    assert (after.retry.max_attempts, after.tags) == (7, {"team": "billing", "tier": "gold"})
    assert after.model_dump(exclude={"retry", "tags", "version", "updated_at"}) == (
        before.model_dump(exclude={"retry", "tags", "version", "updated_at"})
    )


def test_prune_deletes_the_tasks_no_file_names(
    sundial: Sundial, schedules: Path, served_api: str
) -> None:
    assert sundial("apply -f", str(schedules)).exit_code == 0
    unnamed = sundial.json("tasks create -s @daily --handler adhoc")["id"]
    (schedules / "batch" / "jobs.yml").unlink()
    without_prune = plan_of(sundial, "-f", str(schedules))
    assert [step["action"] for step in without_prune] == ["unchanged"]
    pruning = sundial("apply --prune -f", str(schedules))
    assert pruning.exit_code == 0, pruning.output
    assert "delete     hourly-sync" in pruning.stdout and unnamed in pruning.stdout
    assert set(tasks_by_name(served_api)) == {"nightly-report"}


def test_an_export_applies_back_with_an_empty_plan(
    sundial: Sundial, schedules: Path, served_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sundial("apply -f", str(schedules)).exit_code == 0
    by_hand = (
        "tasks create --name by-hand -s '*/5 * * * *' --handler h --jitter-seconds 3 --tag a:b"
    )
    assert sundial(by_hand).exit_code == 0
    exported = sundial("export")
    assert exported.exit_code == 0, exported.output
    # The API never returns a signing secret: the export references a variable instead.
    assert "signing_secret: ${NIGHTLY_REPORT_SIGNING_SECRET}" in exported.stdout
    assert SECRETS["WEBHOOK_SECRET"] not in exported.stdout
    # Another shell: none of the secrets' variables set; the stored secret is kept.
    monkeypatch.delenv("WEBHOOK_SECRET")
    result = sundial("apply --dry-run -f -", input=exported.stdout)
    assert result.exit_code == 0, result.output
    steps = plan_of(sundial, "-f", "-", input=exported.stdout)
    assert len(steps) == 4 and {step["action"] for step in steps} == {"unchanged"}


def test_an_edit_between_plan_and_apply_is_a_conflict_not_overwritten(
    sundial: Sundial, schedules: Path, served_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sundial("apply -f", str(schedules)).exit_code == 0
    (schedules / "nightly.yaml").write_text(NIGHTLY.replace("max_attempts: 5", "max_attempts: 6"))
    planned = apply_command.plan

    def plan_then_someone_edits(*args: Any, **kwargs: Any) -> Any:
        steps = planned(*args, **kwargs)
        task = tasks_by_name(served_api)["nightly-report"]
        client(served_api).update_task(task.id, {"description": "edited by hand"})
        return steps

    monkeypatch.setattr(apply_command, "plan", plan_then_someone_edits)
    result = sundial("apply -f", str(schedules))
    assert result.exit_code == 3
    assert "conflict: changed since the plan read version 1" in result.stdout
    task = tasks_by_name(served_api)["nightly-report"]
    assert (task.description, task.retry.max_attempts) == ("edited by hand", 5)


def test_secrets_are_never_printed(sundial: Sundial, schedules: Path) -> None:
    created = sundial("apply --json -f", str(schedules))
    assert created.exit_code == 0
    (schedules / "nightly.yaml").write_text(NIGHTLY.replace("ref-", "scope-"))
    updated = sundial("apply -f", str(schedules))
    assert updated.exit_code == 0
    assert "target.headers.X-Tenant-Ref" in updated.stdout
    assert '"scope-${TENANT_REF}"' in updated.stdout
    for output in (created.output, updated.output):
        for value in SECRETS.values():
            assert value not in output


def test_an_invalid_file_names_the_file_the_task_and_the_field_and_sends_nothing(
    sundial: Sundial, schedules: Path, served_api: str
) -> None:
    broken = schedules / "batch" / "jobs.yml"
    broken.write_text(BATCH.replace("misfire: {policy: skip}", "misfire: {policy: later}"))
    result = sundial("apply -f", str(schedules))
    assert result.exit_code == 3
    assert result.stderr.startswith(
        f"error: validation_error (misfire.policy): {broken}: task window: misfire.policy"
    )
    assert tasks_by_name(served_api) == {}


def test_an_unset_variable_outside_a_write_only_field_is_an_error(
    sundial: Sundial, schedules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TENANT_REF")
    result = sundial("apply --dry-run -f", str(schedules / "nightly.yaml"))
    assert result.exit_code == 3
    assert "target.headers.X-Tenant-Ref references ${TENANT_REF}" in result.stderr
    assert "task nightly-report" in result.stderr


def test_an_unset_variable_in_a_credential_header_keeps_the_stored_value(
    sundial: Sundial, schedules: Path, served_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sundial("apply -f", str(schedules)).exit_code == 0
    monkeypatch.delenv("REPORT_TOKEN")
    # The API shows the header masked and the file cannot say more: nothing to change.
    (schedules / "nightly.yaml").write_text(NIGHTLY.replace("max_attempts: 5", "max_attempts: 6"))
    result = sundial("apply -f", str(schedules / "nightly.yaml"))
    assert result.exit_code == 0
    assert "    retry.max_attempts: 5 -> 6" in result.stdout
    assert "the stored value is kept): target.headers.Authorization" in result.stdout
    task = tasks_by_name(served_api)["nightly-report"]
    assert task.retry.max_attempts == 6
    assert task.target.headers["Authorization"] == "***"  # kept, still hidden


ALERTED = """\
name: alerted
schedule: "@daily"
target: {type: handler, name: h}
notifications:
  - on: [run.failed, run.dead_lettered]
    destination:
      type: http
      url: https://hooks.example.com/sundial
      headers: {Authorization: "Bearer ${HOOK_TOKEN}"}
      signing_secret: ${HOOK_SECRET}
  - on: [task.paused]
    destination: {type: sns, topic_arn: "arn:aws:sns:us-east-1:123456789012:alerts"}
"""
HOOK_SECRETS = {"HOOK_TOKEN": "hooktok-7d1e0c", "HOOK_SECRET": "hooksec-2b94aa"}


def _stored_hook(task_id: str) -> Any:
    from sundial import store

    return store.spec_of(store.get_task("acme", task_id)).notifications[0].destination


def test_notifications_apply_export_and_apply_back_keeping_their_secrets(
    sundial: Sundial, tmp_path: Path, served_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in HOOK_SECRETS.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "alerted.yaml"
    path.write_text(ALERTED)
    applied = sundial("apply -f", str(path))
    assert applied.exit_code == 0, applied.output
    assert {step["action"] for step in plan_of(sundial, "-f", str(path))} == {"unchanged"}
    task = tasks_by_name(served_api)["alerted"]
    hook = _stored_hook(task.id)
    assert (hook.signing_secret, hook.headers) == (
        "hooksec-2b94aa",
        {"Authorization": "Bearer hooktok-7d1e0c"},
    )
    exported = sundial("export")
    assert exported.exit_code == 0, exported.output
    assert "signing_secret: ${ALERTED_NOTIFICATION_1_SIGNING_SECRET}" in exported.stdout
    assert "Authorization: ${ALERTED_NOTIFICATION_1_AUTHORIZATION}" in exported.stdout
    assert "method:" not in exported.stdout  # a destination's defaults are left out
    for value in HOOK_SECRETS.values():
        assert value not in exported.stdout + applied.output
    # Another shell, no variable set: nothing to change, and an edit keeps the secrets.
    for name in HOOK_SECRETS:
        monkeypatch.delenv(name)
    steps = plan_of(sundial, "-f", "-", input=exported.stdout)
    assert [step["action"] for step in steps] == ["unchanged"]
    edited = exported.stdout.replace("- task.paused", "- task.paused\n    - task.completed")
    assert edited != exported.stdout
    result = sundial("apply -f -", input=edited)
    assert result.exit_code == 0, result.output
    assert "notifications.1.on" in result.stdout
    assert _stored_hook(task.id) == hook
