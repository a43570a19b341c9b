"""The embedded AWS emulator: a moto server on a loopback port, holding the template's
tables and queues, with this process's environment pointed at it.

Clients reach it through the standard `AWS_ENDPOINT_URL` variable, the mechanism
`sam local` users point at a local endpoint, so the functions run unchanged.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import ThreadedMotoServer

from sundial import clients
from sundial.local.runtime import LocalFunction
from sundial.local.template import (
    DEFAULT_REGION,
    Template,
    create_queues,
    create_tables,
    function_environment,
    functions,
)
from sundial.settings import reset_settings
from sundial.store import unbind_tables

log = logging.getLogger(__name__)

# moto accepts any credentials; these only keep botocore from looking for real ones.
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": DEFAULT_REGION,
    "AWS_REGION": DEFAULT_REGION,
}


_DYNAMODB_LOCK = threading.Lock()
_serialized = False


def _serialize_dynamodb_requests() -> None:
    """Apply each DynamoDB request atomically, as DynamoDB applies each write.

    moto checks a write's condition and then writes without a lock, so two requests on
    the same item from two threads (a claim and a release, a commit and an API update)
    could interleave and leave a half-written item that DynamoDB never would. Only
    DynamoDB is serialized: SQS long polls would otherwise hold the lock for seconds.
    """
    global _serialized
    if _serialized:
        return
    original = DomainDispatcherApplication.__call__

    def call(
        self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any
    ) -> Any:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with _DYNAMODB_LOCK:
                return original(self, environ, start_response)
        return original(self, environ, start_response)

    DomainDispatcherApplication.__call__ = call  # type: ignore[method-assign]
    _serialized = True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class Emulator:
    """Starts moto, creates the template's resources, and exports the functions' environment.

    `overrides` are environment variables applied after the template's (local tick and
    horizon, loopback targets, ...).
    """

    host: str = "127.0.0.1"
    port: int = 0
    parameters: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, str] = field(default_factory=dict)
    endpoint: str = ""
    tables: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)
    template: Template | None = None
    _server: ThreadedMotoServer | None = None

    def start(self) -> None:
        # moto's HTTP server logs every request at INFO; the stack has its own logging.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        port = self.port or free_port(self.host)
        _serialize_dynamodb_requests()
        self._server = ThreadedMotoServer(ip_address=self.host, port=port, verbose=False)
        self._server.start()
        self.endpoint = f"http://{self.host}:{port}"
        os.environ.update(LOCAL_CREDENTIALS)
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS"):
            os.environ.pop(name, None)

        self.template = Template.load(parameters=self.parameters)
        self.tables = create_tables(self.client("dynamodb"), template=self.template)
        self.queues = create_queues(self.client("sqs"), template=self.template)

        environment: dict[str, str] = {}
        for logical_id in functions(self.template):
            environment.update(
                function_environment(self.template, logical_id, skip=frozenset(self.overrides))
            )
        environment.update(self.overrides)
        os.environ.update(environment)
        # Everything cached from an earlier environment starts afresh.
        reset_settings()
        clients.reset_clients()
        unbind_tables()

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=DEFAULT_REGION)

    def function(self, logical_id: str) -> LocalFunction:
        """A function of the template, its handler imported as Lambda would import it."""
        assert self.template is not None, "start() first"
        properties = functions(self.template)[logical_id]
        module_name, _, attribute = properties["Handler"].rpartition(".")
        handler = getattr(importlib.import_module(module_name), attribute)
        timeout = self.template.resolve(properties.get("Timeout", 3))
        name = self.template.resolve(properties.get("FunctionName", logical_id))
        return LocalFunction(name=str(name), handler=handler, timeout_seconds=float(timeout))

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
