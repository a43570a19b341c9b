"""A handler target names a handler registered with @task (a built-in or one in
HANDLER_MODULES); any other name is refused when the task is written, as the executor
would refuse it at every fire."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sundial.core import handlers
from sundial.core.errors import InvalidTarget
from sundial.core.network import NetworkPolicy
from sundial.core.task import parse_task_create
from sundial.core.task.feasibility import check_target_feasible
from sundial.targets import handler as executor_handlers


def _handler_target(name: str) -> object:
    spec = parse_task_create({"schedule": "@daily", "target": {"type": "handler", "name": name}})
    return spec.target


@pytest.fixture
def team_report() -> Iterator[str]:
    handlers.task("team.report")(lambda payload, invocation: payload)
    yield "team.report"
    handlers.unregister("team.report")


def test_the_declared_builtins_are_the_ones_the_executor_registers() -> None:
    executor_builtins = {
        name
        for name in executor_handlers.registered_names()
        if handlers.registered_handler(name) is not None
        and handlers.registered_handler(name).__module__ == executor_handlers.__name__
    }
    assert executor_builtins == handlers.BUILTIN_HANDLERS


def test_an_unknown_handler_is_an_invalid_target_naming_target_name_and_listing_the_names() -> None:
    with pytest.raises(InvalidTarget) as raised:
        check_target_feasible(
            _handler_target("reports.nightly"),  # type: ignore[arg-type]
            network=NetworkPolicy(),
            handler_names=handlers.registered_names(),
        )
    assert (raised.value.code, raised.value.field) == ("invalid_target", "target.name")
    assert "'reports.nightly'" in raised.value.message
    assert "echo, log, sleep" in raised.value.message


def test_builtins_and_registered_handlers_are_feasible(team_report: str) -> None:
    for name in ("echo", "sleep", "log", team_report):
        check_target_feasible(
            _handler_target(name),  # type: ignore[arg-type]
            network=NetworkPolicy(),
            handler_names=handlers.registered_names(),
        )


def test_handler_modules_are_imported_once_to_register_their_names() -> None:
    handlers.import_handler_modules(["json"])
    handlers.import_handler_modules(["json"])  # the second time is a no-op
    with pytest.raises(ImportError):
        handlers.import_handler_modules(["no_such_module_for_sundial"])
