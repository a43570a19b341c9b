"""The cost model's size rules agree with DynamoDB's documentation: item sizes
(CapacityUnitCalculations.html), read and write units (read-write-operations.html) and
global secondary index writes (GSI.html#GSI.ThroughputConsiderations)."""

import base64
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from capacity import (
    Index,
    TableSchema,
    entry_size,
    item_size,
    number_size,
    read_units,
    sqs_requests,
    template_schemas,
    write_units,
)

KB = 1024


# --- item sizes ----------------------------------------------------------------------------


def test_a_string_is_its_name_and_value_in_utf8_bytes():
    assert item_size({"name": {"S": "abc"}}) == 4 + 3
    assert item_size({"név": {"S": "€"}}) == 4 + 3  # é is 2 bytes, € is 3


@pytest.mark.parametrize(
    ("number", "size"),
    [
        ("0", 1),
        ("1", 2),
        ("12", 2),
        ("123", 3),
        ("1234", 3),
        ("0.001", 2),  # leading zeros trimmed: one significant digit
        ("1000000", 2),  # trailing zeros trimmed
        ("-12.5", 3),
        ("1782000000000", 3),  # an epoch-ms time with trailing zeros: 1782 -> 2 + 1
        ("1782345678901", 8),  # 13 significant digits -> 7 + 1
        ("1" * 38, 20),  # the 38-digit maximum
    ],
)
def test_a_number_is_one_byte_per_two_significant_digits_plus_one(number, size):
    assert number_size(number) == size


def test_binary_counts_raw_bytes_not_base64():
    raw = bytes(range(30))
    assert item_size({"b": {"B": base64.b64encode(raw).decode()}}) == 1 + 30


def test_null_and_boolean_are_one_byte():
    assert item_size({"n": {"NULL": True}, "flag": {"BOOL": False}}) == (1 + 1) + (4 + 1)


def test_lists_and_maps_take_three_bytes_plus_one_per_element():
    assert item_size({"l": {"L": []}}) == 1 + 3
    assert item_size({"m": {"M": {}}}) == 1 + 3
    assert item_size({"l": {"L": [{"S": "ab"}, {"N": "1"}]}}) == 1 + 3 + (1 + 2) + (1 + 2)
    nested = {"m": {"M": {"k": {"M": {"x": {"BOOL": True}}}}}}
    # m: 3 + (1 + len("k") + (3 + (1 + len("x") + 1)))
    assert item_size(nested) == 1 + 3 + (1 + 1 + (3 + (1 + 1 + 1)))


def test_sets_are_the_sum_of_their_members():
    assert item_size({"s": {"SS": ["a", "bc"]}}) == 1 + 3
    assert item_size({"s": {"NS": ["1", "123"]}}) == 1 + 2 + 3


# --- units: the documentation's examples ---------------------------------------------------


def test_reads_round_up_to_the_next_4_kb():
    assert read_units(3500, consistent=True) == 1  # "a 3,500-byte item ... as a 4 KB item"
    assert read_units(10 * KB, consistent=True) == 3  # "10 KB ... rounds ... to 12 KB"


def test_an_8_kb_item_costs_2_strong_1_eventual_4_transactional():
    assert read_units(8 * KB, consistent=True) == 2
    assert read_units(8 * KB, consistent=False) == 1
    assert read_units(8 * KB, consistent=True, transactional=True) == 4


def test_an_empty_read_still_costs_one_unit():
    assert read_units(0, consistent=True) == 1
    assert read_units(0, consistent=False) == 0.5


def test_batch_get_rounds_each_item_and_query_rounds_the_sum():
    # BatchGetItem of 1.5 KB and 6.5 KB items: 4 KB + 8 KB = 12 KB, not 8 KB.
    batch = read_units(int(1.5 * KB), consistent=True) + read_units(int(6.5 * KB), consistent=True)
    assert batch == 3
    assert read_units(int(1.5 * KB) + int(6.5 * KB), consistent=True) == 2  # as one Query


