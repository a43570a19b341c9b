"""`sundial local --send-lead-ms`: the timed sends' lead the local stack's dispatcher uses,
300 ms unless told (a deployment's is 100: there the wait is billed, here it is free and
the emulator's one-at-a-time writes need the time)."""

from __future__ import annotations

import shlex
from typing import Any

import pytest
import sundial_local.stack
from cli_runner import cli_runner
from sundial_cli import cli
from sundial_local.stack import LOCAL_SEND_LEAD_MS, LocalConfig


class _StackThatRecords:
    """Stands in for LocalStack: keeps the config it is given, then fails to start (the
    command then exits 1), so no emulator is started."""

    configs: list[LocalConfig] = []

    def __init__(self, config: LocalConfig):
        self.configs.append(config)

    def start(self) -> None:
        raise RuntimeError("not started in this test")

    def stop(self) -> None:
        pass


@pytest.fixture
def started_with(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(sundial_local.stack, "LocalStack", _StackThatRecords)
    _StackThatRecords.configs = []

    def run(arguments: str) -> LocalConfig:
        result = cli_runner().invoke(cli, ["local", *shlex.split(arguments)])
        assert result.exit_code == 1, result.output
        (config,) = _StackThatRecords.configs
        _StackThatRecords.configs = []
        return config

    return run


def test_the_local_stack_sends_with_its_own_lead_unless_told(started_with: Any) -> None:
    assert started_with("").send_lead_ms == LOCAL_SEND_LEAD_MS == 300
    assert started_with("--send-lead-ms 100").send_lead_ms == 100
    assert started_with("--send-lead-ms 0").send_lead_ms == 0


def test_a_lead_beyond_the_dispatchers_range_is_a_usage_error() -> None:
    for bad in ("-1", "901", "soon"):
        result = cli_runner().invoke(cli, ["local", "--send-lead-ms", bad])
        assert result.exit_code == 2
        assert "--send-lead-ms" in result.stderr


def test_the_help_states_the_default_the_stack_uses() -> None:
    help_text = " ".join(cli_runner().invoke(cli, ["local", "--help"]).stdout.split())
    assert f"[default: {LOCAL_SEND_LEAD_MS}; deployed: 100]" in help_text
