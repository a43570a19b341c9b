"""Conditional writes that say, when their condition fails, what the item looked like.

PynamoDB builds the requests (keys, attribute serialization, expressions), but its
single-item write methods neither send `ReturnValuesOnConditionCheckFailure` nor
keep the returned item, so the requests are sent through the model's own botocore
client here. With `ALL_OLD` a failed condition carries the item as it was, which
tells the caller *why* it lost (gone? another version? leased?) without a second,
racy read.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
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
) -> RawItem:
    """UpdateItem under `condition`; the item as written (ALL_NEW)."""
    kwargs = _key_only(model, hash_key, range_key).get_update_kwargs_from_instance(
        list(actions), condition, return_values_on_condition_failure=ALL_OLD
    )
    response = _send(model, "update_item", {**kwargs, "ReturnValues": "ALL_NEW"})
    return dict(response["Attributes"])


def put(item: Model, condition: Condition | None) -> None:
    """PutItem under `condition` (None: unconditionally)."""
    kwargs = item.get_save_kwargs_from_instance(
        condition, return_values_on_condition_failure=ALL_OLD
    )
    _send(type(item), "put_item", kwargs)


def delete(model: type[Model], hash_key: Any, range_key: Any, condition: Condition) -> None:
    """DeleteItem under `condition`."""
    kwargs = _key_only(model, hash_key, range_key).get_delete_kwargs_from_instance(
        condition, return_values_on_condition_failure=ALL_OLD
    )
    _send(model, "delete_item", kwargs)


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


def transact(model: type[Model], items: Sequence[TransactItem]) -> None:
    """TransactWriteItems, in the given order; ConditionFailed names the failing requests.

    `model` only provides the client. A transaction cancelled by a conflicting
    concurrent transaction is re-sent a few times before TransactionConflict.
    """
    if not 0 < len(items) <= DYNAMODB_MAX_TRANSACT_ITEMS:
        raise ValueError(
            f"a transaction takes 1..{DYNAMODB_MAX_TRANSACT_ITEMS} items, got {len(items)}"
        )
    for attempt in range(1, TRANSACTION_CONFLICT_ATTEMPTS + 1):
        try:
            _send(model, "transact_write_items", {"TransactItems": list(items)})
            return
        except TransactionConflict:
            if attempt == TRANSACTION_CONFLICT_ATTEMPTS:
                raise
            time.sleep(TRANSACTION_CONFLICT_BACKOFF_SECONDS * (2**attempt) * random.random())


def _key_only(model: type[Model], hash_key: Any, range_key: Any) -> Model:
    # An instance holding only the keys: what PynamoDB's *_kwargs_from_instance need.
    return model(hash_key, range_key) if range_key is not None else model(hash_key)


def _send(model: type[Model], operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    client = model._get_connection().connection.client
    try:
        return dict(getattr(client, operation)(**kwargs))
    except ClientError as exc:
        translated = _translate(exc)
        if translated is None:
            raise
        raise translated from exc


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