def test_writes_round_up_to_the_next_kb_and_double_in_transactions():
    assert write_units(500) == 1
    assert write_units(KB) == 1
    assert write_units(KB + 1) == 2
    assert write_units(int(3.5 * KB)) == 4
    assert write_units(int(1.5 * KB), transactional=True) == 4


def test_sqs_bills_each_started_64_kb_chunk():
    assert sqs_requests(0) == 1
    assert sqs_requests(64 * KB) == 1
    assert sqs_requests(64 * KB + 1) == 2
    assert sqs_requests(256 * KB) == 4


# --- global secondary index writes ----------------------------------------------------------

DUE_ALL = Index("due", ("shard", "due_at"), "ALL")
DUE_KEYS_ONLY = Index("due", ("shard", "due_at"), "KEYS_ONLY")
DUE_INCLUDE = Index("due", ("shard", "due_at"), "INCLUDE", ("state",))


def task(due_at=None, **extra):
    item = {"id": {"S": "t1"}, "payload": {"S": "x" * 2000}, "state": {"S": "active"}}
    if due_at is not None:
        item |= {"shard": {"N": "3"}, "due_at": {"N": str(due_at)}}
    return item | extra


def schema(index):
    return TableSchema(("id",), (index,))


def test_the_table_pays_for_the_larger_of_before_and_after():
    small, large = {"id": {"S": "t1"}}, task()
    assert TableSchema(("id",)).write(large, small) == {"": write_units(item_size(large))}
    assert TableSchema(("id",)).write(None, large) == {"": 2}


def test_moving_an_index_key_costs_a_delete_and_a_put():
    before, after = task(due_at=1000), task(due_at=2000)
    entry = entry_size(after)  # ALL: the whole item, plus the entry overhead
    assert schema(DUE_ALL).write(before, after)["due"] == 2 * write_units(entry)
    assert schema(DUE_KEYS_ONLY).write(before, after)["due"] == 2


def test_entering_or_leaving_a_sparse_index_is_one_index_write():
    assert schema(DUE_KEYS_ONLY).write(task(), task(due_at=1000))["due"] == 1
    assert schema(DUE_KEYS_ONLY).write(task(due_at=1000), task())["due"] == 1
    assert "due" not in schema(DUE_KEYS_ONLY).write(task(), task(state={"S": "paused"}))


def test_updating_a_projected_attribute_only_is_one_index_write():
    before, after = task(due_at=1000), task(due_at=1000, state={"S": "paused"})
    assert schema(DUE_INCLUDE).write(before, after)["due"] == 1
    assert schema(DUE_ALL).write(before, after)["due"] == write_units(entry_size(after))


def test_updating_a_non_projected_attribute_costs_the_index_nothing():
    before, after = task(due_at=1000), task(due_at=1000, payload={"S": "y"})
    assert "due" not in schema(DUE_KEYS_ONLY).write(before, after)
    assert "due" not in schema(DUE_INCLUDE).write(before, after)


def test_keys_only_entries_hold_the_table_and_index_keys_and_the_overhead():
    item = task(due_at=1000)
    keys_only = DUE_KEYS_ONLY.entry(item, ("id",))
    assert set(keys_only) == {"id", "shard", "due_at"}
    assert entry_size(keys_only) == item_size(keys_only) + 100
    assert entry_size(DUE_ALL.entry(item, ("id",))) == item_size(item) + 100


def test_transactions_double_the_index_writes_too():
    written = schema(DUE_KEYS_ONLY).write(None, task(due_at=1000), transactional=True)
    assert written == {"": 4, "due": 2}


def test_the_index_definitions_come_from_the_template():
    tasks = template_schemas()["TasksTable"]
    assert tasks.keys == ("task_id",)
    due = tasks.index("schedule_due")
    assert due.keys == ("due_shard", "due_at")
    assert due.projection in ("ALL", "KEYS_ONLY", "INCLUDE")
