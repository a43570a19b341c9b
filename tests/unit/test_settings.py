"""Settings parsed from the environment in one place."""

from __future__ import annotations

import pytest

from sundial.settings import DEV_PAGINATION_SECRET, Settings, get_settings, reset_settings


def test_defaults():
    settings = Settings.from_env({})
    assert (settings.shard_count, settings.run_retention_days) == (16, 30)
    assert settings.pagination_secret == DEV_PAGINATION_SECRET
    assert settings.tasks_table is None and settings.region is None


def test_values_from_environment():
    settings = Settings.from_env(
        {
            "TASKS_TABLE": "t",
            "RUNS_TABLE": "r",
            "SHARD_COUNT": "64",
            "RUN_RETENTION_DAYS": "7",
            "PAGINATION_SECRET": "s3cret",
            "AWS_DEFAULT_REGION": "eu-west-1",
        }
    )
    assert settings == Settings("t", "r", 64, 7, "s3cret", "eu-west-1")


def test_dispatcher_settings_from_environment():
    settings = Settings.from_env(
        {"WORK_QUEUE_URL": "http://q", "HORIZON_SECONDS": "15", "DISPATCH_THREADS": "2"}
    )
    assert (settings.work_queue_url, settings.horizon_seconds, settings.dispatch_threads) == (
        "http://q",
        15,
        2,
    )
    with pytest.raises(ValueError, match="HORIZON_SECONDS"):
        Settings.from_env({"HORIZON_SECONDS": "900"})


def test_aws_region_wins_over_default_region():
    env = {"AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "us-east-1"}
    assert Settings.from_env(env).region == "eu-central-1"


@pytest.mark.parametrize(
    "name, value",
    [
        ("SHARD_COUNT", "0"),
        ("SHARD_COUNT", "257"),
        ("SHARD_COUNT", "x"),
        ("RUN_RETENTION_DAYS", "0"),
    ],
)
def test_unusable_values_name_the_variable(name, value):
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})


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


def test_continuation_mode_is_invoke_unless_the_local_stack_asks_to_return():
    assert Settings.from_env({}).continuation_mode == "invoke"
    assert Settings.from_env({"CONTINUATION_MODE": "return"}).continuation_mode == "return"
    with pytest.raises(ValueError, match="CONTINUATION_MODE"):
        Settings.from_env({"CONTINUATION_MODE": "later"})
