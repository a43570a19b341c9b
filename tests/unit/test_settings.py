"""Settings: the variables every function is given, the dispatcher's, and how a variable
that cannot be used is reported (by its name)."""

from __future__ import annotations

import pytest

from sundial.api.settings import ApiSettings
from sundial.dispatch.settings import DispatcherSettings
from sundial.settings import (
    DEV_PAGINATION_SECRET,
    InvalidSettings,
    Settings,
    get_settings,
    load_settings,
    reset_settings,
)

DISPATCHER = {"TASKS_TABLE": "t", "WORK_QUEUE_URL": "http://q"}


def test_defaults(settings_from):
    settings = settings_from(Settings)
    assert (settings.shard_count, settings.run_retention_days) == (16, 30)
    assert settings.horizon_seconds == 90
    assert (settings.lookahead_seconds, settings.max_fires_per_commit) == (840, 120)
    assert settings.pagination_secret == DEV_PAGINATION_SECRET
    assert settings.tasks_table is None and settings.region is None
    assert settings.work_queue_url is None


def test_values_from_environment(settings_from):
    settings = settings_from(
        Settings,
        TASKS_TABLE="t",
        RUNS_TABLE="r",
        SHARD_COUNT="64",
        RUN_RETENTION_DAYS="7",
        PAGINATION_SECRET="s3cret",
        AWS_DEFAULT_REGION="eu-west-1",
    )
    assert (settings.tasks_table, settings.runs_table) == ("t", "r")
    assert (settings.shard_count, settings.run_retention_days) == (64, 7)
    assert (settings.pagination_secret, settings.region) == ("s3cret", "eu-west-1")


def test_empty_variables_count_as_unset(settings_from):
    settings = settings_from(Settings, TASKS_TABLE="", SHARD_COUNT="", PAGINATION_SECRET="")
    assert settings.tasks_table is None and settings.shard_count == 16
    assert settings.pagination_secret == DEV_PAGINATION_SECRET
    with pytest.raises(InvalidSettings, match="TASKS_TABLE is not set"):
        settings_from(DispatcherSettings, **{**DISPATCHER, "TASKS_TABLE": ""})


def test_aws_region_wins_over_default_region(settings_from):
    env = {"AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "us-east-1"}
    assert settings_from(Settings, **env).region == "eu-central-1"
    assert settings_from(Settings, AWS_REGION="", AWS_DEFAULT_REGION="us-east-1").region == (
        "us-east-1"
    )


def test_pagination_secret_stays_out_of_the_settings_repr(settings_from):
    settings = settings_from(Settings, PAGINATION_SECRET="s3cret-key")
    assert "s3cret-key" not in repr(settings) and "s3cret-key" not in str(settings)


@pytest.mark.parametrize(
    "model, name, value",
    [
        (Settings, "SHARD_COUNT", "0"),
        (Settings, "SHARD_COUNT", "257"),
        (Settings, "SHARD_COUNT", "x"),
        (Settings, "RUN_RETENTION_DAYS", "0"),
        (Settings, "HORIZON_SECONDS", "900"),  # delays past SQS's 900 s limit
        (Settings, "LOOKAHEAD_SECONDS", "900"),  # no minute kept for rounding a delay up
        (Settings, "LOOKAHEAD_SECONDS", "-1"),
        (Settings, "MAX_FIRES_PER_COMMIT", "0"),
        (DispatcherSettings, "DISPATCH_THREADS", "0"),
        (DispatcherSettings, "DISPATCH_PAGE_SIZE", "1001"),
        (DispatcherSettings, "DISPATCH_RESERVE_MS", "-1"),
        (DispatcherSettings, "MAX_CONTINUATIONS", "many"),
        (DispatcherSettings, "CONTINUATION_MODE", "later"),
    ],
)
def test_unusable_values_name_the_variable(settings_from, model, name, value):
    with pytest.raises(InvalidSettings, match=f"{name}: .*, got '{value}'") as raised:
        settings_from(model, **DISPATCHER, **{name: value})
    assert raised.value.variables == (name,)


def test_every_missing_or_unusable_variable_is_named_at_once(settings_from):
    with pytest.raises(InvalidSettings) as raised:
        settings_from(DispatcherSettings, SHARD_COUNT="abc")
    assert set(raised.value.variables) == {"TASKS_TABLE", "SHARD_COUNT", "WORK_QUEUE_URL"}
    message = str(raised.value)
    assert message.startswith("DispatcherSettings: ")
    assert "TASKS_TABLE is not set" in message and "WORK_QUEUE_URL is not set" in message


def test_get_settings_is_cached_until_reset(monkeypatch):
    monkeypatch.setenv("SHARD_COUNT", "4")
    reset_settings()
    assert get_settings() is get_settings()
    assert get_settings().shard_count == 4
    monkeypatch.setenv("SHARD_COUNT", "8")
    assert get_settings().shard_count == 4
    reset_settings()
    assert get_settings().shard_count == 8
    monkeypatch.delenv("SHARD_COUNT")
    reset_settings()


def test_reset_settings_forgets_every_functions_model(monkeypatch):
    for name, value in DISPATCHER.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DISPATCH_THREADS", "3")
    reset_settings()
    assert load_settings(DispatcherSettings) is load_settings(DispatcherSettings)
    monkeypatch.setenv("DISPATCH_THREADS", "5")
    reset_settings()
    assert load_settings(DispatcherSettings).dispatch_threads == 5
    reset_settings()


def test_settings_cannot_be_changed_once_read(settings_from):
    settings = settings_from(Settings)
    with pytest.raises(ValueError, match="frozen"):
        settings.shard_count = 4


def test_dispatcher_settings_from_environment(settings_from):
    settings = settings_from(
        DispatcherSettings, **DISPATCHER, HORIZON_SECONDS="15", DISPATCH_THREADS="2"
    )
    assert (settings.work_queue_url, settings.horizon_seconds, settings.dispatch_threads) == (
        "http://q",
        15,
        2,
    )
    assert (settings.dispatch_page_size, settings.dispatch_reserve_ms) == (100, 10_000)
    assert settings.max_continuations == 10


def test_continuation_mode_is_invoke_unless_the_local_stack_asks_to_return(settings_from):
    assert settings_from(DispatcherSettings, **DISPATCHER).continuation_mode == "invoke"
    returning = settings_from(DispatcherSettings, **DISPATCHER, CONTINUATION_MODE="Return")
    assert returning.continuation_mode == "return"


def test_each_function_requires_the_variables_it_cannot_run_without():
    from sundial.api.settings import AuthorizerSettings
    from sundial.execute.settings import ExecutorSettings

    def required(model: type[Settings]) -> set[str]:
        return {name.upper() for name, field in model.model_fields.items() if field.is_required()}

    assert required(Settings) == set()
    assert required(DispatcherSettings) == {"TASKS_TABLE", "WORK_QUEUE_URL"}
    assert required(ExecutorSettings) == {
        "TASKS_TABLE",
        "RUNS_TABLE",
        "WORK_QUEUE_URL",
        "DEAD_LETTER_QUEUE_URL",
    }
    assert required(ApiSettings) == {
        "TASKS_TABLE",
        "RUNS_TABLE",
        "WORK_QUEUE_URL",
        "IDEMPOTENCY_TABLE",
    }
    assert required(AuthorizerSettings) == {"KEYS_TABLE"}
