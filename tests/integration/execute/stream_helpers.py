"""The runs and tasks tables' streams as the notifier's mappings see them, under moto
in-process: the emulated table's stream records, made Lambda records, through the
template's own filter patterns (the local stack's matcher)."""

from __future__ import annotations

from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from sundial_local.filtering import matches_any
from sundial_local.streams import lambda_record, stream_mappings
from sundial_local.template import Template

REGION = "us-east-1"


class Streams:
    """Reads a table's stream from a position on, like a mapping that checkpoints."""

    def __init__(self, tables: dict[str, str]):
        self.tables = tables
        self.read_up_to: dict[str, int] = {}
        template = Template.load()
        for logical_id, name in tables.items():
            arn = f"arn:aws:dynamodb:{REGION}:{DEFAULT_ACCOUNT_ID}:table/{name}/stream/x"
            template.register(logical_id, name, {"StreamArn": arn})
        self.patterns = {m.stream_arn.split("/")[1]: m.patterns for m in stream_mappings(template)}

    def all(self, logical_id: str) -> list[dict[str, Any]]:
        """Every record of the table's stream so far, as Lambda records (unfiltered)."""
        name = self.tables[logical_id]
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables[name]
        shard = table.stream_shard
        return [lambda_record(item.to_json(), f"stream:{name}") for item in shard.items]

    def new(self, logical_id: str) -> list[dict[str, Any]]:
        """The records the mapping's filters let through since the last call."""
        records = self.all(logical_id)
        start = self.read_up_to.get(logical_id, 0)
        self.read_up_to[logical_id] = len(records)
        return [r for r in records[start:] if self.passes(logical_id, r)]

    def skip(self) -> None:
        """Forget what is there so far (the setup's writes)."""
        for logical_id in ("RunsTable", "TasksTable"):
            self.read_up_to[logical_id] = len(self.all(logical_id))

    def passes(self, logical_id: str, record: dict[str, Any]) -> bool:
        return matches_any(self.patterns[self.tables[logical_id]], record)
