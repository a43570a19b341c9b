"""Timed sends: the pure choice of when to send each fire's message (core.send_phase)."""

import random

import pytest

from sundial.core.aws_limits import SQS_MAX_DELAY_SECONDS
from sundial.core.clock import from_ms
from sundial.core.planning import delay_seconds
from sundial.core.send_phase import SendSlot, send_slots

NOW_MS = 1_780_000_000_000  # a whole second


def visible_at(fire_at_ms: int, sent_at_ms: int) -> int:
    """When SQS shows a message sent at `sent_at_ms` with the dispatcher's delay."""
    return sent_at_ms + 1000 * delay_seconds(from_ms(fire_at_ms), from_ms(sent_at_ms))


def sent_at_of(slots: list[SendSlot]) -> dict[int, int]:
    return {index: slot.send_at_ms for slot in slots for index in slot.members}


@pytest.mark.parametrize("lead_ms", [2, 50, 100, 250, 999])
def test_every_message_becomes_visible_within_the_lead_before_its_fire_time(lead_ms):
    # Every sub-second phase of now against every phase of the fire, a second to 15 minutes
    # ahead: sent at its slot, each message shows in [fire - lead, fire - lead // 2].
    for now_phase in range(0, 1000, 7):
        now = NOW_MS + now_phase
        fires = [NOW_MS + s * 1000 + p for s in (2, 3, 61, 899) for p in range(0, 1000, 13)]
        fires = [f for f in fires if f - now >= 1000]
        slots = send_slots(now, fires, lead_ms)
        for index, sent_at in sent_at_of(slots).items():
            early = fires[index] - visible_at(fires[index], sent_at)
            assert lead_ms - lead_ms // 2 <= early <= lead_ms, (now, fires[index], sent_at)


@pytest.mark.parametrize("now_phase", range(0, 1000, 11))
def test_every_slot_lies_within_the_second_after_now(now_phase):
    now = NOW_MS + now_phase
    fires = [NOW_MS + 5000 + p for p in range(1000)]
    slots = send_slots(now, fires, 100)
    assert all(now <= slot.send_at_ms < now + 1000 for slot in slots)
    assert [s.send_at_ms for s in slots] == sorted({s.send_at_ms for s in slots})


def test_every_message_is_in_exactly_one_slot():
    rng = random.Random(7)
    fires = [NOW_MS + rng.randrange(-5000, 950_000) for _ in range(2000)] + [None] * 3
    slots = send_slots(NOW_MS + 123, fires, 100)
    members = [i for slot in slots for i in slot.members]
    assert sorted(members) == list(range(len(fires)))


def test_messages_of_a_shared_phase_go_out_together():
    # Whole-second fires (schedules without jitter): one slot, however many seconds ahead.
    fires = [NOW_MS + s * 1000 for s in range(2, 91)]
    slots = send_slots(NOW_MS + 400, fires, 100)
    assert len(slots) == 1
    # Its window opens 100 ms before a second boundary: the most room for a late send.
    assert slots[0].send_at_ms == NOW_MS + 900


def test_a_page_needs_at_most_one_slot_per_half_lead_of_phase():
    # Jittered fires at every millisecond of the second.
    fires = [NOW_MS + 10_000 + p for p in range(1000)]
    for lead_ms in (50, 100, 250):
        slots = send_slots(NOW_MS + 321, fires, lead_ms)
        assert len(slots) <= 1000 // (lead_ms // 2) + 1


def test_fires_due_within_a_second_or_late_go_out_at_once_with_no_delay():
    now = NOW_MS + 500
    fires = [now - 3000, now, now + 1, now + 999, None]
    assert send_slots(now, fires, 100) == [SendSlot(now, (0, 1, 2, 3, 4))]
    assert all(visible_at(f, now) == now for f in fires[:4] if f is not None)


def test_fires_beyond_the_longest_delay_go_out_at_once():
    fire = NOW_MS + (SQS_MAX_DELAY_SECONDS + 5) * 1000
    assert send_slots(NOW_MS, [fire], 100) == [SendSlot(NOW_MS, (0,))]


def test_a_lead_of_zero_sends_everything_at_once():
    fires = [NOW_MS + s * 1000 + 300 for s in range(2, 10)]
    assert send_slots(NOW_MS, fires, 0) == [SendSlot(NOW_MS, tuple(range(8)))]


def test_a_message_already_inside_its_window_goes_out_at_once():
    # Fire at 10.000 s, now at 8.920 s: sending now shows it 80 ms early (in [50, 100]).
    now = NOW_MS + 8920
    assert send_slots(now, [NOW_MS + 10_000], 100) == [SendSlot(now, (0,))]


@pytest.mark.parametrize("lead_ms", [-1, 1000])
def test_a_lead_outside_a_second_is_refused(lead_ms):
    with pytest.raises(ValueError):
        send_slots(NOW_MS, [NOW_MS + 5000], lead_ms)


def test_no_message_is_ever_visible_after_its_fire_time_even_when_sent_late():
    # A send that goes out after its slot (a slow sweep) still never shows a message late:
    # the delay is computed when the batch goes out and rounds down.
    fires = [NOW_MS + s * 1000 + p for s in (2, 30) for p in range(0, 1000, 37)]
    for slot in send_slots(NOW_MS + 10, fires, 100):
        for late_by in (0, 30, 60, 200, 999):
            for index in slot.members:
                assert visible_at(fires[index], slot.send_at_ms + late_by) <= fires[index]
