"""`handler` targets: the @task registry, built-ins, failures and the timeout."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import pytest

from sundial.core.task import HandlerTarget
from sundial.execute import PermanentFailure, task
from sundial.targets import handler
from sundial.targets.base import Invocation, TargetEnvironment
from sundial.targets.failures import TargetTimeout

ENV = TargetEnvironment(aws=lambda *_: None)


def _invocation(payload: Any = None, seconds: float = 5) -> Invocation:
    return Invocation(
        task_id="T",
        tenant="acme",
        execution_id="T:1",
        fire_at_ms=1,
        attempt=1,
        payload=payload,
        deadline=time.monotonic() + seconds,
    )


def _run(name: str, payload: Any = None, seconds: float = 5, env=ENV) -> Any:
    target = HandlerTarget(type="handler", name=name)
    return handler.invoke(target, _invocation(payload, seconds), env)


@pytest.fixture
def registered():
    names: list[str] = []

    def register(name: str, function) -> None:
        task(name)(function)
        names.append(name)

    yield register
    for name in names:
        handler.unregister(name)


def test_a_registered_handler_gets_the_payload_and_the_invocation(registered):
    seen: list[Any] = []

    def job(payload: Any, invocation: Invocation) -> dict[str, int]:
        seen.append((payload, invocation.execution_id))
        return {"rows": 3}

    registered("unit.job", job)

    assert _run("unit.job", {"day": "2026-01-01"}) == {"rows": 3}
    assert seen == [({"day": "2026-01-01"}, "T:1")]


def test_built_ins_echo_sleep_and_log():
    assert _run("echo", {"x": [1, 2]}) == {"x": [1, 2]}
    assert _run("sleep", {"seconds": 0}) == {"slept": 0}
    assert _run("log", {"hello": "world"}) is None
    with pytest.raises(PermanentFailure):
        _run("sleep", {"seconds": "forever"})


def test_an_unknown_handler_is_a_permanent_failure_naming_the_fix():
    with pytest.raises(PermanentFailure, match="HANDLER_MODULES"):
        _run("nobody.registered.this")


def test_exceptions_propagate_for_classification(registered):
    def flaky(payload: Any, invocation: Invocation) -> None:
        raise ConnectionError("database restarting")

    registered("unit.flaky", flaky)
    with pytest.raises(ConnectionError):
        _run("unit.flaky")


def test_a_handler_outliving_the_timeout_times_out(registered):
    release = threading.Event()

    def stuck(payload: Any, invocation: Invocation) -> None:
        release.wait(5)

    registered("unit.stuck", stuck)
    try:
        with pytest.raises(TargetTimeout):
            _run("unit.stuck", seconds=0.05)
    finally:
        release.set()


def test_a_name_is_registered_once(registered):
    def first(payload: Any, invocation: Invocation) -> None:
        return None

    def second(payload: Any, invocation: Invocation) -> None:
        return None

    registered("unit.once", first)
    registered("unit.once", first)  # the same function again (a module imported twice)
    with pytest.raises(ValueError, match="already registered"):
        task("unit.once")(second)


def test_names_follow_the_task_models_rule():
    with pytest.raises(ValueError):
        task("9-starts-with-a-digit")


def test_handler_modules_are_imported_before_lookup(tmp_path, monkeypatch):
    module = tmp_path / "team_jobs_for_test.py"
    module.write_text(
        "from sundial.execute import task\n"
        "@task('team.report')\n"
        "def report(payload, invocation):\n"
        "    return {'team': payload}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    env = TargetEnvironment(aws=lambda *_: None, handler_modules=("team_jobs_for_test",))
    try:
        assert _run("team.report", "data", env=env) == {"team": "data"}
    finally:
        handler.unregister("team.report")
        sys.modules.pop("team_jobs_for_test", None)
