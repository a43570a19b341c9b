"""infra/events/*.json and env.json, the `sam local` samples, checked without Docker: each
event goes to its handler, called directly with the environment env.json gives it, in
front of the same emulator (moto server, resources from template.yaml) that
docs/deploy.md ("Running the functions with sam local") tells `sam local` to use."""

from __future__ import annotations

import json

import pytest
from sundial_local.template import function_environment, load_template

from sundial.api.settings import ApiSettings, AuthorizerSettings
from sundial.dispatch.settings import DispatcherSettings
from sundial.execute.settings import ExecutorSettings
from sundial.settings import Settings

from .conftest import DOCUMENTED_ENDPOINT, ENV_JSON, EVENTS, Context, as_function, resolver
from .conftest import sample_event as event


def test_every_sample_event_is_json():
    names = sorted(p.name for p in EVENTS.glob("*.json"))
    assert names == [
        "api-create-task.json",
        "api-list-tasks-iam.json",
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
    # A fire of a task that does not exist is dropped; the two malformed messages are
    # dead-lettered: none goes back to the queue.
    assert result == {"batchItemFailures": []}
    dead = emulator.client("sqs").receive_message(
        QueueUrl=emulator.queues["DeadLetterQueue"], MaxNumberOfMessages=10
    )
    assert len(dead.get("Messages", [])) == 2


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
