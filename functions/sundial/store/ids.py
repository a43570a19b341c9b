"""ULIDs: 128-bit ids that sort by creation time (https://github.com/ulid/spec).

48 bits of epoch milliseconds then 80 random bits, in Crockford base32 (26 chars).
Within one process ids are strictly increasing: inside the same millisecond (or
if the clock steps back) the random part of the previous id is incremented
instead of drawn again, as the spec's monotonic mode prescribes. No dependency.
"""

from __future__ import annotations

import os
import threading

from sundial.core import clock

CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_LENGTH = 26
RANDOM_BITS = 80
MAX_TIMESTAMP_MS = (1 << 48) - 1  # the spec's limit: year 10889
_MAX_RANDOM = (1 << RANDOM_BITS) - 1
_DECODE = {c: i for i, c in enumerate(CROCKFORD_ALPHABET)}

_lock = threading.Lock()
_last: tuple[int, int] = (-1, 0)  # (timestamp ms, random part) of the last id issued


def new_ulid(now_ms: int | None = None) -> str:
    """A new ULID of the current time (or of `now_ms`, epoch ms).

    Ids from the clock are strictly increasing within the process, even within one
    millisecond or if the clock steps back. An explicit `now_ms` is honoured: an
    earlier time gives an id that sorts before the ones already issued.
    """
    global _last
    explicit = now_ms is not None
    ts = now_ms if now_ms is not None else clock.now_ms()
    if not 0 <= ts <= MAX_TIMESTAMP_MS:
        raise ValueError(f"timestamp {ts} ms is outside the ULID range")
    with _lock:
        last_ts, last_rand = _last
        if ts > last_ts or (explicit and ts < last_ts):
            rand = int.from_bytes(os.urandom(RANDOM_BITS // 8), "big")
            if ts < last_ts:
                return _encode((ts << RANDOM_BITS) | rand)  # a past time: outside the sequence
        elif last_rand < _MAX_RANDOM:
            ts, rand = last_ts, last_rand + 1
        else:
            # 2**80 ids in one millisecond cannot happen; borrowing the next millisecond
            # keeps the order rather than raising.
            ts, rand = last_ts + 1, 0
        _last = (ts, rand)
    return _encode((ts << RANDOM_BITS) | rand)


def ulid_timestamp_ms(ulid: str) -> int:
    """The creation time, in epoch milliseconds, encoded in a ULID."""
    return _decode(ulid) >> RANDOM_BITS


def is_ulid(value: str) -> bool:
    """Whether `value` is a canonical (upper-case) ULID."""
    return (
        len(value) == ULID_LENGTH
        and all(c in _DECODE for c in value)
        and value[0] <= "7"  # 26 chars hold 130 bits; the first must keep the top 2 at 0
    )


def _encode(number: int) -> str:
    chars = []
    for _ in range(ULID_LENGTH):
        number, digit = divmod(number, 32)
        chars.append(CROCKFORD_ALPHABET[digit])
    return "".join(reversed(chars))


def _decode(ulid: str) -> int:
    if not is_ulid(ulid):
        raise ValueError(f"not a ULID: {ulid!r}")
    number = 0
    for c in ulid:
        number = number * 32 + _DECODE[c]
    return number
