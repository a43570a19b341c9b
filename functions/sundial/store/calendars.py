"""A tenant's calendars, and the reference counts that keep those in use from deletion.

Calendars are read by name within a tenant, so another tenant's calendar is missing
(CalendarNotFound) everywhere. A task's reference to a calendar is written by the same
transaction that writes the task (`reference_ops`), conditioned on the calendar
existing; a delete is conditioned on no reference: DynamoDB serializes the two, so a
calendar is never deleted while a task names it, and a task never names a deleted one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sundial.core import clock
from sundial.store import writes
from sundial.store.errors import CalendarInUse, CalendarNotFound
from sundial.store.models import CalendarItem, calendar_partition


def put_calendar(
    tenant: str, name: str, description: str, dates: Sequence[str], *, now_ms: int | None = None
) -> CalendarItem:
    """Create the calendar, or replace its description and dates; returns it as stored.

    An UpdateItem, not a Put: a replacement keeps the calendar's reference count. It is
    unconditional and sets the same values when re-sent, so a lost response is harmless.
    """
    stamp = clock.now_ms() if now_ms is None else now_ms
    actions = [
        CalendarItem.tenant.set(tenant),
        CalendarItem.description.set(description),
        CalendarItem.dates.set(list(dates)),
        CalendarItem.updated_at.set(stamp),
    ]
    raw = writes.update(CalendarItem, calendar_partition(tenant), name, actions, None)  # type: ignore[arg-type]
    return CalendarItem.from_raw_data(raw)


def get_calendar(tenant: str, name: str, consistent: bool = True) -> CalendarItem:
    try:
        return CalendarItem.get(calendar_partition(tenant), name, consistent_read=consistent)
    except CalendarItem.DoesNotExist:
        raise CalendarNotFound(name) from None


def list_calendars(tenant: str) -> list[CalendarItem]:
    """The tenant's calendars by name (one query; a tenant has few)."""
    return list(CalendarItem.query(calendar_partition(tenant), consistent_read=True))


def calendar_dates(
    tenant: str, names: Iterable[str], *, consistent: bool = False
) -> dict[str, list[str]]:
    """The dates of the tenant's calendars of these names, by name (one BatchGetItem); a
    missing calendar is left out. Eventually consistent by default (the workers: a
    change applies from the next read that sees it, within a second); `consistent` for
    the API's check that a task's calendars exist, so a calendar created just before is
    found."""
    keys = sorted({(calendar_partition(tenant), name) for name in names})
    if not keys:
        return {}
    found = CalendarItem.batch_get(keys, consistent_read=consistent)
    return {item.name: list(item.dates or []) for item in found}


def delete_calendar(tenant: str, name: str) -> None:
    """Delete the calendar unless a task names it (CalendarInUse); CalendarNotFound when
    there is none."""
    current = get_calendar(tenant, name)
    unreferenced = CalendarItem.references.does_not_exist() | (CalendarItem.references == 0)

    def gone(old: writes.RawItem | None) -> bool:
        # Seen a moment ago, absent now: deleted, by this request (its response lost)
        # or by a concurrent one; either way the calendar is gone, as asked.
        return old is None

    try:
        writes.delete(CalendarItem, calendar_partition(tenant), name, unreferenced, mine=gone)
    except writes.ConditionFailed as exc:
        old = exc.old_item
        references = int(CalendarItem.from_raw_data(old).references or 0) if old else 0
        raise CalendarInUse(current.name, references) from None


def reference_ops(tenant: str, changes: Mapping[str, int]) -> list[tuple[str, writes.TransactItem]]:
    """Transaction requests moving the reference counts of these calendars by the given
    amounts (+1 a task now names it, -1 no longer), each conditioned on the calendar
    existing: a failed one names a calendar that is not there. Paired with the names."""
    ops = []
    for name, delta in sorted(changes.items()):
        if delta == 0:
            continue
        op = writes.op_update(
            CalendarItem,
            calendar_partition(tenant),
            name,
            [CalendarItem.references.add(delta)],
            CalendarItem.task_id.exists(),
        )
        ops.append((name, op))
    return ops


def reference_changes(before: Iterable[str], after: Iterable[str]) -> dict[str, int]:
    """How each calendar's reference count moves when a task's calendars go from
    `before` to `after` (each named once)."""
    old, new = set(before), set(after)
    return {**{name: -1 for name in old - new}, **{name: 1 for name in new - old}}
