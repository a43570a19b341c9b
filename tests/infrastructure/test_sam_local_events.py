"""events/*.json and env.json, the `sam local` samples, checked without Docker: each
event goes to its handler, called directly with the environment env.json gives it, in
front of the same emulator (moto server, resources from template.yaml) that
docs/deploy.md tells `sam local` to use."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sundial_local.emulator import Emulator
from sundial_local.template import function_environment, load_template

from sundial import clients
from sundial.api.settings import ApiSettings, AuthorizerSettings
from sundial.dispatch.settings import DispatcherSettings
from sundial.execute.settings import ExecutorSettings
from sundial.settings import Settings, reset_settings
from sundial.store import unbind_tables
from sundial.store.apikeys import unbind_keys_table

from .conftest import REPO, resolver

EVENTS = REPO / "events"
ENV_JSON = json.loads((REPO / "infra" / "env.json").read_text())
# env.json's endpoint, as the Lambda container sees the host running the emulator.
DOCUMENTED_ENDPOINT = ENV_JSON["Parameters"]["AWS_ENDPOINT_URL"]


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


@dataclass
class Context:
    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = "sam-local-request"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    from moto.moto_api._internal import moto_api_backend

    saved = dict(os.environ)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    # moto server keeps its resources in process-wide backends: start from none.
    moto_api_backend.reset()
    started = Emulator(overrides={"POWERTOOLS_TRACE_DISABLED": "true"})
    started.start()
    try:
        yield started
    finally:
        started.stop()
        moto_api_backend.reset()
        os.environ.clear()
        os.environ.update(saved)
        forget_connections()


def as_function(emulator: Emulator, logical_id: str) -> None:
    """The environment `sam local invoke <logical_id> --env-vars env.json` would give, with
    the emulator where env.json expects it."""
    values = {**ENV_JSON["Parameters"], **ENV_JSON.get(logical_id, {})}
    for name, value in values.items():
        os.environ[name] = value.replace(DOCUMENTED_ENDPOINT, emulator.endpoint)
    forget_connections()


def forget_connections() -> None:
    """Settings, clients and PynamoDB connections are cached per process (as in a warm
    Lambda); a new environment needs them made afresh."""
    reset_settings()
    clients.reset_clients()
    unbind_tables()
    unbind_keys_table()


def test_every_sample_event_is_json():
    names = sorted(p.name for p in EVENTS.glob("*.json"))
    assert names == [
        "api-create-task.json",
        "api-list-tasks.json",
        "authorizer-token.json",
        "dispatcher-tick.json",
        "executor-batch.json",
    ]
    for name in names:
        assert isinstance(event(name), dict)


def test_env_json_names_the_emulators_tables_and_queues(emulator):
    values = {
        k: v.replace(DOCUMENTED_ENDPOINT, emulator.endpoint)
        for k, v in ENV_JSON["Parameters"].items()
    }
    assert values["TASKS_TABLE"] == emulator.tables["TasksTable"]
    assert values["RUNS_TABLE"] == emulator.tables["RunsTable"]
    assert ENV_JSON["ApiFunction"]["IDEMPOTENCY_TABLE"] == emulator.tables["IdempotencyTable"]
    assert ENV_JSON["AuthorizerFunction"]["KEYS_TABLE"] == emulator.tables["KeysTable"]
    sqs = emulator.client("sqs")
    for variable, logical_id in (
        ("WORK_QUEUE_URL", "WorkQueue"),
        ("DEAD_LETTER_QUEUE_URL", "DeadLetterQueue"),
    ):
        path = values[variable].removeprefix(emulator.endpoint)
        assert emulator.queues[logical_id].endswith(path)
        sqs.get_queue_attributes(QueueUrl=values[variable], AttributeNames=["QueueArn"])


@pytest.mark.parametrize(
    "logical_id, model",
    [
        ("DispatcherFunction", DispatcherSettings),
        ("ExecutorFunction", ExecutorSettings),
        ("ApiFunction", ApiSettings),
        ("AuthorizerFunction", AuthorizerSettings),
    ],
)
def test_env_json_gives_each_function_what_its_settings_require(
    logical_id, model: type[Settings], settings_from
):
    """`sam local --env-vars env.json` sets only the variables a function declares; the
    rest keep the template's values, which name resources sam local cannot resolve."""
    declared = function_environment(resolver(load_template()), logical_id)
    given = {
        name: value
        for name, value in {**ENV_JSON["Parameters"], **ENV_JSON.get(logical_id, {})}.items()
        if name in declared
    }
    required = {name.upper() for name, field in model.model_fields.items() if field.is_required()}
    assert required <= set(given), required - set(given)
    settings_from(model, **{**declared, **given})


def test_dispatcher_sweeps_on_the_sample_tick(emulator):
    from sundial.dispatch.handler import handler

    as_function(emulator, "DispatcherFunction")
    result = handler(event("dispatcher-tick.json"), Context("sundial-dispatcher"))
    assert result["continuation_event"] is None  # CONTINUATION_MODE=return, nothing left


def test_executor_takes_the_sample_batch(emulator):
    from sundial.execute.handler import handler

    as_function(emulator, "ExecutorFunction")
    result = handler(event("executor-batch.json"), Context("sundial-executor", 512))
    # A fire of a task that does not exist is dropped; a malformed message is
    # dead-lettered: neither goes back to the queue.
    assert result == {"batchItemFailures": []}
    dead = emulator.client("sqs").receive_message(
        QueueUrl=emulator.queues["DeadLetterQueue"], MaxNumberOfMessages=10
    )
    assert len(dead.get("Messages", [])) == 1


def test_authorizer_allows_the_sample_token_once_its_key_exists(emulator):
    from sundial.api.authorizer import handler
    from sundial.store import apikeys

    as_function(emulator, "AuthorizerFunction")
    sample = event("authorizer-token.json")
    raw_key = sample["authorizationToken"].split(" ", 1)[1]
    apikeys.create_key("local", raw_key=raw_key, description="sam local sample")
    policy = handler(sample, Context("sundial-authorizer", 256))
    assert policy["context"]["tenant"] == "local"
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"


def test_api_creates_and_lists_tasks_from_the_sample_requests(emulator):
    from sundial.api.handler import handler

    as_function(emulator, "ApiFunction")
    created = handler(event("api-create-task.json"), Context("sundial-api", 512))
    assert created["statusCode"] == 201, created["body"]
    task = json.loads(created["body"])
    listed = handler(event("api-list-tasks.json"), Context("sundial-api", 512))
    assert listed["statusCode"] == 200, listed["body"]
    assert [t["id"] for t in json.loads(listed["body"])["tasks"]] == [task["id"]]
