"""DynamoDB capacity units and SQS billed requests from item and message sizes, by the
services' documented rules, so that cost follows what each request actually moves.

Item sizes (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
an item is the sum of its attributes, each the UTF-8 bytes of its name plus its value:
strings their UTF-8 bytes, numbers 1 byte per two significant digits plus 1, binary its
raw bytes, null and Boolean 1 byte, lists and maps 3 bytes plus 1 byte per element plus
their elements.

Units (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html):
a write takes 1 unit per started KB of the larger of the item before and after (twice
that in a transaction); a read 1 unit per started 4 KB, half of it when eventually
consistent, twice when transactional; a Query sums the sizes of the items it reads and
rounds once, a BatchGetItem rounds each item.

Global secondary indexes
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations):
a table write costs each index whose entry it creates, changes or removes: one write to
put a new entry, one to delete an old one, two (delete and put) when it changes the
index key, one when it changes only projected attributes, none otherwise. An entry is the
table's and the index's key attributes plus the projected ones, and 100 bytes of overhead.

The index definitions come from template.yaml, so the figures follow its projections.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

RawItem = Mapping[str, Mapping[str, Any]]  # DynamoDB's low-level JSON: {"name": {"S": "x"}}

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
INDEX_ENTRY_OVERHEAD_BYTES = 100
LIST_OR_MAP_OVERHEAD_BYTES = 3
ELEMENT_OVERHEAD_BYTES = 1
# SQS bills each 64 KB chunk of a request's payload as one request.
SQS_CHUNK_BYTES = 64 * 1024


# --- sizes ---------------------------------------------------------------------------------


def number_size(text: str) -> int:
    """Bytes of a number: 1 per two significant digits (leading and trailing zeros
    trimmed), plus 1."""
    mantissa = text.strip().lstrip("+-").lower().split("e")[0]
    significant = len(mantissa.replace(".", "").strip("0"))
    return math.ceil(significant / 2) + 1


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value in low-level JSON ({"S": ...}, {"N": ...}, ...)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode("utf-8"))
    if kind == "N":
        return number_size(data)
    if kind == "B":
        return len(_raw_bytes(data))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in data)
    if kind == "NS":
        return sum(number_size(n) for n in data)
    if kind == "BS":
        return sum(len(_raw_bytes(b)) for b in data)
    if kind == "L":
        elements = sum(ELEMENT_OVERHEAD_BYTES + value_size(v) for v in data)
        return LIST_OR_MAP_OVERHEAD_BYTES + elements
    if kind == "M":
        entries = sum(
            ELEMENT_OVERHEAD_BYTES + len(k.encode("utf-8")) + value_size(v) for k, v in data.items()
        )
        return LIST_OR_MAP_OVERHEAD_BYTES + entries
    raise ValueError(f"not a DynamoDB attribute value type: {kind!r}")


def _raw_bytes(data: str | bytes) -> bytes:
    # The wire carries binary as base64; its raw length is what DynamoDB counts.
    return data if isinstance(data, bytes) else base64.b64decode(data)


def item_size(item: RawItem | None) -> int:
    """Bytes of an item: each attribute's UTF-8 name plus its value (0 for no item)."""
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


# --- units ---------------------------------------------------------------------------------


def write_units(size: int, *, transactional: bool = False) -> int:
    """Write units for one item of `size` bytes: every started KB, at least one."""
    units = max(1, math.ceil(size / WRITE_UNIT_BYTES))
    return 2 * units if transactional else units


def read_units(size: int, *, consistent: bool, transactional: bool = False) -> float:
    """Read units for `size` bytes read at once (one item, or a whole Query page): every
    started 4 KB, at least one; half when eventually consistent."""
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    if transactional:
        return 2.0 * units
    return float(units) if consistent else units / 2


def sqs_requests(payload_bytes: int) -> int:
    """Billed SQS requests for one API call carrying `payload_bytes`: every started 64 KB."""
    return max(1, math.ceil(payload_bytes / SQS_CHUNK_BYTES))


# --- tables and their indexes ---------------------------------------------------------------


@dataclass(frozen=True)
class Index:
    """A global secondary index: its key attributes and what it projects."""

    name: str
    keys: tuple[str, ...]
    projection: str  # ALL, KEYS_ONLY or INCLUDE
    included: tuple[str, ...] = ()

    def entry(self, item: RawItem | None, table_keys: Iterable[str]) -> dict[str, Any] | None:
        """The index's copy of `item`, or None when the item is not in the index (sparse:
        an item without every index key attribute is not indexed)."""
        if not item or any(key not in item for key in self.keys):
            return None
        if self.projection == "ALL":
            return dict(item)
        wanted = {*self.keys, *table_keys, *self.included}
        return {name: value for name, value in item.items() if name in wanted}

    def write_units(
        self, before: RawItem | None, after: RawItem | None, table_keys: Iterable[str]
    ) -> int:
        """Index writes a table write from `before` to `after` costs this index."""
        keys = tuple(table_keys)
        old, new = self.entry(before, keys), self.entry(after, keys)
        if old == new:
            return 0  # not indexed before or after, or nothing the index holds changed
        units = 0
        moved = old is not None and new is not None and _key(old, self.keys) != _key(new, self.keys)
        if old is not None and (new is None or moved):
            units += write_units(entry_size(old))  # delete the old entry
        if new is not None:
            units += write_units(entry_size(new))  # put the new (or updated) entry
        return units


def entry_size(entry: RawItem) -> int:
    """Bytes of an index entry: its attributes plus the per-entry index overhead."""
    return item_size(entry) + INDEX_ENTRY_OVERHEAD_BYTES


def _key(item: RawItem, keys: Iterable[str]) -> tuple[Any, ...]:
    return tuple(repr(item.get(k)) for k in keys)


@dataclass(frozen=True)
class TableSchema:
    """A table's key attributes and its global secondary indexes."""

    keys: tuple[str, ...]
    indexes: tuple[Index, ...] = ()

    def key_of(self, item: RawItem) -> dict[str, Any]:
        return {k: item[k] for k in self.keys}

    def index(self, name: str) -> Index:
        return next(i for i in self.indexes if i.name == name)

    def write(
        self, before: RawItem | None, after: RawItem | None, *, transactional: bool = False
    ) -> dict[str, int]:
        """Write units of one item write, by where they are spent: "" for the table, then
        each index by name. The table pays for the larger of the item before and after."""
        units = {
            "": write_units(max(item_size(before), item_size(after)), transactional=transactional)
        }
        for index in self.indexes:
            spent = index.write_units(before, after, self.keys)
            if spent:
                units[index.name] = 2 * spent if transactional else spent
        return units


def schema_from_properties(properties: Mapping[str, Any]) -> TableSchema:
    """A table's schema from its resolved CloudFormation properties."""
    indexes = tuple(
        Index(
            name=index["IndexName"],
            keys=tuple(k["AttributeName"] for k in index["KeySchema"]),
            projection=index["Projection"]["ProjectionType"],
            included=tuple(index["Projection"].get("NonKeyAttributes", ())),
        )
        for index in properties.get("GlobalSecondaryIndexes", ())
    )
    return TableSchema(tuple(k["AttributeName"] for k in properties["KeySchema"]), indexes)


def template_schemas(template: Any = None) -> dict[str, TableSchema]:
    """Every table of template.yaml (a `sundial_local.template.Template`), by logical id."""
    from sundial_local.template import TABLE_TYPE, Template

    template = template or Template.load()
    return {
        logical_id: schema_from_properties(properties)
        for logical_id, properties in template.resources(TABLE_TYPE).items()
    }
