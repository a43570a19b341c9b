"""Signing secrets are write-only: never in a response (create, GET, list, PATCH, pause,
resume, errors) and never in a log line (create, update, and runs of the HTTP target
that signs with it, succeeding and failing). Raw API keys never reach a log either.

Logs are captured at DEBUG through every logging handler and stdout (see conftest.py)
and searched as text, so a secret inside a structured field or a traceback counts.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from api_client import Api, FakeLambdaContext, load_event, task_body

from sundial import store
from sundial.api import auth, authorizer
from sundial.core.clock import now_ms
from sundial.execute.run import Executor
from sundial.settings import reset_settings
from sundial.store import apikeys
from sundial.targets import NetworkPolicy, TargetEnvironment
from sundial.targets.aws import aws_client
from sundial.workqueue.delivery import Delivery, WorkQueue
from sundial.workqueue.messages import FireMessage

# How often the test server checks for shutdown (the standard library's default, 0.5 s,
# is a teardown's wait when the test is done).
POLL_SECONDS = 0.05

SECRET = "whsec_" + "S3cr3tNeverShown" * 3
OTHER_SECRET = "whsec_" + "R0tatedSecretValue" * 3
METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123defg/v1/GET/tasks"


def leaks(text: str, *secrets: str) -> list[str]:
    """The secrets (or a long enough piece of one) found in `text`."""
    found = []
    for secret in secrets:
        pieces = {secret, secret[6:], json.dumps(secret)[1:-1]}
        if any(piece in text for piece in pieces):
            found.append(secret)
    return found


def response_text(response: Any) -> str:
    return json.dumps(response.raw, default=str)


class Hook:
    """A local webhook answering `status`; records the signature header it received."""

    def __init__(self) -> None:
        self.status = 200
        self.signatures: list[str] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hook.signatures.append(self.headers.get("X-Sundial-Signature") or "")
                body = b'{"echo":"nothing secret"}'
                self.send_response(hook.status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hook]:
    # The hook listens on loopback: allowed, as on the local stack, for the API's
    # create-time check as for the executor below.
    monkeypatch.setenv("ALLOW_LOOPBACK_TARGETS", "true")
    reset_settings()
    state = Hook()
    thread = threading.Thread(target=state.server.serve_forever, args=(POLL_SECONDS,), daemon=True)
    thread.start()
    yield state
    state.server.shutdown()
    state.server.server_close()


def run_once(task_id: str, tenant: str, queues: dict[str, str]) -> str:
    """One scheduled fire of the task through the real executor; its outcome."""
    import boto3

    item = store.get_task(tenant, task_id)
    now = now_ms()
    message = FireMessage(
        execution_id=f"{task_id}:{now}",
        task_id=task_id,
        tenant=tenant,
        fire_at=now,
        schedule_version=int(item.schedule_version),
    )
    queue = WorkQueue(
        boto3.client("sqs", region_name="us-east-1"),
        queues["WorkQueue"],
        queues["DeadLetterQueue"],
        requeue_after_receives=5,
    )
    executor = Executor(
        queue, TargetEnvironment(aws=aws_client, network=NetworkPolicy(allow_loopback=True))
    )
    delivery = Delivery("m-1", "receipt-1", message.to_json(), 1, now, now)
    return executor.process(delivery, time.monotonic() + 60).outcome


def http_task(url: str, secret: str = SECRET, **overrides: Any) -> dict[str, Any]:
    return task_body(
        target={"type": "http", "url": url, "signing_secret": secret},
        retry={"max_attempts": 2, "backoff_seconds": 1},
        **overrides,
    )


def test_a_signing_secret_is_in_no_response_of_any_route(api: Api, hook: Hook) -> None:
    created = api.call("POST", "/tasks", http_task(hook.url, name="signed"))
    assert created.status == 201
    task_id = created.body["id"]
    responses = [
        created,
        api.call("GET", f"/tasks/{task_id}"),
        api.call("GET", "/tasks"),
        api.call("GET", "/tasks?limit=1"),
        api.call("PATCH", f"/tasks/{task_id}", {"description": "edited"}),
        api.call("PATCH", f"/tasks/{task_id}", {"target": {"type": "http", "url": hook.url}}),
        api.call("POST", f"/tasks/{task_id}/pause"),
        api.call("POST", f"/tasks/{task_id}/resume"),
        api.call("POST", f"/tasks/{task_id}/trigger"),
        api.call("GET", f"/tasks/{task_id}/runs"),
        # Idempotent replay of the create: the stored response must not carry it either.
        api.call(
            "POST", "/tasks", http_task(hook.url, name="again"), headers={"Idempotency-Key": "k1"}
        ),
        api.call(
            "POST", "/tasks", http_task(hook.url, name="again"), headers={"Idempotency-Key": "k1"}
        ),
    ]
    rotated = api.call(
        "PATCH",
        f"/tasks/{task_id}",
        {"target": {"type": "http", "url": hook.url, "signing_secret": OTHER_SECRET}},
    )
    responses.append(rotated)

    assert all(r.status < 300 for r in responses), [(r.status, r.body) for r in responses]
    for response in responses:
        assert leaks(response_text(response), SECRET, OTHER_SECRET) == []
    # ... and it is still there, doing its job: stored, rotated by the PATCH.
    assert store.get_task("acme", task_id).target["signing_secret"] == OTHER_SECRET


@pytest.mark.parametrize(
    "body",
    [
        # Valid secret, something else wrong: the error names the field, not the secret.
        lambda url: http_task(url, schedule="61 * * * *"),
        lambda url: {**http_task(url), "unexpected": SECRET},
        # The secret itself is what is wrong.
        lambda url: http_task(url, secret=SECRET * 30),  # longer than allowed
        lambda url: http_task(url, secret=123),
        lambda url: {"target": {"type": "lambda", "signing_secret": SECRET}, "schedule": "@daily"},
        lambda url: http_task("not a url " + SECRET),
    ],
)
def test_a_refused_request_does_not_echo_the_secret(api: Api, hook: Hook, body: Any) -> None:
    response = api.call("POST", "/tasks", body(hook.url))
    assert 400 <= response.status < 500
    assert leaks(response_text(response), SECRET) == []


def test_a_signing_secret_is_never_logged_from_create_to_runs(
    api: Api, hook: Hook, logs: Any, queues: dict[str, str]
) -> None:
    created = api.call("POST", "/tasks", http_task(hook.url))
    task_id = created.body["id"]
    api.call("PATCH", f"/tasks/{task_id}", {"description": "x", "timeout_seconds": 5})
    api.call(
        "PATCH",
        f"/tasks/{task_id}",
        {"target": {"type": "http", "url": hook.url, "signing_secret": OTHER_SECRET}},
    )
    api.call("POST", "/tasks", {**http_task(hook.url), "schedule": "bad"})  # a logged 400
    outcomes = [run_once(task_id, "acme", queues)]
    hook.status = 500  # a failing run logs its error
    outcomes.append(run_once(task_id, "acme", queues))
    hook.status = 404  # a permanent failure: dead-lettered, logged as such
    outcomes.append(run_once(task_id, "acme", queues))

    assert outcomes == ["succeeded", "retrying", "failed"]
    assert all(s.startswith("t=") and ",v1=" in s for s in hook.signatures)  # signed it
    text = logs.text()
    assert "target failed" in text or "dead-lettered" in text  # the capture works
    assert leaks(text, SECRET, OTHER_SECRET) == []


def authorize(header: str) -> Any:
    event = load_event("authorizer-token.json")
    event["authorizationToken"] = header
    event["methodArn"] = METHOD_ARN
    try:
        return authorizer.handler(event, FakeLambdaContext(function_name="sundial-authorizer"))
    except auth.Unauthorized:
        return "Unauthorized"


def test_api_keys_are_never_logged_by_the_authorizer_or_the_api(
    api: Api, api_env: dict[str, str], logs: Any
) -> None:
    raw, key = apikeys.create_key("acme", description="ci")
    revoked_raw, revoked = apikeys.create_key("acme")
    apikeys.revoke_key(revoked.key_id)
    near_miss = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")

    answers = [
        authorize(f"Bearer {raw}"),
        authorize(f"bearer {raw}"),
        authorize(f"Bearer {revoked_raw}"),
        authorize(f"Bearer {near_miss}"),
        authorize(raw),  # no scheme
        authorize(f"Basic {raw}"),
        authorize(f"Bearer {raw} {raw}"),
    ]
    # What the API sees of a key: the authorizer's context (tenant, key id), and the
    # Authorization header API Gateway passes through.
    headers = {"Authorization": f"Bearer {raw}"}
    api.call("GET", "/tasks", headers=headers)
    api.call("POST", "/tasks", {"schedule": "bad"}, headers=headers)
    api.call("GET", "/tasks/01JD0000000000000000000000", headers=headers)

    assert answers[0] != "Unauthorized" and answers[2] == "Unauthorized"
    assert key.key_id in json.dumps(answers[0])
    assert leaks(logs.text(), raw, revoked_raw, near_miss) == []
