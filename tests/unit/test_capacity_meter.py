"""The capacity meter charges each emulated request what DynamoDB would: the larger of
the item before and after, and every index entry the write puts, deletes or rewrites."""

import contextlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests" / "soak"))

import boto3  # noqa: E402
import chaos  # noqa: E402
from capacity import entry_size, item_size, template_schemas, write_units  # noqa: E402
from metering import CapacityMeter  # noqa: E402

TASK = {
    "task_id": {"S": "01TASK"},
    "tenant": {"S": "acme"},
    "payload": {"S": "x" * 1500},
    "due_shard": {"N": "3"},
    "due_at": {"N": "1000"},
}


def metered(*requests):
    meter = CapacityMeter(template_schemas())
    with chaos.emulated_aws(), meter.metering():
        client = boto3.client("dynamodb", region_name=chaos.REGION)
        client.put_item(TableName="TasksTable", Item=TASK)
        meter.active = True
        for request in requests:
            request(client)
    return meter


def test_moving_the_due_key_pays_the_table_and_every_index_it_rewrites():
    meter = metered(
        lambda c: c.update_item(
            TableName="TasksTable",
            Key={"task_id": TASK["task_id"]},
            UpdateExpression="SET due_at = :next",
            ExpressionAttributeValues={":next": {"N": "2000"}},
        )
    )
    due = template_schemas()["TasksTable"].index("schedule_due")
    # What the index projects of the item decides the size of each entry it moves.
    moved = write_units(entry_size(due.entry(TASK, ("task_id",))))
    assert meter.write_units["TasksTable"] == 2
    assert meter.write_units["TasksTable.schedule_due"] == 2 * moved
    assert meter.calls == {"UpdateItem": 1}


def test_a_refused_conditional_write_still_pays_the_table_only():
    def refused(client):
        with contextlib.suppress(client.exceptions.ConditionalCheckFailedException):
            client.delete_item(
                TableName="TasksTable",
                Key={"task_id": TASK["task_id"]},
                ConditionExpression="attribute_not_exists(task_id)",
            )

    meter = metered(refused)
    assert dict(meter.write_units) == {"TasksTable": 2}


def test_reads_pay_for_the_stored_item_by_consistency():
    meter = metered(
        lambda c: c.get_item(TableName="TasksTable", Key={"task_id": TASK["task_id"]}),
        lambda c: c.get_item(
            TableName="TasksTable",
            Key={"task_id": TASK["task_id"]},
            ConsistentRead=True,
            ProjectionExpression="tenant",  # a projection does not make the read cheaper
        ),
    )
    assert meter.read_units["TasksTable"] == 0.5 + 1


def test_a_query_is_also_priced_by_its_bytes_for_a_busy_shard_where_pages_share_rounding():
    meter = metered(
        lambda c: c.query(
            TableName="TasksTable",
            IndexName="schedule_due",
            KeyConditionExpression="due_shard = :s",
            ExpressionAttributeValues={":s": {"N": "3"}},
        )
    )
    schema = template_schemas()["TasksTable"]
    entry = schema.index("schedule_due").entry(TASK, schema.keys)
    # One started 4 KB, eventually consistent.
    assert meter.read_units["TasksTable.schedule_due"] == 0.5
    assert meter.query_units_unrounded["TasksTable.schedule_due"] == item_size(entry) / 4096 * 0.5
    assert meter.read_units_queries_unrounded() == item_size(entry) / 4096 * 0.5
