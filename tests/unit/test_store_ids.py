"""ULIDs: sortable by creation time, unique, canonical."""

from __future__ import annotations

import threading
import time

import pytest

from sundial.store import ids
from sundial.store.ids import is_ulid, new_ulid, ulid_timestamp_ms


@pytest.fixture(autouse=True)
def _own_sequence(monkeypatch):
    # Each test starts a fresh sequence and leaves the process's as it found it.
    monkeypatch.setattr(ids, "_last", (-1, 0))


def test_ulid_is_canonical_and_carries_its_time():
    ulid = new_ulid(now_ms=1_763_866_200_000)
    assert len(ulid) == 26 and is_ulid(ulid)
    assert ulid_timestamp_ms(ulid) == 1_763_866_200_000


def test_ulids_sort_by_creation_time():
    earlier = new_ulid(now_ms=1_000_000_000_000)
    later = new_ulid(now_ms=2_000_000_000_000)
    assert earlier < later


def test_ulids_within_one_millisecond_are_strictly_increasing(monkeypatch):
    monkeypatch.setattr(time, "time_ns", lambda: 6_000_000_000_000 * 1_000_000)
    ids = [new_ulid() for _ in range(1000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert {ulid_timestamp_ms(i) for i in ids} == {6_000_000_000_000}


def test_clock_stepping_back_does_not_break_the_order(monkeypatch):
    ahead = new_ulid()
    monkeypatch.setattr(time, "time_ns", lambda: (ulid_timestamp_ms(ahead) - 5_000) * 1_000_000)
    behind = new_ulid()
    assert behind > ahead


def test_explicit_past_time_is_honoured():
    new_ulid(now_ms=5_000_000_000_000)
    past = new_ulid(now_ms=1_000)
    assert ulid_timestamp_ms(past) == 1_000


def test_ulids_from_many_threads_are_unique():
    found: list[str] = []

    def make() -> None:
        found.extend(new_ulid() for _ in range(500))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 4000


@pytest.mark.parametrize(
    "bad", ["", "01JD", "8ZZZZZZZZZZZZZZZZZZZZZZZZZ", "01JD000000000000000000000I"]
)
def test_non_ulids_are_recognised(bad):
    assert not is_ulid(bad)
    with pytest.raises(ValueError):
        ulid_timestamp_ms(bad)


def test_timestamp_outside_ulid_range_is_refused():
    with pytest.raises(ValueError):
        new_ulid(now_ms=-1)
