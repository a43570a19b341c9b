"""Timed sends through the sweep: every message SQS accepts becomes visible within the
lead before its fire time, never after it, and a sweep's waits for phases stay within
its budget. Time is the simulated clock's: waits are counted, never slept."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sundial.core.clock import to_ms

START = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
LEAD_MS = 100
SHARDS = 4  # the dispatch tests' shard count


class CountingClock:
    """The dispatch tests' simulated clock, recording the sleeps it is asked for.

    Shard threads wait for their send instants at the same time: a sleep moves the clock
    to the instant it ends unless another sleeper already moved it past."""

    def __init__(self) -> None:
        self.now = START
        self.sleeps: list[float] = []
        self.wakes: list[int] = []  # epoch ms each sleep ends
        self.lock = threading.Lock()

    def utc_now(self) -> datetime:
        return self.now

    def now_ms(self) -> int:
        return to_ms(self.now)

    def sleep(self, seconds: float) -> None:
        with self.lock:
            wake = self.now + timedelta(seconds=seconds)
            self.sleeps.append(seconds)
            self.wakes.append(to_ms(wake))
            self.now = max(self.now, wake)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class TimedSqs:
    """Records, for every accepted message, the simulated instant its batch went out."""

    def __init__(self, inner: Any, clock: CountingClock):
        self.inner = inner
        self.clock = clock
        self.sent_at: list[int] = []

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        before, received_at = len(self.inner.sent), self.clock.now_ms()
        response = self.inner.send_message_batch(QueueUrl=QueueUrl, Entries=Entries)
        self.sent_at += [received_at] * (len(self.inner.sent) - before)
        return response

    def visibility(self) -> list[tuple[int, int]]:
        """(visible at, fire at) of every accepted message."""
        return [
            (sent_at + 1000 * message["delay"], message["fire_at"])
            for sent_at, message in zip(self.sent_at, self.inner.sent, strict=True)
        ]


@pytest.fixture
def clock() -> CountingClock:
    return CountingClock()


@pytest.mark.parametrize("phase_ms", [0, 37, 437, 901, 999])
def test_every_message_a_sweep_sends_becomes_visible_within_the_lead_before_its_fire_time(
    seed, make_dispatcher, sqs, clock, phase_ms
):
    # Whole-second schedules and jittered ones (fires at every sub-second phase), first
    # due 5 s ahead: further than the sweep's pages can wait (a second each).
    clock.advance(seconds=5)
    for schedule in ("* * * * * *", "*/7 * * * * *", "0 * * * * *"):
        seed(schedule)
    for _ in range(6):
        seed("*/5 * * * * *", jitter_seconds=3)
    clock.now = START + timedelta(milliseconds=phase_ms)
    swept_at = clock.now_ms()
    timed = TimedSqs(sqs, clock)

    # A shard at a time: the simulated clock cannot hold concurrent sleepers to their
    # instants (a sleep returns at once, and the next moves the clock on).
    dispatcher = make_dispatcher(sqs=timed, send_lead_ms=LEAD_MS)
    fires_emitted = sum(dispatcher.sweep([shard]).fires_emitted for shard in range(SHARDS))

    visibility = timed.visibility()
    assert fires_emitted == len(visibility) > 100
    assert min(fire_at for _, fire_at in visibility) - swept_at >= 5000 - phase_ms
    for visible_at, fire_at in visibility:
        assert fire_at - LEAD_MS <= visible_at <= fire_at - LEAD_MS // 2, (visible_at, fire_at)


def test_a_page_of_whole_second_fires_waits_once(seed, make_dispatcher, sqs, clock):
    for _ in range(5):
        seed("* * * * * *")
    clock.advance(milliseconds=250)

    make_dispatcher(threads=1, send_lead_ms=LEAD_MS, page_size=100).sweep()

    # One wait per shard page with due tasks, all for the same instant: 100 ms before
    # the next second. The shards wait together, so the sweep takes that one wait.
    assert clock.sleeps and all(seconds <= 0.65 for seconds in clock.sleeps)
    assert len(clock.sleeps) <= 4  # SHARDS pages at most
    assert set(clock.wakes) == {to_ms(START) + 900}


def test_a_sweep_waits_for_phases_at_most_its_budget(seed, make_dispatcher, sqs, clock):
    # One task per page, each at its own sub-second phase: unbounded, every page would
    # wait up to a second, 30 pages in all (sharing 4 shard threads).
    for _ in range(30):
        seed("*/5 * * * * *", jitter_seconds=4)
    began = clock.now_ms()

    make_dispatcher(threads=1, send_lead_ms=LEAD_MS, send_wait_budget_ms=1500, page_size=1).sweep()

    assert len(clock.sleeps) > 1
    assert all(wake <= began + 1500 for wake in clock.wakes)
    assert clock.now_ms() - began <= 1500
    assert len(sqs.sent) > 30  # every page still sent


def test_a_lead_of_zero_sends_at_once_without_waiting(seed, make_dispatcher, sqs, clock):
    seed("*/5 * * * * *", jitter_seconds=4)
    clock.advance(milliseconds=123)

    make_dispatcher(threads=1, send_lead_ms=0).sweep()

    assert sqs.sent and clock.sleeps == []


def test_timed_sends_never_show_a_message_after_its_fire_time_when_the_send_runs_late(
    seed, make_dispatcher, sqs, clock
):
    # Each SendMessageBatch takes 70 ms of the simulated clock to answer: later batches of
    # a slot go out after their phase, and must then show early (a whole second), never late.
    clock.advance(seconds=5)
    for _ in range(4):
        seed("* * * * * *")
    clock.now = START
    timed = TimedSqs(sqs, clock)
    real_send = timed.send_message_batch

    def slow_send(QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        response = real_send(QueueUrl=QueueUrl, Entries=Entries)
        clock.advance(milliseconds=70)
        return response

    timed.send_message_batch = slow_send  # type: ignore[method-assign]
    dispatcher = make_dispatcher(sqs=timed, send_lead_ms=LEAD_MS)
    for shard in range(SHARDS):
        dispatcher.sweep([shard])

    visibility = timed.visibility()
    assert len(visibility) > 4 * 80  # the rest of the 90 s horizon
    assert all(visible_at <= fire_at for visible_at, fire_at in visibility)
    # Sending took over 2 s: most batches missed their phase and show a second early.
    assert to_ms(clock.utc_now()) - to_ms(START) > 2000
