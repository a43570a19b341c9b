"""The local emulator's TransactWriteItems: cancelled as DynamoDB cancels it, and backed up
by the items it names rather than by copies of whole tables (whose cost grew with every
write the stack had made)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb import models as backend_module
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from sundial_local.motoserver import _TablesKeptInPlace, backed_up_by_their_items

TABLE = "Items"


@pytest.fixture
def dynamodb(monkeypatch) -> Iterator[Any]:
    monkeypatch.setattr(backend_module, "copy", _TablesKeptInPlace)
    monkeypatch.setattr(
        DynamoDBBackend,
        "transact_write_items",
        backed_up_by_their_items(DynamoDBBackend.transact_write_items),
    )
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        yield client


def key(pk: str, sk: str = "s") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def put(client: Any, pk: str, n: int) -> None:
    client.put_item(TableName=TABLE, Item={**key(pk), "n": {"N": str(n)}})


def items(client: Any) -> dict[str, Any]:
    return {i["pk"]["S"]: i for i in client.scan(TableName=TABLE)["Items"]}


def stream_records(client: Any) -> list[dict[str, Any]]:
    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return streams.get_records(ShardIterator=iterator)["Records"]


def bump(pk: str, condition: str = "attribute_exists(pk)") -> dict[str, Any]:
    return {
        "Update": {
            "TableName": TABLE,
            "Key": key(pk),
            "UpdateExpression": "SET n = n + :one",
            "ConditionExpression": condition,
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def test_a_cancelled_transaction_leaves_every_item_and_the_stream_as_they_were(dynamodb):
    put(dynamodb, "a", 1)
    put(dynamodb, "gone", 7)
    before, records = items(dynamodb), stream_records(dynamodb)
    transaction = [
        bump("a"),  # applied by moto before it meets the failing condition
        {"Put": {"TableName": TABLE, "Item": {**key("new"), "n": {"N": "5"}}}},
        {"Delete": {"TableName": TABLE, "Key": key("gone")}},
        bump("missing"),  # fails: the item does not exist
    ]

    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=transaction)

    assert items(dynamodb) == before
    assert stream_records(dynamodb) == records


def test_a_transaction_that_succeeds_writes_every_item_and_its_stream_records(dynamodb):
    put(dynamodb, "a", 1)
    records = len(stream_records(dynamodb))

    dynamodb.transact_write_items(
        TransactItems=[
            bump("a"),
            {"Put": {"TableName": TABLE, "Item": {**key("new"), "n": {"N": "5"}}}},
        ]
    )

    assert {pk: item["n"]["N"] for pk, item in items(dynamodb).items()} == {"a": "2", "new": "5"}
    assert len(stream_records(dynamodb)) == records + 2


def test_a_transaction_copies_no_table_however_many_writes_came_before(dynamodb, monkeypatch):
    for n in range(50):
        put(dynamodb, f"item-{n}", n)

    def copied(table: Table, memo: Any) -> Table:
        raise AssertionError(f"table {table.name} copied whole")

    monkeypatch.setattr(Table, "__deepcopy__", copied, raising=False)
    dynamodb.transact_write_items(TransactItems=[bump("item-1")])
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[bump("item-2"), bump("missing")])

    assert items(dynamodb)["item-1"]["n"]["N"] == "2"
    assert items(dynamodb)["item-2"]["n"]["N"] == "2"
