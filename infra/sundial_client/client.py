"""`Client`: every route of the Sundial API as a method, answers as the API's own models.

The models are the server's (`sundial.core.task`, `sundial.api.models`), so a field the
API gains is a field the client has. Bodies may be given as those models or as plain
dicts (sent as they are, for the API to validate).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlencode, urlsplit

from pydantic import BaseModel

from sundial.api.models import (
    DEFAULT_PAGE_SIZE,
    BackfillResponse,
    CalendarList,
    CalendarView,
    DeadLetterList,
    DeadLetterView,
    PreviewResponse,
    RedriveResponse,
    RunList,
    RunView,
    TaskList,
    TriggerResponse,
)
from sundial.core.clock import format_timestamp
from sundial.core.task import TaskCreate, TaskUpdate, TaskView
from sundial_client.errors import ApiError, NotFound, Unreachable, error_class
from sundial_client.pagination import Page, items
from sundial_client.retry import RetryPolicy, retried_status
from sundial_client.transport import Answer, AnswerLost, NotSent, Transport, UrllibTransport

DEFAULT_URL = "http://127.0.0.1:8080/v1"
DEFAULT_TIMEOUT_SECONDS = 30.0
USER_AGENT = "sundial-client/1"
# How much of a body that is not the API's error envelope (a proxy's HTML page) an
# error quotes.
MAX_QUOTED_BODY = 200

M = TypeVar("M", bound=BaseModel)


def check_base_url(url: str) -> str:
    """`url` without a trailing slash; ValueError unless it is an http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http:// or https:// URL such as {DEFAULT_URL}")
    return url.rstrip("/")


