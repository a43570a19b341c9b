"""`TaskUpdate`, the `PATCH /tasks/{id}` body, and how it merges into a definition."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from sundial.core.task.exclude import Exclude
from sundial.core.task.fields import (
    Description,
    Payload,
    ScheduleExpression,
    StrictModel,
    Tags,
    TaskName,
    Timestamp,
    TimeZoneName,
    invalid,
)
from sundial.core.task.limits import HIDDEN_HEADER_VALUE
from sundial.core.task.notifications import HttpDestination, Notification, Notifications
from sundial.core.task.parsing import validate
from sundial.core.task.spec import (
    BackoffSeconds,
    GraceSeconds,
    JitterSeconds,
    MaxAttempts,
    MaxBackoffSeconds,
    MaxEventAgeSeconds,
    MaxRuns,
    MisfirePolicy,
    Overlap,
    PauseAfterFailures,
    TaskSpec,
    TimeoutSeconds,
)
from sundial.core.task.targets import HttpTarget, Target, carries_credentials


class _Patch(StrictModel):
    """A partial object: absent fields keep their value; null only where `NULLABLE` allows it."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_null_for_required(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                if value is None and key in cls.model_fields and key not in cls.NULLABLE:
                    raise invalid(
                        "cannot be null; leave it out to keep the current value", at=(key,)
                    )
        return data

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The schema says what the validator above enforces: fields are optional, and
        only those in `NULLABLE` may be null (generated clients then never send null for
        the others)."""
        json_schema = handler(core_schema)
        properties = handler.resolve_ref_schema(json_schema).get("properties", {})
        for name, field_schema in properties.items():
            if name in cls.NULLABLE:
                continue
            choices = field_schema.get("anyOf", [])
            if {"type": "null"} in choices:
                field_schema.pop("default", None)
                rest = [choice for choice in choices if choice != {"type": "null"}]
                del field_schema["anyOf"]
                if len(rest) == 1:
                    field_schema.update(rest[0])
                else:
                    field_schema["anyOf"] = rest
        return json_schema


class RetryPatch(_Patch):
    max_attempts: MaxAttempts | None = None
    backoff_seconds: BackoffSeconds | None = None
    max_backoff_seconds: MaxBackoffSeconds | None = None
    max_event_age_seconds: MaxEventAgeSeconds | None = None


class MisfirePatch(_Patch):
    policy: MisfirePolicy | None = None
    grace_seconds: GraceSeconds | None = None


class TaskUpdate(_Patch):
    """The `PATCH /tasks/{id}` body. Every field is optional; see `apply_update` for merging.

    Each field is validated as in `TaskSpec`; rules that span fields (schedule against
    zone, end after start, backoff cap) are checked on the merged result.
    """

    NULLABLE = frozenset(
        {"name", "start_at", "end_at", "payload", "max_runs", "pause_after_failures"}
    )

    name: TaskName | None = None
    schedule: ScheduleExpression | None = None
    timezone: TimeZoneName | None = None
    start_at: Timestamp | None = None
    end_at: Timestamp | None = None
    description: Description | None = None
    target: Target | None = None
    payload: Payload = None
    retry: RetryPatch | None = None
    timeout_seconds: TimeoutSeconds | None = None
    overlap: Overlap | None = None
    misfire: MisfirePatch | None = None
    jitter_seconds: JitterSeconds | None = None
    tags: Tags | None = None
    max_runs: MaxRuns | None = None
    pause_after_failures: PauseAfterFailures | None = None
    exclude: Exclude | None = None
    notifications: Notifications | None = None


def apply_update(current: TaskSpec, update: TaskUpdate) -> TaskSpec:
    """The definition after a PATCH, validated as a whole, or the SundialError it violates.

    Merge semantics (the policy objects merge, everything else is replaced):

    * a field left out keeps its value; `null` clears `name`, `start_at`, `end_at`
      (and sets `payload` to JSON null), `max_runs` (no run limit) and
      `pause_after_failures` (never pause);
    * `retry` and `misfire` merge field by field: `{"retry": {"max_attempts": 5}}`
      keeps the other retry settings;
    * `target`, `tags`, `exclude` and `payload` are replaced whole (`"tags": {}`
      removes all tags, `"exclude": []` every exclusion);
    * exception: an `http` target sent without a `signing_secret` key keeps the stored
      secret when the stored target is `http` too, because responses never show the
      secret and a GET-edit-PATCH round trip must not drop it. `"signing_secret": null`
      removes it.
    * likewise a credential header sent back with the value responses show (`***`)
      keeps its stored value; a header left out is removed.
    * `notifications` is replaced whole, with the same two exceptions for each `http`
      destination sent: it keeps the secret and hidden header values of the stored
      `http` destination it replaces (`_replaced_destination`).
    """
    merged = current.model_dump(mode="json")
    changes = update.model_dump(mode="json", exclude_unset=True)
    for policy in ("retry", "misfire"):
        if policy in changes:
            merged[policy] = {**merged[policy], **changes.pop(policy)}
    target = changes.get("target")
    if (
        target is not None
        and target["type"] == "http"
        and "signing_secret" not in target
        and isinstance(current.target, HttpTarget)
    ):
        target["signing_secret"] = current.target.signing_secret
    if target is not None and target["type"] == "http" and isinstance(current.target, HttpTarget):
        target["headers"] = _kept_credentials(target.get("headers") or {}, current.target.headers)
    for index, notification in enumerate(changes.get("notifications") or []):
        destination = notification["destination"]
        if destination["type"] == "http":
            replaced = _replaced_destination(current.notifications, index, destination["url"])
            if replaced is not None:
                if "signing_secret" not in destination:
                    destination["signing_secret"] = replaced.signing_secret
                destination["headers"] = _kept_credentials(
                    destination.get("headers") or {}, replaced.headers
                )
    merged.update(changes)
    return validate(TaskSpec, merged)


def _replaced_destination(
    stored: list[Notification], index: int, url: str
) -> HttpDestination | None:
    """The stored HTTP destination that the one sent at `index` with `url` replaces: the
    stored one at the same position if it has the same URL, else the first stored one
    with that URL (entries removed or reordered keep their secrets), else None (a new
    destination: nothing is kept)."""
    same_url = [
        (position, notification.destination)
        for position, notification in enumerate(stored)
        if isinstance(notification.destination, HttpDestination)
        and notification.destination.url == url
    ]
    at_index = [destination for position, destination in same_url if position == index]
    candidates = at_index or [destination for _, destination in same_url]
    return candidates[0] if candidates else None


def _kept_credentials(sent: dict[str, str], stored: dict[str, str]) -> dict[str, str]:
    """`sent` with each hidden credential value replaced by the value stored under the
    header's name (case-insensitively); one with no stored value stays hidden, and the
    target's validation refuses it."""
    by_name = {name.lower(): value for name, value in stored.items()}
    return {
        name: by_name.get(name.lower(), value)
        if value == HIDDEN_HEADER_VALUE and carries_credentials(name)
        else value
        for name, value in sent.items()
    }
