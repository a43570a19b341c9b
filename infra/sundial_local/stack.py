"""`sundial local`: the whole scheduler on a laptop, no Docker and no AWS account.

The same Lambda handlers as deployed, wired by emulations of what AWS provides around
them: a moto server for DynamoDB and SQS (resources made from template.yaml), a tick
loop for the EventBridge rule, pollers for the SQS event source mapping, and an HTTP
server for API Gateway and its authorizer.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import secrets
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sundial import clients, store
from sundial.clients import EMULATOR_READ_TIMEOUT_ENV
from sundial_local.emulator import Emulator
from sundial_local.gateway import ApiGateway, GatewayConfig, GatewayServer
from sundial_local.jwt_issuer import (
    DISCOVERY_PATH,
    JWKS_PATH,
    LocalIssuer,
    ensure_local_issuer,
    key_file_for,
)
from sundial_local.keys import ensure_local_keys
from sundial_local.logs import InstalledLogging, LogFormat
from sundial_local.logs import install as install_logging
from sundial_local.poller import QueuePoller
from sundial_local.streams import StreamPoller, stream_mappings
from sundial_local.tick import TickLoop

log = logging.getLogger(__name__)

# Timed sends' lead on the local stack (`--send-lead-ms`): how long before its fire time
# each message becomes visible. Deployed, 100 ms (SendLeadMs) is paid Lambda time, and a
# batch's reads and claims take single-digit milliseconds each, in parallel. Here waiting
# costs nothing, while the emulator applies a table's writes one at a time: a second's
# claims queue there, and with 100 ms the last of a busy second's runs start late.
LOCAL_SEND_LEAD_MS = 300
# How long a stopping stack waits for executions in flight before giving up on them
# (they then return to the queue when their visibility timeout ends).
SHUTDOWN_GRACE_SECONDS = 30
# How long the functions wait for an answer from the emulator before retrying: longer
# than a burst's queue at the emulator takes to drain.
EMULATOR_READ_TIMEOUT_SECONDS = 60


def parse_api_keys(spec: str) -> dict[str, str]:
    """`SUNDIAL_LOCAL_API_KEYS="tenantA=keyA,tenantB=keyB"` as {key: tenant}."""
    keys: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        tenant, sep, key = part.partition("=")
        if not sep or not tenant.strip() or not key.strip():
            raise ValueError(f"SUNDIAL_LOCAL_API_KEYS entry {part!r} is not tenant=key")
        keys[key.strip()] = tenant.strip()
    return keys


# The AWS services the functions call through shared clients (sundial.clients).
FUNCTION_CLIENTS = ("sqs", "dynamodb", "lambda")


@dataclass
class LocalConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    tick_seconds: float = 10.0
    horizon_seconds: int = 15
    # Batches in flight at once. A batch holds its worker until its fires' second comes
    # (messages arrive up to a second early), so a second's fires spread over several
    # batches need a worker each to be picked up before that second.
    concurrency: int = 10
    state_file: str | None = None
    api_keys: dict[str, str] = field(default_factory=dict)  # key -> tenant
    log_level: str = "WARNING"
    # The functions' logs (POWERTOOLS_LOG_LEVEL); None: `log_level`.
    function_log_level: str | None = None
    log_format: LogFormat = "text"
    # Print the functions' metrics as the EMF documents CloudWatch would get, on stdout.
    metrics: bool = False
    # How API callers authenticate: API keys, or JWTs of the stack's own issuer.
    auth: Literal["api_key", "jwt"] = "api_key"
    # Timed sends' lead (SEND_LEAD_MS), see LOCAL_SEND_LEAD_MS.
    send_lead_ms: int = LOCAL_SEND_LEAD_MS


def send_wait_budget_ms(config: LocalConfig) -> int:
    """The most a local sweep waits for the phases of its timed sends."""
    return int((config.horizon_seconds - config.tick_seconds) * 1000 / 2)


@dataclass
class LocalStack:
    config: LocalConfig
    emulator: Emulator = field(init=False)
    stop_event: threading.Event = field(default_factory=threading.Event)
    # Set by a second signal: stop without waiting for executions in flight.
    hurry_event: threading.Event = field(default_factory=threading.Event)
    created_keys: dict[str, str] = field(default_factory=dict)  # key -> tenant
    # JWT mode: the stack's issuer, and the file holding its key (for `sundial local token`).
    issuer: LocalIssuer | None = None
    issuer_key_file: Path | None = None
    _own_key_file: bool = False
    _tick: TickLoop | None = None
    _poller: QueuePoller | None = None
    # The notifications: the deliverer's queue and the two tables' stream mappings.
    _deliveries: QueuePoller | None = None
    _streams: list[StreamPoller] = field(default_factory=list)
    _server: GatewayServer | None = None
    _logging: InstalledLogging | None = None
    _previous_handlers: dict[signal.Signals, Any] = field(default_factory=dict)

    def start(self) -> None:
        config = self.config
        function_log_level = (config.function_log_level or config.log_level).upper()
        self._logging = install_logging(config.log_level, config.log_format)
        # Listening first: in JWT mode the port is part of the issuer's URL, which the
        # authorizer's settings name.
        self._server = GatewayServer(None, config.host, config.port)
        # Custom handlers: deployed, the HandlerModules parameter; locally, the variable
        # it sets, taken from the environment `sundial local` starts in.
        parameters = {"HandlerModules": os.environ.get("HANDLER_MODULES", "")}
        if config.auth == "jwt":
            self.issuer = ensure_local_issuer(self._issuer_url(), config.state_file)
            parameters |= {
                "AuthMode": "JWT",
                "JwtIssuer": self.issuer.issuer,
                "JwtAudience": self.issuer.audience,
            }
            self._serve_issuer(self.issuer)
        self.emulator = Emulator(
            state_file=config.state_file,
            parameters=parameters,
            overrides={
                "HORIZON_SECONDS": str(config.horizon_seconds),
                # No lookahead past the horizon: the emulated queue stays as shallow as
                # the horizon keeps it (moto's SQS slows with every message it holds).
                "LOOKAHEAD_SECONDS": "0",
                # There is no Lambda service to self-invoke: the tick loop runs continuations.
                "CONTINUATION_MODE": "return",
                # The emulator applies a table's DynamoDB requests one at a time, and a
                # sweep's all go to the tasks table: sweeping shards in parallel gains
                # nothing here and would only queue the executor's task reads behind a
                # burst of sweep requests.
                "DISPATCH_THREADS": "2",
                # A sweep that waits for its sends' phases must still finish well before
                # the next tick's fires fall due: half the slack the horizon leaves.
                "SEND_WAIT_BUDGET_MS": str(send_wait_budget_ms(config)),
                "SEND_LEAD_MS": str(config.send_lead_ms),
                # A run stuck with its message gone (a state file from an older stack)
                # is re-driven within a couple of minutes, not a quarter of an hour.
                "RECONCILE_AFTER_SECONDS": "120",
                # The emulator queues what it cannot serve yet: wait for its answer rather
                # than retry into the queue (see sundial.clients).
                EMULATOR_READ_TIMEOUT_ENV: str(EMULATOR_READ_TIMEOUT_SECONDS),
                # Loopback targets (a webhook on this laptop) are allowed locally only.
                "ALLOW_LOOPBACK_TARGETS": "true",
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "false" if config.metrics else "true",
                "POWERTOOLS_LOG_LEVEL": function_log_level,
                # Deployed, a generated secret; locally, new each start (tokens are
                # short-lived; an old token after a restart is a clean 400).
                "PAGINATION_SECRET": secrets.token_urlsafe(32),
            },
        )
        self.emulator.start()
        self._logging.adopt_functions_logger(function_log_level)
        if config.state_file:
            log.info("restored %s from %s", self.emulator.restored, config.state_file)
            # The state file is this process's alone (the emulator locks it): a sweep
            # lease in it is a stopped process's, and the first tick need not wait it out.
            store.break_sweep_lease()
        if config.auth == "api_key":
            self.created_keys = ensure_local_keys(config.api_keys, config.state_file)

        sqs = self.emulator.client("sqs")
        self._poller = QueuePoller(
            sqs,
            self.emulator.queues["WorkQueue"],
            self.emulator.function("ExecutorFunction"),
            self.stop_event,
            concurrency=config.concurrency,
        )
        # Each poller its own client: one client's connection pool (10) is the work
        # queue's pollers' already.
        self._deliveries = QueuePoller(
            self.emulator.client("sqs"),
            self.emulator.queues["NotificationsQueue"],
            self.emulator.function("DelivererFunction"),
            self.stop_event,
            concurrency=2,
        )
        assert self.emulator.template is not None
        queue_arns = {
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]: url
            for url in self.emulator.queues.values()
        }
        self._streams = [
            StreamPoller(
                self.emulator.client("dynamodbstreams"),
                self.emulator.client("sqs"),
                mapping,
                self.emulator.function(mapping.function_id),
                self.stop_event,
                queue_urls=queue_arns,
            )
            for mapping in stream_mappings(self.emulator.template)
        ]
        self._tick = TickLoop(
            self.emulator.function("DispatcherFunction"), config.tick_seconds, self.stop_event
        )
        authorizer = (
            self.emulator.function("AuthorizerFunction")
            if os.environ.get("AUTH_MODE", "API_KEY").upper() in ("API_KEY", "JWT")
            else None
        )
        assert self.emulator.template is not None
        self._server.gateway = ApiGateway(
            self.emulator.function("ApiFunction"),
            authorizer,
            GatewayConfig.from_template(self.emulator.template),
        )
        # What is loaded by now (the functions, their libraries and AWS clients, the
        # template) lives as long as the stack: out of the collector's sight, a full
        # collection no longer walks it, which paused every function for a quarter of a
        # second at a time. The functions' clients are made first, to be among it.
        store.connect()
        for service in FUNCTION_CLIENTS:
            clients.client(service)
        gc.freeze()
        self._poller.start()
        self._deliveries.start()
        for stream in self._streams:
            stream.start()
        self._tick.start()
        self._server.start()

    def _issuer_url(self) -> str:
        """The local issuer: this server, reached on loopback (the authorizer fetches its
        keys over plain HTTP, which it allows on loopback only)."""
        assert self._server is not None
        host = self.config.host
        if host not in ("127.0.0.1", "localhost", "0.0.0.0"):
            raise RuntimeError("--auth jwt needs --host 127.0.0.1, localhost or 0.0.0.0")
        return f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{self._server.port}"

    def _serve_issuer(self, issuer: LocalIssuer) -> None:
        """Its discovery document and keys on the server, and its key in a file that
        `sundial local token` reads: beside the state file, else a temporary one."""
        assert self._server is not None
        self._server.documents[DISCOVERY_PATH] = json.dumps(issuer.discovery()).encode()
        self._server.documents[JWKS_PATH] = json.dumps(issuer.jwks()).encode()
        if self.config.state_file:
            self.issuer_key_file = key_file_for(self.config.state_file)
        else:
            descriptor, name = tempfile.mkstemp(prefix="sundial-local-", suffix=".jwt.pem")
            os.close(descriptor)
            self.issuer_key_file, self._own_key_file = Path(name), True
            issuer.save(self.issuer_key_file)

    @property
    def url(self) -> str:
        port = self._server.port if self._server else self.config.port
        return f"http://{self.config.host}:{port}/v1"

    def wait(self) -> None:
        """Block until SIGINT or SIGTERM (or `stop_event` is set by someone else).

        The handlers stay until `stop` ends: a second signal while stopping (Ctrl-C
        twice) stops waiting for executions in flight instead of killing the process
        mid-stop. Either way the state is consistent: the emulator writes every change
        through before answering, and an abandoned execution's message comes back when
        its visibility timeout ends, as it would after a crash.
        """

        def request_stop(signum: int, _frame: Any) -> None:
            if self.stop_event.is_set():
                self.hurry_event.set()
            self.stop_event.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous_handlers[sig] = signal.signal(sig, request_stop)
        while not self.stop_event.wait(0.5):
            pass

    def stop(self) -> None:
        """Stop taking work, let executions in flight finish, stop the emulator."""
        self.stop_event.set()
        try:
            if self._server is not None:
                self._server.stop()
            deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
            for worker in (self._tick, self._poller, self._deliveries, *self._streams):
                while worker is not None and worker.is_alive() and not self.hurry_event.is_set():
                    worker.join(min(0.2, max(0.0, deadline - time.monotonic())))
                    if time.monotonic() >= deadline:
                        break
            # Nothing to save: with a state file, the emulator wrote every change through.
            self.emulator.stop()
        finally:
            if self._own_key_file and self.issuer_key_file is not None:
                self.issuer_key_file.unlink(missing_ok=True)
            if self._logging is not None:
                self._logging.restore()
                self._logging = None
            for sig, handler in self._previous_handlers.items():
                signal.signal(sig, handler)
            self._previous_handlers.clear()
