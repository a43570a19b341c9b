"""The AWS emulator: a moto server process on a loopback port (`motoserver.py`), holding
the template's tables and queues, with this process's environment pointed at it.

Clients reach it through the standard `AWS_ENDPOINT_URL` variable, the mechanism
`sam local` users point at a local endpoint, so the functions run unchanged.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import boto3

from sundial import clients
from sundial.settings import reset_settings
from sundial.store import unbind_tables
from sundial_local.motoserver import READY_PREFIX, RESTORE_PATH
from sundial_local.runtime import LocalFunction
from sundial_local.template import (
    DEFAULT_REGION,
    Template,
    create_queues,
    create_tables,
    function_environment,
    functions,
)

log = logging.getLogger(__name__)

# How long a stopping server may take before it is killed.
STOP_SECONDS = 10

# moto accepts any credentials; these only keep botocore from looking for real ones.
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": DEFAULT_REGION,
    "AWS_REGION": DEFAULT_REGION,
}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class Emulator:
    """Starts moto, creates the template's resources, and exports the functions' environment.

    `overrides` are environment variables applied after the template's (local tick and
    horizon, loopback targets, ...). With a `state_file`, the server keeps its state
    there (see `durable.py`): `start` restores it into the new tables and queues.
    """

    host: str = "127.0.0.1"
    port: int = 0
    parameters: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, str] = field(default_factory=dict)
    state_file: str | None = None
    restored: dict[str, int] = field(default_factory=dict)
    endpoint: str = ""
    tables: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)
    template: Template | None = None
    services: dict[str, str] = field(default_factory=dict)  # logical id -> service name
    _server: subprocess.Popen[str] | None = None

    def start(self) -> None:
        port = self._start_server()
        self.endpoint = f"http://{self.host}:{port}"
        os.environ.update(LOCAL_CREDENTIALS)
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS"):
            os.environ.pop(name, None)

        self.template = Template.load(parameters=self.parameters)
        self.tables = create_tables(self.client("dynamodb"), template=self.template)
        self.queues = create_queues(self.client("sqs"), template=self.template)
        if self.state_file:
            request = urllib.request.Request(f"{self.endpoint}{RESTORE_PATH}", method="POST")
            try:
                with urllib.request.urlopen(request) as answer:
                    self.restored = json.loads(answer.read())
            except urllib.error.HTTPError as error:
                problem = json.loads(error.read() or b"{}").get("error", error.reason)
                raise RuntimeError(f"cannot restore {self.state_file}: {problem}") from None

        environment: dict[str, str] = {}
        for logical_id in functions(self.template):
            own = function_environment(self.template, logical_id, skip=frozenset(self.overrides))
            # One process, one environment: the last function's service name wins there,
            # so each function's is kept here for its log lines.
            self.services[logical_id] = own.get("POWERTOOLS_SERVICE_NAME", logical_id)
            environment.update(own)
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
        return LocalFunction(
            name=str(name),
            handler=handler,
            timeout_seconds=float(timeout),
            service=self.services.get(logical_id, logical_id),
        )

    def _start_server(self) -> int:
        """Start the server process; the port it listens on once it is ready."""
        command = [sys.executable, "-m", "sundial_local.motoserver", "--host", self.host]
        command += ["--port", str(self.port), "--parent-pid", str(os.getpid())]
        if self.state_file:
            command += ["--state-file", os.path.abspath(self.state_file)]
        self._server = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self._server.stdout is not None and self._server.stderr is not None
        first = self._server.stdout.readline()  # printed once it listens
        if not first.startswith(READY_PREFIX):
            self._server.kill()
            problem = self._server.stderr.read().strip().splitlines()
            raise RuntimeError(
                f"the emulator did not start: {problem[-1] if problem else 'no output'}"
            )
        # Its later output (moto's warnings) must not fill a pipe nobody reads.
        for stream in (self._server.stdout, self._server.stderr):
            threading.Thread(target=_drain, args=(stream,), daemon=True).start()
        return int(first[len(READY_PREFIX) :])

    def stop(self) -> None:
        if self._server is not None:
            self._server.terminate()
            try:
                self._server.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self._server.kill()
                self._server.wait()
            self._server = None


def _drain(stream: Any) -> None:
    for line in stream:
        log.debug("emulator: %s", line.rstrip())
