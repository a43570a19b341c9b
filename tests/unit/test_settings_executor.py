"""The executor's settings."""

from __future__ import annotations

import pytest

from sundial.settings import Settings


def test_executor_defaults_refuse_loopback_and_private_targets():
    settings = Settings.from_env({})
    assert settings.allow_loopback_targets is False
    assert settings.allow_private_targets is False
    assert settings.handler_modules == ()
    assert settings.requeue_after_receives == 5


def test_executor_settings_from_environment():
    settings = Settings.from_env(
        {
            "ALLOW_LOOPBACK_TARGETS": "true",
            "ALLOW_PRIVATE_TARGETS": "False",
            "HANDLER_MODULES": "team.jobs, reports",
            "REQUEUE_AFTER_RECEIVES": "3",
        }
    )
    assert settings.allow_loopback_targets and not settings.allow_private_targets
    assert settings.handler_modules == ("team.jobs", "reports")
    assert settings.requeue_after_receives == 3


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ALLOW_LOOPBACK_TARGETS", "maybe"),
        ("HANDLER_MODULES", "team-jobs"),
        ("REQUEUE_AFTER_RECEIVES", "10"),  # must stay below the queue's maxReceiveCount
    ],
)
def test_bad_executor_settings_name_the_variable(name, value):
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})
