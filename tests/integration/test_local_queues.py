"""The template's queues, created in the emulator exactly as the template declares them."""

import json

import boto3

REGION = "us-east-1"


def test_work_queue_redrives_poison_messages_to_the_dead_letter_queue(queues):
    sqs = boto3.client("sqs", region_name=REGION)
    attributes = sqs.get_queue_attributes(QueueUrl=queues["WorkQueue"], AttributeNames=["All"])
    policy = json.loads(attributes["Attributes"]["RedrivePolicy"])
    dlq_arn = sqs.get_queue_attributes(
        QueueUrl=queues["DeadLetterQueue"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    assert policy["deadLetterTargetArn"] == dlq_arn
    assert int(policy["maxReceiveCount"]) >= 5


def test_dead_letter_queue_keeps_messages_fourteen_days(queues):
    sqs = boto3.client("sqs", region_name=REGION)
    attributes = sqs.get_queue_attributes(
        QueueUrl=queues["DeadLetterQueue"], AttributeNames=["MessageRetentionPeriod"]
    )
    assert attributes["Attributes"]["MessageRetentionPeriod"] == str(14 * 24 * 3600)
