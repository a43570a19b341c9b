"""A function whose environment lacks a variable it needs, or holds one it cannot use,
fails its cold start with an error naming the variable, not its first event.

Each test imports a handler module in a fresh interpreter given only the variables it
names, as Lambda imports the module named by the function's Handler."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sundial

FUNCTIONS_DIR = Path(sundial.__file__).resolve().parents[1]
DISPATCHER = "sundial.dispatch.handler"
EXECUTOR = "sundial.execute.handler"
API = "sundial.api.handler"
AUTHORIZER = "sundial.api.authorizer"
# Everything any function needs, with placeholder values.
COMPLETE = {
    "TASKS_TABLE": "tasks",
    "RUNS_TABLE": "runs",
    "KEYS_TABLE": "keys",
    "IDEMPOTENCY_TABLE": "idempotency",
    "WORK_QUEUE_URL": "http://sqs.invalid/000000000000/work",
    "DEAD_LETTER_QUEUE_URL": "http://sqs.invalid/000000000000/dead-letters",
}


def cold_start(
    *modules: str, without: tuple[str, ...] = (), **variables: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in COMPLETE.items() if k not in without}
    environment.update(variables)
    environment.update(
        PYTHONPATH=str(FUNCTIONS_DIR),
        AWS_DEFAULT_REGION="us-east-1",
        POWERTOOLS_TRACE_DISABLED="true",
    )
    imports = "; ".join(f"import {module}" for module in modules)
    return subprocess.run(
        [sys.executable, "-c", imports],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def stopped_naming(started: subprocess.CompletedProcess[str], *problems: str) -> bool:
    """The import failed with InvalidSettings, whose message states each problem."""
    error = started.stderr.strip().splitlines()[-1] if started.stderr.strip() else ""
    return (
        started.returncode != 0
        and error.startswith("sundial.settings.InvalidSettings: ")
        and all(problem in error for problem in problems)
    )


def test_every_function_starts_with_the_variables_it_needs():
    started = cold_start(DISPATCHER, EXECUTOR, API, AUTHORIZER)
    assert started.returncode == 0, started.stderr


def test_missing_tasks_table_stops_the_dispatcher_cold_start_naming_the_variable():
    started = cold_start(DISPATCHER, without=("TASKS_TABLE",))
    assert stopped_naming(started, "TASKS_TABLE is not set"), started.stderr


def test_malformed_shard_count_names_the_variable():
    started = cold_start(DISPATCHER, SHARD_COUNT="abc")
    assert stopped_naming(started, "SHARD_COUNT: ", "got 'abc'"), started.stderr


def test_missing_dead_letter_queue_url_stops_the_executor_cold_start_naming_the_variable():
    started = cold_start(EXECUTOR, without=("DEAD_LETTER_QUEUE_URL",))
    assert stopped_naming(started, "DEAD_LETTER_QUEUE_URL is not set"), started.stderr


def test_out_of_range_requeue_after_receives_stops_the_executor_cold_start_naming_it():
    started = cold_start(EXECUTOR, REQUEUE_AFTER_RECEIVES="10")
    assert stopped_naming(started, "REQUEUE_AFTER_RECEIVES: ", "got '10'"), started.stderr


def test_missing_idempotency_table_stops_the_api_cold_start_naming_the_variable():
    started = cold_start(API, without=("IDEMPOTENCY_TABLE",))
    assert stopped_naming(started, "IDEMPOTENCY_TABLE is not set"), started.stderr


def test_unknown_auth_mode_stops_the_api_cold_start_naming_the_variable():
    started = cold_start(API, AUTH_MODE="OAUTH")
    assert stopped_naming(started, "AUTH_MODE: ", "got 'OAUTH'"), started.stderr


def test_missing_keys_table_stops_the_authorizer_cold_start_naming_the_variable():
    started = cold_start(AUTHORIZER, without=("KEYS_TABLE",))
    assert stopped_naming(started, "KEYS_TABLE is not set"), started.stderr


def test_the_api_starts_without_the_authorizers_keys_table():
    # The API function imports the authorizer's logic (auth.py) but is not given KEYS_TABLE.
    started = cold_start(API, without=("KEYS_TABLE",))
    assert started.returncode == 0, started.stderr
