"""Suite-wide settings: hypothesis is derandomized under CI so a run is reproducible, and
the process has the variables the functions cannot start without."""

import os
from collections.abc import Callable, Iterator
from typing import Any

import botocore.loaders
import botocore.session
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

# botocore reads its service models and endpoint data (megabytes of JSON) once per
# session: its loader caches per instance. moto gives boto3 a new default session for
# every mocked test, and PynamoDB makes one per connection, so each test read the same
# files again. The files do not change during a run: one loader per data path serves
# every session of this process (the functions' code is untouched; subprocesses, such
# as the local stack, load as they always do).
_LOADERS: dict[str | None, botocore.loaders.Loader] = {}


def _shared_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
    if search_path_string not in _LOADERS:
        _LOADERS[search_path_string] = botocore.loaders.create_loader(search_path_string)
    return _LOADERS[search_path_string]


botocore.session.create_loader = _shared_loader  # type: ignore[attr-defined]


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
