"""Timed sends: when in its second to send a fire's message, so that it becomes visible a
small lead before its fire time instead of up to a second before it.

SQS delays are whole seconds, counted from when SQS receives the message. A message for
fire time `f` sent at instant `s` gets the delay `floor((f - s) / 1000)` (never late), so
it becomes visible `(f - s) mod 1000` ms before `f`: how early depends only on the
sub-second phase of the send. Sent at an arbitrary phase that is ~0.5 s on average, and
the executor, which claims the message at once and waits for the fire time, pays for the
wait. Sent when `(f - s) mod 1000` lies in [lead - lead // 2, lead], the message shows
between `lead` and `lead / 2` ms early: time to be received, read and claimed, and the
late half of the window absorbs a send that goes out a little after its instant.

Messages whose windows overlap share a send instant (a slot), so a page's messages need
at most one slot per `lead // 2` ms of phase, and every slot lies within the second that
follows `now`: a page waits at most a second, whatever its fire times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sundial.core.aws_limits import SQS_MAX_DELAY_SECONDS

SECOND_MS = 1000


@dataclass(frozen=True)
class SendSlot:
    """Send these messages (indices into the fire times given) at `send_at_ms`."""

    send_at_ms: int
    members: tuple[int, ...]


def send_slots(now_ms: int, fire_times_ms: Sequence[int | None], lead_ms: int) -> list[SendSlot]:
    """When to send each message so it becomes visible in [fire - lead, fire - lead // 2].

    A message without a fire time (delivered at once), due within a second, already
    late, or beyond SQS's 900 s delay goes in a slot at `now_ms`, as does every message
    when `lead_ms` is 0 (timed sends off). Slots come in time order, all within
    [now_ms, now_ms + 1000).
    """
    if not 0 <= lead_ms < SECOND_MS:
        raise ValueError(f"the lead must be in [0, {SECOND_MS}) ms, not {lead_ms}")
    at_once: list[int] = []
    windows: list[tuple[int, int, int]] = []  # (latest send, earliest send, index)
    for index, fire_at in enumerate(fire_times_ms):
        window = _send_window(now_ms, fire_at, lead_ms)
        if window is None:
            at_once.append(index)
        else:
            windows.append((window[1], window[0], index))
    slots: list[SendSlot] = [SendSlot(now_ms, tuple(at_once))] if at_once else []
    # Fewest slots covering every window (interval stabbing): take the window that
    # closes first; every window open by then joins it. Sending at the latest opening
    # among them keeps each member inside its own window, as late in it as the slot
    # allows the earliest-closing one, leaving the most room for a send that runs late.
    windows.sort()
    pending = windows
    while pending:
        closes = pending[0][0]
        group = [w for w in pending if w[1] <= closes]  # open by then, so open at `closes`
        pending = [w for w in pending if w[1] > closes]
        send_at = max(opens for _, opens, _ in group)
        slots.append(SendSlot(send_at, tuple(index for _, _, index in group)))
    slots.sort(key=lambda slot: slot.send_at_ms)
    return _merge_same_instant(slots)


def _send_window(now_ms: int, fire_at_ms: int | None, lead_ms: int) -> tuple[int, int] | None:
    """The first instants [earliest, latest] at or after now to send this message, or
    None: send it at once."""
    if fire_at_ms is None or lead_ms == 0 or fire_at_ms - now_ms < SECOND_MS:
        return None
    least_early = lead_ms - lead_ms // 2
    # The window [fire - lead - k s, fire - least_early - k s] with the most seconds k
    # of delay that still closes at or after now.
    seconds = (fire_at_ms - least_early - now_ms) // SECOND_MS
    if seconds > SQS_MAX_DELAY_SECONDS:
        return None  # delayed the most SQS allows, and still early: no phase helps
    latest = fire_at_ms - least_early - seconds * SECOND_MS
    earliest = max(now_ms, fire_at_ms - lead_ms - seconds * SECOND_MS)
    return earliest, latest


def _merge_same_instant(slots: list[SendSlot]) -> list[SendSlot]:
    merged: list[SendSlot] = []
    for slot in slots:
        if merged and merged[-1].send_at_ms == slot.send_at_ms:
            merged[-1] = SendSlot(slot.send_at_ms, merged[-1].members + slot.members)
        else:
            merged.append(slot)
    return merged