class Client:
    """The Sundial API at `base_url` (with its stage: `https://.../v1`), as the tenant
    whose API `key` is given (`Authorization: Bearer <key>`).

    Failed calls are retried as `retry` allows (see `sundial_client.retry`); what still
    fails raises an `ApiError` subclass (the API's code, message and field) or
    `Unreachable`.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        key: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        retry: RetryPolicy | None = None,
        transport: Transport | None = None,
    ):
        self.base_url = check_base_url(base_url)
        self.key = key
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.transport: Transport = transport or UrllibTransport(self.base_url, timeout)

    # --- tasks -------------------------------------------------------------------------

    def create_task(
        self, spec: TaskCreate | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> TaskView:
        """`POST /tasks`. Every create carries an Idempotency-Key (a new UUID unless one is
        given), so the retries of one call make at most one task."""
        key = idempotency_key or str(uuid.uuid4())
        body = _body(spec)
        return self._model(TaskView, "POST", "/tasks", body=body, headers={"Idempotency-Key": key})

    def get_task(self, task_id: str) -> TaskView:
        return self._model(TaskView, "GET", _task_path(task_id))

    def list_tasks_page(
        self,
        *,
        state: str | None = None,
        tag: str | None = None,
        name: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        next_token: str | None = None,
    ) -> Page[TaskView]:
        """One page of `GET /tasks` (`tag` is `key:value`; `name` exact)."""
        query = {
            "state": state,
            "tag": tag,
            "name": name,
            "limit": limit,
            "next_token": next_token,
        }
        found = self._model(TaskList, "GET", "/tasks", query=query)
        return Page(found.tasks, found.next_token)

    def find_task(self, name: str) -> TaskView | None:
        """The task named `name` (names are unique per tenant), or None: one request."""
        found = self.list_tasks_page(name=name).items
        return found[0] if found else None

    def list_tasks(
        self, *, state: str | None = None, tag: str | None = None, page_size: int = 100
    ) -> Iterator[TaskView]:
        """Every task of the tenant (filtered by state and tag), page after page."""
        return items(
            lambda token: self.list_tasks_page(
                state=state, tag=tag, limit=page_size, next_token=token
            )
        )

    def update_task(
        self,
        task_id: str,
        update: TaskUpdate | Mapping[str, Any],
        *,
        if_match: int | str | None = None,
    ) -> TaskView:
        """`PATCH /tasks/{id}`: the fields given change, the others keep their values.

        With `if_match` (the version read), a task changed since raises VersionMismatch.
        """
        return self._model(
            TaskView,
            "PATCH",
            _task_path(task_id),
            body=_body(update),
            headers=_if_match(if_match),
        )

    def delete_task(self, task_id: str, *, if_match: int | str | None = None) -> None:
        try:
            self._call("DELETE", _task_path(task_id), headers=_if_match(if_match))
        except NotFound as error:
            # An earlier attempt whose answer was lost deleted it: the call did its job.
            if not error.after_lost_attempt:
                raise

    def pause_task(self, task_id: str, *, if_match: int | str | None = None) -> TaskView:
        return self._model(
            TaskView, "POST", _task_path(task_id, "pause"), headers=_if_match(if_match)
        )

    def resume_task(self, task_id: str, *, if_match: int | str | None = None) -> TaskView:
        """Fires resume from the next one after now; fires missed while paused are not run."""
        return self._model(
            TaskView, "POST", _task_path(task_id, "resume"), headers=_if_match(if_match)
        )

    def trigger_task(self, task_id: str) -> TriggerResponse:
        """Run the task now (also while paused). Not repeated after a lost answer."""
        return self._model(
            TriggerResponse, "POST", _task_path(task_id, "trigger"), repeatable=False
        )

    def backfill_task(
        self, task_id: str, start: datetime | str, end: datetime | str
    ) -> BackfillResponse:
        """Run the scheduled times in [start, end] now (a time already enqueued is not
        enqueued again, so a retried backfill runs each time once)."""
        body = {"start": _timestamp(start), "end": _timestamp(end)}
        return self._model(BackfillResponse, "POST", _task_path(task_id, "backfill"), body=body)

    # --- runs and dead letters --------------------------------------------------------

    def list_runs_page(
        self, task_id: str, *, limit: int = DEFAULT_PAGE_SIZE, next_token: str | None = None
    ) -> Page[RunView]:
        query = {"limit": limit, "next_token": next_token}
        found = self._model(RunList, "GET", _task_path(task_id, "runs"), query=query)
        return Page(found.runs, found.next_token)

    def list_runs(self, task_id: str, *, page_size: int = 100) -> Iterator[RunView]:
        """A task's runs, newest first, page after page."""
        return items(lambda token: self.list_runs_page(task_id, limit=page_size, next_token=token))

    def list_dead_letters_page(
        self, *, limit: int = DEFAULT_PAGE_SIZE, next_token: str | None = None
    ) -> Page[DeadLetterView]:
        query = {"limit": limit, "next_token": next_token}
        found = self._model(DeadLetterList, "GET", "/dead-letters", query=query)
        return Page(found.dead_letters, found.next_token)

    def list_dead_letters(self, *, page_size: int = 100) -> Iterator[DeadLetterView]:
        """The tenant's dead-lettered executions, newest first, page after page."""
        return items(lambda token: self.list_dead_letters_page(limit=page_size, next_token=token))

    def redrive_dead_letters(self, execution_ids: list[str] | None = None) -> RedriveResponse:
        """Run dead letters again: those named, or all of the tenant's. Not repeated after
        a lost answer."""
        body = {"execution_ids": execution_ids} if execution_ids else None
        return self._model(
            RedriveResponse, "POST", "/dead-letters/redrive", body=body, repeatable=False
        )

    # --- schedules ----------------------------------------------------------------------

    def preview(
        self,
        schedule: str,
        *,
        timezone: str = "UTC",
        after: datetime | str | None = None,
        count: int | None = None,
        exclude: list[str] | None = None,
    ) -> PreviewResponse:
        """The next fire times of a schedule strictly after `after` (default now),
        occurrences on the days `exclude` names skipped."""
        body: dict[str, Any] = {"schedule": schedule, "timezone": timezone}
        if after is not None:
            body["after"] = _timestamp(after)
        if count is not None:
            body["count"] = count
        if exclude:
            body["exclude"] = list(exclude)
        return self._model(PreviewResponse, "POST", "/preview", body=body)

    # --- calendars ----------------------------------------------------------------------

    def put_calendar(
        self, name: str, dates: list[str], *, description: str | None = None
    ) -> CalendarView:
        """Create the calendar or replace its dates (and description, "" when not given)."""
        body: dict[str, Any] = {"dates": list(dates)}
        if description is not None:
            body["description"] = description
        return self._model(CalendarView, "PUT", _calendar_path(name), body=body)

    def get_calendar(self, name: str) -> CalendarView:
        return self._model(CalendarView, "GET", _calendar_path(name))

    def list_calendars(self) -> list[CalendarView]:
        return self._model(CalendarList, "GET", "/calendars").calendars

    def delete_calendar(self, name: str) -> None:
        """Raises Conflict (calendar_in_use) while a task's exclude names it."""
        try:
            self._call("DELETE", _calendar_path(name))
        except NotFound as error:
            # An earlier attempt whose answer was lost deleted it: the call did its job.
            if not error.after_lost_attempt:
                raise

    # --- the exchange ---------------------------------------------------------------------

    def _model(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        return model.model_validate(self._call(method, path, **kwargs))

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        repeatable: bool = True,
    ) -> Any:
        """The decoded JSON body of a 2xx answer (None when empty), after the retries
        `self.retry` allows; raises ApiError or Unreachable otherwise."""
        url = self.base_url + path
        params = {k: v for k, v in (query or {}).items() if v is not None}
        if params:
            url += "?" + urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        sent = {"Accept": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
        if data is not None:
            sent["Content-Type"] = "application/json"
        if self.key:
            sent["Authorization"] = f"Bearer {self.key}"
        lost = False  # an attempt went out and its answer never came: it may have acted
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self.retry.attempts
            try:
                answer = self.transport.send(method, url, sent, data)
            except NotSent as failure:
                if last:
                    raise Unreachable(
                        f"cannot reach the Sundial API at {self.base_url}: {failure.reason}"
                    ) from None
                self.retry.wait(self.retry.delay(attempt))
                continue
            except AnswerLost as failure:
                lost = True
                if last or not repeatable:
                    raise Unreachable(self._lost_message(failure)) from None
                self.retry.wait(self.retry.delay(attempt))
                continue
            if 200 <= answer.status < 300:
                return self._decoded(answer, path)
            error = self._error(answer, after_lost_attempt=lost)
            if last or not retried_status(answer.status, error.code, repeatable=repeatable):
                raise error
            self.retry.wait(self.retry.delay(attempt, answer.headers.get("retry-after")))

    def _lost_message(self, failure: AnswerLost) -> str:
        if failure.timed_out:
            return f"no answer from the Sundial API at {self.base_url} within {self.timeout:g} s"
        return f"lost the connection to {self.base_url}: {failure.reason}"

    def _decoded(self, answer: Answer, path: str) -> Any:
        body = _decode(answer.body)
        if body is not None and not isinstance(body, dict):
            raise ApiError(
                answer.status,
                f"http_{answer.status}",
                f"{self.base_url}{path} did not answer with JSON: is {self.base_url} the "
                "Sundial API (with its stage, e.g. /v1)?",
            )
        return body

    def _error(self, answer: Answer, *, after_lost_attempt: bool) -> ApiError:
        body = _decode(answer.body)
        error = body.get("error") if isinstance(body, dict) else None
        kind = error_class(answer.status)
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            return kind(
                answer.status,
                error["code"],
                str(error.get("message") or ""),
                error.get("field"),
                after_lost_attempt=after_lost_attempt,
            )
        text = body if isinstance(body, str) else json.dumps(body)
        text = " ".join(text.split())[:MAX_QUOTED_BODY] or "(empty body)"
        return kind(
            answer.status,
            f"http_{answer.status}",
            f"unexpected response from {self.base_url}: {text}",
            after_lost_attempt=after_lost_attempt,
        )


def _calendar_path(name: str) -> str:
    return f"/calendars/{quote(name, safe='')}"


def _task_path(task_id: str, action: str = "") -> str:
    """`/tasks/<id>[/action]`, the id quoted so that no id can reach another route."""
    return f"/tasks/{quote(task_id, safe='')}" + (f"/{action}" if action else "")


def _body(value: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    """A model as the JSON it was given with (fields left unset stay out: the API fills
    its defaults, and a PATCH changes only what was set); a mapping as it is."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_unset=True)
    return dict(value)


def _if_match(version: int | str | None) -> dict[str, str] | None:
    """A version number becomes its ETag (`"3"`); a string is sent as given (`"3"`, `3`)."""
    if version is None:
        return None
    return {"If-Match": f'"{version}"' if isinstance(version, int) else version}


def _timestamp(value: datetime | str) -> str:
    return format_timestamp(value) if isinstance(value, datetime) else value


def _decode(raw: bytes) -> Any:
    text = raw.decode("utf-8", "replace")
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
