"""The runs table's stream under moto in-process, as the notifier's mapping sees it: the
emulated table's records, made Lambda records, through the template's own filter."""

from __future__ import annotations

from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from sundial_local.filtering import matches_any
from sundial_local.streams import lambda_record, stream_mappings
from sundial_local.template import Template

from sundial.store.models import RunItem

REGION = "us-east-1"


def runs_filter() -> list[dict[str, Any]]:
    template = Template.load()
    for logical_id in ("RunsTable", "TasksTable"):
        template.register(logical_id, logical_id, {"StreamArn": f"stream/{logical_id}"})
    (patterns,) = [m.patterns for m in stream_mappings(template) if "RunsTable" in m.stream_arn]
    return patterns


def marked_outcomes() -> list[dict[str, Any]]:
    """The runs table's stream records that pass the notifier's filter, in order."""
    name = RunItem.Meta.table_name
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables[str(name)]
    patterns = runs_filter()
    records = [lambda_record(item.to_json(), "runs") for item in table.stream_shard.items]
    return [r for r in records if matches_any(patterns, r)]
