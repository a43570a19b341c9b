"""`TaskView`: a task as the API returns it, and `RunView`, the run resource it shows as
its `last_run`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from sundial.core.task.fields import StrictModel, Timestamp
from sundial.core.task.notifications import HttpDestination, NotificationView
from sundial.core.task.spec import Misfire, Overlap, Retry, TaskSpec
from sundial.core.task.targets import HttpTarget, TargetView, hide_credentials
from sundial.core.vocabulary import PauseReason, RunStatus, TaskState
from sundial.core.zones import load_zone


class RunView(BaseModel):
    """One execution of a task: its status, attempt, timing, error and result."""

    execution_id: str
    task_id: str
    fire_at: Timestamp
    status: RunStatus
    attempt: int
    started_at: Timestamp | None = None
    finished_at: Timestamp | None = None
    lateness_ms: int | None = None
    error: str | None = None
    result: Any = None
    reason: str | None = Field(default=None, description="why a run was skipped, e.g. overlap")
    next_attempt_at: Timestamp | None = Field(
        default=None, description="when a retrying run is attempted again"
    )


class TaskView(StrictModel):
    """A task as the API returns it; never carries a signing secret or a credential header's
    value (shown as `***`)."""

    id: str
    name: str | None
    schedule: str
    timezone: str
    start_at: Timestamp | None
    end_at: Timestamp | None
    description: str
    target: TargetView
    payload: Any
    retry: Retry
    timeout_seconds: int
    overlap: Overlap
    misfire: Misfire
    jitter_seconds: int
    tags: dict[str, str]
    max_runs: int | None = None
    remaining_runs: int | None = Field(
        default=None,
        description="max_runs minus the scheduled runs dispatched so far; null without a limit",
    )
    pause_after_failures: int | None = None
    exclude: list[str] = Field(default_factory=list, json_schema_extra={"default": []})
    notifications: list[NotificationView] = Field(
        default_factory=list,
        json_schema_extra={"default": []},
        description=(
            "Where the task's events go; an http destination's `signing_secret` is never "
            "shown, and its credential header values are shown as ***"
        ),
    )
    state: TaskState
    pause_reason: PauseReason | None = Field(
        default=None,
        description='why a paused task is paused: "user" or "failures"; null unless paused',
    )
    version: int
    next_fire_times: list[Timestamp]
    last_run: RunView | None = Field(description="the task's newest run, or null")
    created_at: Timestamp
    updated_at: Timestamp
    # Present only on a task stored before validation refused its definition: why it
    # cannot be planned (it does not fire). Absent for every task the API accepts now.
    schedule_error: str | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="Present only when the stored task cannot be planned: why it does not fire",
    )

    @classmethod
    def of(
        cls,
        spec: TaskSpec,
        *,
        task_id: str,
        state: TaskState,
        version: int,
        created_at: datetime,
        updated_at: datetime,
        next_fire_times: Iterable[datetime] = (),
        last_run: RunView | None = None,
        remaining_runs: int | None = None,
        pause_reason: PauseReason | None = None,
    ) -> TaskView:
        """The view of a stored task; fire times are shown in the task's zone."""
        zone = load_zone(spec.timezone)
        definition = spec.model_dump(
            exclude={
                "target": {"signing_secret"},
                "notifications": {"__all__": {"destination": {"signing_secret"}}},
            }
        )
        if isinstance(spec.target, HttpTarget):
            definition["target"]["headers"] = hide_credentials(spec.target.headers)
        for shown, notification in zip(
            definition["notifications"], spec.notifications, strict=True
        ):
            if isinstance(notification.destination, HttpDestination):
                shown["destination"]["headers"] = hide_credentials(notification.destination.headers)
        return cls(
            id=task_id,
            **definition,
            state=state,
            version=version,
            next_fire_times=[time.astimezone(zone) for time in next_fire_times],
            last_run=last_run,
            remaining_runs=remaining_runs,
            pause_reason=pause_reason if state == TaskState.PAUSED else None,
            created_at=created_at,
            updated_at=updated_at,
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready response body."""
        return self.model_dump(mode="json")
