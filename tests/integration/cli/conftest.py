"""The CLI against the real API: the API function and its authorizer served over HTTP by
the local stack's API Gateway emulation (`ApiGateway` + `GatewayServer`), with the tables
and queues of the template in moto, in this process.

`sundial` runs through click's test runner with `--url` pointing at that server, so every
request takes the path a deployed client's would: HTTP, authorizer, proxy event, handler.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from cli_harness import KEYS, Sundial, cli_runner
from sundial_client import RetryPolicy
from sundial_local.gateway import ApiGateway, GatewayConfig, GatewayServer
from sundial_local.runtime import LocalFunction
from sundial_local.template import Template

from sundial import clients
from sundial.api import authorizer
from sundial.api.handler import handler as api_handler
from sundial.core import handlers
from sundial.settings import reset_settings
from sundial.store import apikeys

REGION = "us-east-1"
# How often the server checks for shutdown: it is stopped at every test's teardown, which
# waited out serve_forever's default half-second poll.
POLL_SECONDS = 0.05


# Handler names the CLI tests give their tasks: the API refuses a handler target naming
# no registered handler, and here it runs in this process, so registering them here is
# what HANDLER_MODULES does for a deployment.
TEST_HANDLERS = ("h", "report", "run_command", "x", "adhoc", "sync")


@pytest.fixture(autouse=True)
def _test_handlers_registered() -> Iterator[None]:
    for name in TEST_HANDLERS:
        handlers.task(name)(_acknowledge)
    yield
    for name in TEST_HANDLERS:
        handlers.unregister(name)


def _acknowledge(payload: object, invocation: object) -> dict[str, bool]:
    return {"ok": True}


@pytest.fixture(autouse=True)
def _retries_without_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Failures are retried as in use, without the waits between attempts."""
    monkeypatch.setattr(RetryPolicy, "wait", lambda self, seconds: None)


@pytest.fixture
def served_api(
    queues: dict[str, str], tables: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The API on a loopback port; its base URL (…/v1)."""
    monkeypatch.setenv("KEYS_TABLE", tables["KeysTable"])
    monkeypatch.setenv("IDEMPOTENCY_TABLE", tables["IdempotencyTable"])
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "SundialTest")
    # The server runs in this process: metrics printed to stdout would land in the
    # CLI's captured stdout (the local stack disables them for the same reason).
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("AUTH_MODE", "API_KEY")
    for name in ("SUNDIAL_URL", "SUNDIAL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    reset_settings()
    clients.reset_clients()
    apikeys.bind_keys_table(tables["KeysTable"], region=REGION)
    for tenant, key in KEYS.items():
        apikeys.create_key(tenant, raw_key=key)
    gateway = ApiGateway(
        LocalFunction("sundial-api", api_handler, 29),
        LocalFunction("sundial-authorizer", authorizer.handler, 10),
        GatewayConfig.from_template(Template.load()),
    )
    server = GatewayServer(gateway, "127.0.0.1", 0)
    # Its own serving thread, but polling for shutdown every POLL_SECONDS.
    server.thread = threading.Thread(
        target=server.httpd.serve_forever, args=(POLL_SECONDS,), name="sundial-http", daemon=True
    )
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}/v1"
    finally:
        server.stop()
        apikeys.unbind_keys_table()
        clients.reset_clients()
        reset_settings()


@pytest.fixture
def sundial(served_api: str) -> Sundial:
    return Sundial(served_api, cli_runner())
