"""Suite-wide settings: hypothesis is derandomized under CI so a run is reproducible, and
the process has the variables the functions cannot start without."""

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import settings

from sundial.settings import load_settings, reset_settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# Importing a handler module is its function's cold start, which checks its settings, and
# test modules import handlers when pytest collects them. These placeholders name nothing
# that exists: fixtures bind the store to emulated tables and set the emulated queues'
# URLs (then call reset_settings) before anything is read or sent.
REQUIRED_BY_THE_FUNCTIONS = {
    "TASKS_TABLE": "placeholder-tasks",
    "RUNS_TABLE": "placeholder-runs",
    "KEYS_TABLE": "placeholder-keys",
    "IDEMPOTENCY_TABLE": "placeholder-idempotency",
    "WORK_QUEUE_URL": "http://sqs.invalid/000000000000/placeholder-work",
    "DEAD_LETTER_QUEUE_URL": "http://sqs.invalid/000000000000/placeholder-dead-letters",
}
for _name, _value in REQUIRED_BY_THE_FUNCTIONS.items():
    os.environ.setdefault(_name, _value)


@pytest.fixture
def settings_from(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """`settings_from(Model, NAME=value, ...)` parses `Model` from exactly those variables,
    as a function given only them would at its cold start (raises InvalidSettings)."""

    def parse(model: type[Any], **environment: str) -> Any:
        for name in list(os.environ):
            monkeypatch.delenv(name)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        reset_settings()
        return load_settings(model)

    yield parse
    reset_settings()
