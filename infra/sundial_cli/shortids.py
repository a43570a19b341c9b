"""Short ids, as git shortens commit hashes: the first characters of each ULID, as many
as it takes for the ids shown together to stay distinct, and never fewer than 8.

An execution id is `<task id>:<fire ms>` or `<task id>:manual:<ULID>`: its ULIDs are
shortened the same way and the fire time is kept, so a short execution id still says
which fire it was. `matches` tells whether a (possibly short) id names a full one, which
is how commands accept what the tables print.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MIN_LENGTH = 8
ULID_LENGTH = 26
# Crockford base32, as the API writes it (upper case); the first character of a ULID is
# at most 7 (26 characters hold 130 bits, the top two are zero).
_ULID = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")
_ULID_PREFIX = re.compile(r"[0-9A-HJKMNP-TV-Z]+")


def is_ulid(value: str) -> bool:
    return _ULID.fullmatch(value) is not None


def is_full_execution_id(value: str) -> bool:
    """`<task id>:<digits>` or `<task id>:manual:<ULID>`, with no ULID shortened."""
    parts = value.split(":")
    if len(parts) == 2:
        return is_ulid(parts[0]) and parts[1].isdigit()
    return len(parts) == 3 and is_ulid(parts[0]) and is_ulid(parts[2])


def could_be_short_id(value: str, minimum: int = 6) -> bool:
    """Whether `value` can be the start of a ULID, or a whole one, in any case, `minimum`
    characters or more."""
    return (
        minimum <= len(value) <= ULID_LENGTH and _ULID_PREFIX.fullmatch(value.upper()) is not None
    )


def shorten(value: str, length: int) -> str:
    """`value` with each ULID in it cut to `length` characters (other parts kept)."""
    return ":".join(part[:length] if is_ulid(part) else part for part in value.split(":"))


def short_forms(values: Iterable[str], minimum: int = MIN_LENGTH) -> dict[str, str]:
    """Each of `values` -> its short form: the shortest cut (at least `minimum`) under
    which no two of the values look alike."""
    distinct = set(values)
    for length in range(minimum, ULID_LENGTH):
        forms = {value: shorten(value, length) for value in distinct}
        if len(set(forms.values())) == len(distinct):
            return forms
    return {value: value for value in distinct}


def matches(short: str, full: str) -> bool:
    """Whether `short` names `full`: part by part (split at `:`), equal or, for a ULID of
    `full`, a prefix of it (in any case)."""
    given, parts = short.split(":"), full.split(":")
    if len(given) != len(parts):
        return False
    return all(
        mine == theirs or (is_ulid(theirs) and theirs.startswith(mine.upper()) and mine != "")
        for mine, theirs in zip(given, parts, strict=True)
    )
