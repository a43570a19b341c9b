"""Conditional writes that say, when their condition fails, what the item looked like.

PynamoDB builds the requests (keys, attribute serialization, expressions), but its
single-item write methods neither send `ReturnValuesOnConditionCheckFailure` nor
keep the returned item, so the requests are sent through the model's own botocore
client here. With `ALL_OLD` a failed condition carries the item as it was, which
tells the caller *why* it lost (gone? another version? leased?) without a second,
racy read.

A write can also be applied without its writer knowing: DynamoDB applied it, the
response was lost, and the SDK's retry then either fails the condition on the write
itself or gets no answer at all (throttled to the end of its retries, timed out, the
retry quota spent). A writer that can tell its own write in the item (a token it
wrote, the state it set) passes that test as `mine`: a failed condition that finds the
item as `mine` says counts as applied, and any other error is settled by one strongly
consistent read of the item, which shows the write (applied) or not (the error stands).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from botocore.exceptions import ClientError
from pynamodb.attributes import Attribute
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Value
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from sundial.core.aws_limits import DYNAMODB_MAX_TRANSACT_ITEMS
from sundial.store.errors import TransactionConflict

RawItem = dict[str, dict[str, Any]]
TransactItem = dict[str, dict[str, Any]]
# Whether the item as found (None: no item) shows this writer's own write applied.
Mine = Callable[[RawItem | None], bool]

ALL_OLD = "ALL_OLD"
# A TransactionConflict means another transaction touched one of the items at the
# same moment; nothing was written, so the transaction is safe to send again.
TRANSACTION_CONFLICT_ATTEMPTS = 4
TRANSACTION_CONFLICT_BACKOFF_SECONDS = 0.02


class ConditionFailed(Exception):
    """A write's condition did not hold; nothing was written.

    `failed` maps the index of each failing request (0 for a single write) to the
    item as it was, or None when there was no item.
    """

    def __init__(self, failed: dict[int, RawItem | None]):
        super().__init__(f"condition failed on request(s) {sorted(failed)}")
        self.failed = failed

    @property
    def old_item(self) -> RawItem | None:
        """The old item of the first failing request."""
        return self.failed[min(self.failed)]


def serialized(attribute: Attribute[Any], value: Any) -> Value:
    """`value` as `attribute` stores it, for `attribute.set(...)` in an update.

    PynamoDB's `set` infers the DynamoDB type from the Python value, which is wrong for
    attributes that store a value in another shape (JSON text), and would mistake a
    one-key map such as {"S": "x"} (a perfectly good tag set) for a serialized value.
    """
    return Value({attribute.attr_type: attribute.serialize(value)})


def update(
    model: type[Model],
    hash_key: Any,
    range_key: Any,
    actions: Sequence[Action],
    condition: Condition,
    *,
    mine: Mine | None = None,
) -> RawItem:
    """UpdateItem under `condition`; the item as written (ALL_NEW), or as `mine` found it."""
    kwargs = _key_only(model, hash_key, range_key).get_update_kwargs_from_instance(
        list(actions), condition, return_values_on_condition_failure=ALL_OLD
    )
    settle = _Settle(kwargs["TableName"], kwargs["Key"], mine) if mine else None
    response = _send(model, "update_item", {**kwargs, "ReturnValues": "ALL_NEW"}, settle)
    return dict(response["Attributes"])


def put(item: Model, condition: Condition | None, *, mine: Mine | None = None) -> None:
    """PutItem under `condition` (None: unconditionally)."""
    kwargs = item.get_save_kwargs_from_instance(
        condition, return_values_on_condition_failure=ALL_OLD
    )
    settle = None
    if mine is not None:
        model = type(item)
        keys = (model._hash_key_attribute(), model._range_key_attribute())
        key = {k.attr_name: kwargs["Item"][k.attr_name] for k in keys if k is not None}
        settle = _Settle(kwargs["TableName"], key, mine)
    _send(type(item), "put_item", kwargs, settle)


def delete(
    model: type[Model],
    hash_key: Any,
    range_key: Any,
    condition: Condition,
    *,
    mine: Mine | None = None,
) -> None:
    """DeleteItem under `condition`."""
    kwargs = _key_only(model, hash_key, range_key).get_delete_kwargs_from_instance(
        condition, return_values_on_condition_failure=ALL_OLD
    )
    settle = _Settle(kwargs["TableName"], kwargs["Key"], mine) if mine else None
    _send(model, "delete_item", kwargs, settle)


def op_put(item: Model, condition: Condition) -> TransactItem:
    """A Put for `transact`."""
    return {"Put": item.get_save_kwargs_from_instance(condition, ALL_OLD)}


def op_update(
    model: type[Model],
    hash_key: Any,
    range_key: Any,
    actions: Sequence[Action],
    condition: Condition,
) -> TransactItem:
    """An Update for `transact`."""
    instance = _key_only(model, hash_key, range_key)
    return {"Update": instance.get_update_kwargs_from_instance(list(actions), condition, ALL_OLD)}


def op_delete(
    model: type[Model], hash_key: Any, range_key: Any, condition: Condition | None
) -> TransactItem:
    """A Delete for `transact` (`condition` None: unconditional)."""
    instance = _key_only(model, hash_key, range_key)
    return {"Delete": instance.get_delete_kwargs_from_instance(condition, ALL_OLD)}


def transact(
    model: type[Model],
    items: Sequence[TransactItem],
    *,
    mine: tuple[int, Mine] | None = None,
) -> None:
    """TransactWriteItems, in the given order; ConditionFailed names the failing requests.

    `model` only provides the client. A transaction cancelled by a conflicting
    concurrent transaction is re-sent a few times before TransactionConflict.
    `mine` = (index, test) settles an unknown outcome as `update` does, by the item of
    request `index` (an Update or a Delete): a transaction is written whole or not at
    all, so that one item tells.
    """
    if not 0 < len(items) <= DYNAMODB_MAX_TRANSACT_ITEMS:
        raise ValueError(
            f"a transaction takes 1..{DYNAMODB_MAX_TRANSACT_ITEMS} items, got {len(items)}"
        )
    settle = None
    if mine is not None:
        index, test = mine
        (request,) = items[index].values()
        settle = _Settle(request["TableName"], request["Key"], test, index)
    for attempt in range(1, TRANSACTION_CONFLICT_ATTEMPTS + 1):
        try:
            _send(model, "transact_write_items", {"TransactItems": list(items)}, settle)
            return
        except TransactionConflict:
            if attempt == TRANSACTION_CONFLICT_ATTEMPTS:
                raise
            time.sleep(TRANSACTION_CONFLICT_BACKOFF_SECONDS * (2**attempt) * random.random())


def _key_only(model: type[Model], hash_key: Any, range_key: Any) -> Model:
    # An instance holding only the keys: what PynamoDB's *_kwargs_from_instance need.
    return model(hash_key, range_key) if range_key is not None else model(hash_key)


@dataclass(frozen=True)
class _Settle:
    """How to settle a write's unknown outcome: the item it wrote, and the writer's test."""

    table: str
    key: RawItem
    mine: Mine
    index: int = 0  # the item's request, in a transaction

    def applied(self, old: dict[int, RawItem | None]) -> bool:
        return self.index in old and self.mine(old[self.index])

    def read_if_applied(self, client: Any) -> dict[str, Any] | None:
        """{"Attributes": the item} when a strongly consistent read shows the write
        applied; None when it does not, or cannot be read (the error stands)."""
        try:
            response = client.get_item(TableName=self.table, Key=self.key, ConsistentRead=True)
        except Exception:
            return None
        found = cast(RawItem | None, response.get("Item"))
        return {"Attributes": found} if self.mine(found) else None


def _send(
    model: type[Model], operation: str, kwargs: dict[str, Any], settle: _Settle | None = None
) -> dict[str, Any]:
    """Send a write. With `settle`, a write that turns out to be the writer's own,
    applied, returns {"Attributes": the item as found} instead of raising."""
    client = model._get_connection().connection.client
    try:
        try:
            return dict(getattr(client, operation)(**kwargs))
        except ClientError as exc:
            translated = _translate(exc)
            if translated is None:
                raise
            raise translated from exc
    except ConditionFailed as exc:
        if settle is not None and settle.applied(exc.failed):
            return {"Attributes": exc.failed[settle.index]}
        raise
    except TransactionConflict:
        raise  # nothing was written: known, and the caller sends it again
    except Exception:
        # Throttled, timed out, no retry left: maybe applied. The item says.
        settled = settle.read_if_applied(client) if settle is not None else None
        if settled is None:
            raise
        return settled


def _translate(exc: ClientError) -> Exception | None:
    code = exc.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return ConditionFailed({0: cast(RawItem | None, exc.response.get("Item"))})
    if code == "TransactionCanceledException":
        reasons = exc.response.get("CancellationReasons") or []
        failed = {
            i: cast(RawItem | None, reason.get("Item"))
            for i, reason in enumerate(reasons)
            if reason.get("Code") == "ConditionalCheckFailed"
        }
        if failed:
            return ConditionFailed(failed)
        if any(reason.get("Code") == "TransactionConflict" for reason in reasons):
            return TransactionConflict("transaction kept conflicting with concurrent writes")
    return None
