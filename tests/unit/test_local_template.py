"""Reading template.yaml for the emulator (no AWS): tags, intrinsics, table requests."""

from __future__ import annotations

from pathlib import Path

import pytest
from sundial_local.template import (
    NO_VALUE,
    Template,
    TemplateError,
    UnsupportedIntrinsic,
    default_template_path,
    function_environment,
    load_template,
    table_requests,
)

from sundial.settings import Settings
from sundial.store.models import DUE_INDEX, LEGACY_DUE_INDEX, RunItem, ScheduleItem, TaskItem

SAMPLE = """
Parameters:
  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Size: {Type: Number, Default: 3}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsBig: !Not [!Equals [!Ref Size, 3]]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AWS::StackName}-${Stage}-work"
      Literal: !Sub "${!NotAParameter}"
      Delay: !If [IsProd, 5, !Ref "AWS::NoValue"]
      Joined: !Join ["/", [a, !Ref Size]]
      Picked: !Select [1, [x, y]]
      Both: !And [!Condition IsProd, !Condition IsBig]
      Target: !GetAtt Other.Arn
  ProdOnly:
    Type: AWS::SQS::Queue
    Condition: IsProd
    Properties: {}
"""


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(SAMPLE)
    return path


def test_short_form_tags_load_as_long_form(sample):
    body = load_template(sample)
    props = body["Resources"]["Queue"]["Properties"]
    assert props["Target"] == {"Fn::GetAtt": ["Other", "Arn"]}
    assert props["Delay"] == {"Fn::If": ["IsProd", 5, {"Ref": "AWS::NoValue"}]}
    assert body["Conditions"]["IsProd"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}


def test_intrinsics_resolve_with_defaults(sample):
    template = Template.load(sample)
    template.register("Other", "other", {"Arn": "arn:aws:sqs:us-east-1:123456789012:other"})

    queues = template.resources("AWS::SQS::Queue")

    assert set(queues) == {"Queue"}  # ProdOnly's condition is false
    assert queues["Queue"] == {
        "QueueName": "sundial-dev-work",
        "Literal": "${NotAParameter}",  # no Delay: AWS::NoValue removed it
        "Joined": "a/3",
        "Picked": "y",
        "Both": False,
        "Target": "arn:aws:sqs:us-east-1:123456789012:other",
    }


def test_parameter_overrides_change_conditions(sample):
    template = Template.load(sample, {"Stage": "prod", "Size": "4"})
    template.register("Other", "other", {"Arn": "arn"})
    queues = template.resources("AWS::SQS::Queue")
    assert set(queues) == {"Queue", "ProdOnly"}
    assert (queues["Queue"]["Delay"], queues["Queue"]["Both"]) == (5, True)
    assert template.parameters["Size"] == 4


def test_bad_parameters_are_refused(sample):
    with pytest.raises(TemplateError):
        Template.load(sample, {"Stage": "qa"})
    with pytest.raises(TemplateError):
        Template.load(sample, {"Nope": 1})
    with pytest.raises(TemplateError):
        Template.load(sample, {"Size": "many"})


def test_unsupported_intrinsic_is_named(sample):
    template = Template.load(sample)
    with pytest.raises(UnsupportedIntrinsic, match="Fn::Base64"):
        template.resolve({"Fn::Base64": "x"})
    with pytest.raises(TemplateError):
        template.resolve({"Ref": "Missing"})
    assert template.resolve([{"Ref": "AWS::NoValue"}, 1]) == [1]
    assert template.resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


def test_default_template_is_the_repository_one():
    assert default_template_path() == Path(__file__).resolve().parents[2] / "template.yaml"


TABLE = "AWS::DynamoDB::Table"


def _tables() -> dict[str, dict]:
    return Template.load().resources(TABLE)


def test_tables_of_the_template_become_create_table_requests():
    essential, optional = table_requests("tasks", _tables()["TasksTable"])
    assert essential["TableName"] == "tasks" and essential["BillingMode"] == "PAY_PER_REQUEST"
    indexes = {i["IndexName"] for i in essential["GlobalSecondaryIndexes"]}
    assert indexes == {DUE_INDEX, "by_tenant"}
    assert optional == {"SSESpecification": {"Enabled": True}, "DeletionProtectionEnabled": False}


@pytest.mark.parametrize(
    ("legacy", "indexes", "swept"),
    [
        ("false", {DUE_INDEX, "by_tenant"}, DUE_INDEX),
        ("true", {DUE_INDEX, LEGACY_DUE_INDEX, "by_tenant"}, LEGACY_DUE_INDEX),
    ],
)
def test_an_upgrade_keeps_the_old_due_index_and_sweeps_it_until_the_second_deploy(
    legacy, indexes, swept
):
    template = Template.load(parameters={"LegacyDueIndex": legacy})
    tasks = template.resources("AWS::DynamoDB::Table")["TasksTable"]
    assert {i["IndexName"] for i in tasks["GlobalSecondaryIndexes"]} == indexes
    environment = function_environment(template, "DispatcherFunction")
    assert environment["DUE_INDEX"] == swept
    assert Settings(due_index=swept).due_index == swept  # a value the settings accept


