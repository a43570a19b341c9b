"""The executor's settings."""

from __future__ import annotations

import pytest

from sundial.execute.settings import ExecutorSettings
from sundial.settings import InvalidSettings

QUEUES_AND_TABLES = {
    "TASKS_TABLE": "t",
    "RUNS_TABLE": "r",
    "WORK_QUEUE_URL": "http://q/work",
    "DEAD_LETTER_QUEUE_URL": "http://q/dead",
}


def test_executor_defaults_refuse_loopback_and_private_targets(settings_from):
    settings = settings_from(ExecutorSettings, **QUEUES_AND_TABLES)
    assert settings.allow_loopback_targets is False
    assert settings.allow_private_targets is False
    assert settings.handler_modules == ()
    assert settings.requeue_after_receives == 5


def test_executor_settings_from_environment(settings_from):
    settings = settings_from(
        ExecutorSettings,
        **QUEUES_AND_TABLES,
        ALLOW_LOOPBACK_TARGETS="true",
        ALLOW_PRIVATE_TARGETS="False",
        HANDLER_MODULES="team.jobs, reports",
        REQUEUE_AFTER_RECEIVES="3",
    )
    assert settings.allow_loopback_targets and not settings.allow_private_targets
    assert settings.handler_modules == ("team.jobs", "reports")
    assert settings.requeue_after_receives == 3
    assert (settings.work_queue_url, settings.dead_letter_queue_url) == (
        "http://q/work",
        "http://q/dead",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("YES", True), ("1", True), ("false", False), ("No", False), ("0", False)],
)
def test_flags_are_true_or_false_in_any_case_also_one_zero_yes_no(settings_from, value, expected):
    settings = settings_from(ExecutorSettings, **QUEUES_AND_TABLES, ALLOW_PRIVATE_TARGETS=value)
    assert settings.allow_private_targets is expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ALLOW_LOOPBACK_TARGETS", "maybe"),
        ("ALLOW_PRIVATE_TARGETS", "on"),  # only true/false, 1/0, yes/no
        ("HANDLER_MODULES", "team-jobs"),
        ("HANDLER_MODULES", "team.jobs, 2fa"),
        ("REQUEUE_AFTER_RECEIVES", "10"),  # must stay below the queue's maxReceiveCount
        ("REQUEUE_AFTER_RECEIVES", "0"),
    ],
)
def test_bad_executor_settings_name_the_variable(settings_from, name, value):
    with pytest.raises(InvalidSettings, match=name) as raised:
        settings_from(ExecutorSettings, **QUEUES_AND_TABLES, **{name: value})
    assert raised.value.variables == (name,)


@pytest.mark.parametrize("name", sorted(QUEUES_AND_TABLES))
def test_executor_cannot_run_without_its_tables_and_queues(settings_from, name):
    others = {k: v for k, v in QUEUES_AND_TABLES.items() if k != name}
    with pytest.raises(InvalidSettings, match=f"{name} is not set") as raised:
        settings_from(ExecutorSettings, **others)
    assert raised.value.variables == (name,)
