"""The Python client against the served API, through a proxy that fails on cue: retries
where repeating cannot act twice, one task per create every time, errors with the API's
code and field, list routes as iterators."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cli_harness import KEYS
from faulty_proxy import (
    FAIL_503,
    HANDLED_THEN_502,
    HANDLED_THEN_DROPPED,
    REFUSE_429,
    FaultyProxy,
    faulty_proxy,
)
from sundial_client import (
    BadRequest,
    Client,
    NotFound,
    RetryPolicy,
    ServerError,
    TaskView,
    Unreachable,
)
from sundial_local.emulator import free_port

HANDLER_TASK = {"schedule": "@daily", "target": {"type": "handler", "name": "report"}}


class RecordedWaits(RetryPolicy):
    """The policy in use, its waits recorded instead of slept."""

    def __init__(self) -> None:
        super().__init__()
        object.__setattr__(self, "waits", [])

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)  # type: ignore[attr-defined]


@pytest.fixture
def proxy(served_api: str) -> Iterator[FaultyProxy]:
    with faulty_proxy(served_api) as proxy:
        yield proxy


@pytest.fixture
def client(proxy: FaultyProxy) -> Client:
    return Client(proxy.url, KEYS["acme"])


def task_count(served_api: str) -> int:
    return len(list(Client(served_api, KEYS["acme"]).list_tasks()))


@pytest.mark.parametrize(
    "faults",
    [
        [REFUSE_429],
        [FAIL_503],
        [HANDLED_THEN_502],
        [HANDLED_THEN_DROPPED],
        [HANDLED_THEN_DROPPED, HANDLED_THEN_502, REFUSE_429],
    ],
    ids=["429", "503", "handled-then-502", "handled-then-dropped", "dropped-502-429"],
)
def test_a_retried_create_makes_one_task_every_time(
    client: Client, proxy: FaultyProxy, served_api: str, faults: list[str]
) -> None:
    for number in range(3):
        proxy.faults = list(faults)
        task = client.create_task({**HANDLER_TASK, "name": f"job-{number}"})
        assert isinstance(task, TaskView) and task.name == f"job-{number}"
        assert not proxy.faults  # every fault was met, and retried past
    assert task_count(served_api) == 3


def test_a_create_model_is_sent_as_given(client: Client) -> None:
    from sundial_client import TaskCreate

    task = client.create_task(TaskCreate.model_validate({**HANDLER_TASK, "name": "typed"}))
    assert (task.name, task.retry.max_attempts) == ("typed", 3)


def test_a_trigger_whose_answer_is_lost_is_not_sent_again(
    client: Client, proxy: FaultyProxy
) -> None:
    task = client.create_task(HANDLER_TASK)
    proxy.seen.clear()
    proxy.faults = [HANDLED_THEN_DROPPED]
    with pytest.raises(Unreachable, match="lost the connection"):
        client.trigger_task(task.id)
    assert len(proxy.seen) == 1


def test_a_trigger_refused_with_429_is_sent_again(client: Client, proxy: FaultyProxy) -> None:
    task = client.create_task(HANDLER_TASK)
    proxy.faults = [REFUSE_429]
    assert client.trigger_task(task.id).execution_id


def test_a_delete_whose_answer_was_lost_has_deleted_the_task(
    client: Client, proxy: FaultyProxy
) -> None:
    task = client.create_task(HANDLER_TASK)
    proxy.faults = [HANDLED_THEN_DROPPED]
    client.delete_task(task.id)  # the retry finds it gone: that is what was asked
    with pytest.raises(NotFound):
        client.delete_task(task.id)


def test_the_wait_before_a_retry_honours_retry_after(proxy: FaultyProxy) -> None:
    policy = RecordedWaits()
    client = Client(proxy.url, KEYS["acme"], retry=policy)
    proxy.faults = [REFUSE_429]
    client.list_tasks_page()
    assert len(policy.waits) == 1  # type: ignore[attr-defined]
    proxy.faults = [FAIL_503, FAIL_503]
    client.list_tasks_page()
    first, second = policy.waits[1:]  # type: ignore[attr-defined]
    assert 0 <= first <= policy.base_seconds and 0 <= second <= 2 * policy.base_seconds


def test_a_failure_that_outlasts_the_retries_is_raised(client: Client, proxy: FaultyProxy) -> None:
    proxy.faults = [FAIL_503] * client.retry.attempts
    with pytest.raises(ServerError) as raised:
        client.list_tasks_page()
    assert raised.value.status == 503 and raised.value.code == "http_503"
    assert len(proxy.seen) == client.retry.attempts


def test_a_refused_request_carries_the_api_code_and_field(client: Client) -> None:
    body = {**HANDLER_TASK, "retry": {"max_attempts": 1000}}
    with pytest.raises(BadRequest) as raised:
        client.create_task(body)
    error = raised.value
    assert (error.status, error.code) == (400, "validation_error")
    assert error.field == "retry.max_attempts"
    assert "between 1 and 100" in error.message


def test_an_api_that_is_not_there_is_unreachable_after_the_retries() -> None:
    client = Client(f"http://127.0.0.1:{free_port()}/v1", "k")
    with pytest.raises(Unreachable, match="cannot reach the Sundial API"):
        client.list_tasks_page()


def test_list_routes_are_iterators_over_every_page(client: Client, proxy: FaultyProxy) -> None:
    for number in range(5):
        client.create_task({**HANDLER_TASK, "name": f"paged-{number}"})
    proxy.seen.clear()
    names = [task.name for task in client.list_tasks(page_size=2)]
    assert sorted(names) == [f"paged-{n}" for n in range(5)]
    assert len(proxy.seen) == 3  # pages of 2, 2 and 1
    tasks = client.list_tasks(page_size=2)
    next(tasks)
    assert len(proxy.seen) == 4  # a caller that stops early fetches no more pages


def test_every_route_answers_its_model(client: Client) -> None:
    task = client.create_task({**HANDLER_TASK, "name": "every-route"})
    assert client.get_task(task.id).id == task.id
    updated = client.update_task(task.id, {"description": "edited"}, if_match=task.version)
    assert (updated.description, updated.version) == ("edited", task.version + 1)
    assert client.pause_task(task.id).state == "paused"
    assert client.resume_task(task.id).state == "active"
    assert client.trigger_task(task.id).execution_id
    assert client.backfill_task(task.id, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z").fires >= 0
    assert isinstance(list(client.list_runs(task.id)), list)
    assert isinstance(list(client.list_dead_letters()), list)
    assert client.redrive_dead_letters().redriven == 0
    preview = client.preview("0 0 * * *", timezone="Europe/Berlin", count=2)
    assert len(preview.fire_times) == 2 and preview.description
    client.delete_task(task.id, if_match=updated.version + 2)
