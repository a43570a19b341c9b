"""Lambda event filtering, emulated: does a record match an event source mapping's
FilterCriteria?

The subset of the filter rule syntax the template uses, evaluated as Lambda evaluates it:
a pattern is an object whose keys the record must have, down to leaf arrays of rules; a
leaf matches when any rule matches the record's value (or, for an array value, any of
its elements). Rules: an exact string, number, boolean or null; `{"exists": true|false}`;
`{"anything-but": [...]}`; `{"prefix": "..."}`. Filters are ORed. Anything else raises,
so a pattern added to the template that this cannot evaluate fails loudly, never open.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

_MISSING = object()


class UnsupportedPattern(ValueError):
    """A filter rule this emulation does not evaluate."""


def parse_filters(criteria: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The patterns of a mapping's FilterCriteria (each `Pattern` is JSON text)."""
    patterns = []
    for entry in (criteria or {}).get("Filters", []):
        pattern = json.loads(entry["Pattern"])
        if not isinstance(pattern, dict):
            raise UnsupportedPattern(f"a pattern must be an object: {entry['Pattern']}")
        patterns.append(pattern)
    return patterns


def matches_any(patterns: Sequence[Mapping[str, Any]], record: Mapping[str, Any]) -> bool:
    """True when there are no patterns (no filtering) or the record matches one of them."""
    return not patterns or any(matches(pattern, record) for pattern in patterns)


def matches(pattern: Mapping[str, Any], record: Any) -> bool:
    """Whether `record` matches one pattern."""
    for key, expected in pattern.items():
        value = record.get(key, _MISSING) if isinstance(record, Mapping) else _MISSING
        if isinstance(expected, Mapping):
            # A missing object is an empty one: only `exists: false` below it can match.
            inner = {} if value is _MISSING else value
            if not isinstance(inner, Mapping) or not matches(expected, inner):
                return False
        elif isinstance(expected, list):
            if not _leaf(expected, value):
                return False
        else:
            raise UnsupportedPattern(f"{key}: a pattern value must be an object or an array")
    return True


def _leaf(rules: list[Any], value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(_rule(rule, value, values) for rule in rules)


def _rule(rule: Any, value: Any, values: list[Any]) -> bool:
    if isinstance(rule, Mapping):
        if len(rule) != 1:
            raise UnsupportedPattern(f"a rule has one operator: {rule}")
        operator, operand = next(iter(rule.items()))
        if operator not in ("exists", "anything-but", "prefix"):
            raise UnsupportedPattern(f"operator {operator!r} is not emulated")
        if operator == "exists":
            present = value is not _MISSING and value is not None and value != []
            return present if operand else value is _MISSING
        if value is _MISSING:
            return False
        if operator == "anything-but":
            excluded = operand if isinstance(operand, list) else [operand]
            return all(v not in excluded for v in values)
        return any(isinstance(v, str) and v.startswith(operand) for v in values)  # prefix
    if value is _MISSING:
        return False
    return any(v == rule and type(v) is type(rule) for v in values)