def test_the_handler_modules_parameter_reaches_the_executor_s_settings():
    from sundial.execute.settings import ExecutorSettings

    template = Template.load(parameters={"HandlerModules": "team_jobs.reports, reports"})
    environment = function_environment(template, "ExecutorFunction")
    assert environment["HANDLER_MODULES"] == "team_jobs.reports, reports"
    settings = ExecutorSettings(
        handler_modules=environment["HANDLER_MODULES"],
        tasks_table="t", runs_table="r", work_queue_url="q", dead_letter_queue_url="d",
    )  # fmt: skip
    assert settings.handler_modules == ("team_jobs.reports", "reports")
    assert function_environment(Template.load(), "ExecutorFunction")["HANDLER_MODULES"] == ""


def test_the_api_gets_the_executor_s_handler_modules_and_network_policy():
    # The API refuses, when a task is written, the handler names and literal addresses the
    # executor would refuse: both must read the same parameters, locally as deployed.
    from sundial.api.settings import ApiSettings

    parameters = {"HandlerModules": "team_jobs.reports", "AllowPrivateTargets": "true"}
    template = Template.load(parameters=parameters)
    api = function_environment(template, "ApiFunction")
    executor = function_environment(template, "ExecutorFunction")
    for name in ("HANDLER_MODULES", "ALLOW_PRIVATE_TARGETS"):
        assert api[name] == executor[name]
    settings = ApiSettings(
        handler_modules=api["HANDLER_MODULES"], allow_private_targets=api["ALLOW_PRIVATE_TARGETS"],
        tasks_table="t", runs_table="r", work_queue_url="q", idempotency_table="i",
    )  # fmt: skip
    assert settings.handler_modules == ("team_jobs.reports",)
    assert settings.network_policy.allow_private


def test_deletion_protection_follows_its_parameter():
    tables = Template.load(parameters={"DeletionProtection": "true"}).resources(
        "AWS::DynamoDB::Table"
    )
    assert all(t["DeletionProtectionEnabled"] is True for t in tables.values())


def _schema(properties: dict) -> dict:
    def keys(key_schema: list[dict]) -> set[tuple[str, str]]:
        return {(k["AttributeName"], k["KeyType"]) for k in key_schema}

    return {
        "keys": keys(properties["KeySchema"]),
        "attributes": {
            (a["AttributeName"], a["AttributeType"]) for a in properties["AttributeDefinitions"]
        },
        "indexes": {
            i["IndexName"]: (
                keys(i["KeySchema"]),
                i["Projection"]["ProjectionType"],
                frozenset(i["Projection"].get("NonKeyAttributes", ())),
            )
            for i in properties.get("GlobalSecondaryIndexes", [])
        },
    }


def _model_schema(*models) -> dict:
    # Several models may share a table (definitions and schedule states): together they
    # declare its keys, attributes and indexes.
    schemas = [model._get_schema() for model in models]
    return _schema(
        {
            "KeySchema": schemas[0]["key_schema"],
            "AttributeDefinitions": [a for s in schemas for a in s["attribute_definitions"]],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": i["index_name"],
                    "KeySchema": i["key_schema"],
                    "Projection": {
                        "ProjectionType": i["projection"]["ProjectionType"],
                        "NonKeyAttributes": i["projection"].get("NonKeyAttributes", ()),
                    },
                }
                for s in schemas
                for i in s["global_secondary_indexes"]
            ],
        }
    )


@pytest.mark.parametrize(
    "logical_id, models",
    [("TasksTable", (TaskItem, ScheduleItem)), ("RunsTable", (RunItem,))],
)
def test_store_models_agree_with_the_template(logical_id, models):
    # The models declare every index the code may query, the upgrade's old due index
    # included: they agree with the template as the upgrade's first deploy has it.
    upgrading = Template.load(parameters={"LegacyDueIndex": "true"})
    assert _model_schema(*models) == _schema(upgrading.resources(TABLE)[logical_id])


def test_this_release_s_template_has_every_index_of_the_models_but_the_old_due_index():
    indexes = {i["IndexName"] for i in _tables()["TasksTable"]["GlobalSecondaryIndexes"]}
    assert indexes == set(_model_schema(TaskItem, ScheduleItem)["indexes"]) - {LEGACY_DUE_INDEX}


def test_runs_table_expires_by_ttl_on_expires_at():
    ttl = _tables()["RunsTable"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expires_at", "Enabled": True}
