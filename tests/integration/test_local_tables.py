"""create_tables builds the emulated tables from template.yaml."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from sundial_local.template import TemplateError, create_tables

from sundial.store.models import DUE_INDEX_ATTRIBUTES

REGION = "us-east-1"


@pytest.fixture
def client(aws_env):
    with mock_aws():
        yield boto3.client("dynamodb", region_name=REGION)


def test_tables_are_created_as_the_template_declares(client):
    names = create_tables(client, names={"TasksTable": "sundial-tasks"})

    assert names == {
        "TasksTable": "sundial-tasks",
        "RunsTable": "RunsTable",
        "KeysTable": "KeysTable",
        "IdempotencyTable": "IdempotencyTable",
    }
    tasks = client.describe_table(TableName="sundial-tasks")["Table"]
    indexes = {i["IndexName"]: i for i in tasks["GlobalSecondaryIndexes"]}
    due_keys = [k["AttributeName"] for k in indexes["schedule_due"]["KeySchema"]]
    assert due_keys == ["due_shard", "due_at"]
    # The due index projects what the dispatcher plans from, and never the payload.
    due_projection = indexes["schedule_due"]["Projection"]
    assert due_projection["ProjectionType"] == "INCLUDE"
    assert set(due_projection["NonKeyAttributes"]) == set(DUE_INDEX_ATTRIBUTES)
    assert indexes["by_tenant"]["Projection"]["ProjectionType"] == "ALL"
    assert [k["AttributeName"] for k in indexes["by_tenant"]["KeySchema"]] == ["tenant", "task_id"]
    assert tasks["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = client.describe_time_to_live(TableName="RunsTable")["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")
    backups = client.describe_continuous_backups(TableName="RunsTable")
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"


def test_unknown_table_name_override_is_refused(client):
    with pytest.raises(TemplateError):
        create_tables(client, names={"TaskTable": "typo"})
