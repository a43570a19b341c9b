"""Fixtures for the template checks: the SAM-transformed template, resolved offline, the
SAM CLI (installed by `make sam-cli` in its own virtualenv, as its exact pins of boto3 and
click would otherwise dictate the project's), and the emulator the sample events of
infra/events/ are sent against."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sundial_local.emulator import Emulator
from sundial_local.template import Template, default_template_path, parameter_values

from sundial import clients
from sundial.settings import reset_settings
from sundial.store import unbind_tables
from sundial.store.apikeys import unbind_keys_table

from .artifacts import REPO, Build, find_sam, host_architecture, sam_build, template_for

# The event documents `sam local invoke -e` takes (docs/deploy.md), sent by the tests too.
EVENTS = REPO / "infra" / "events"
ENV_JSON = json.loads((REPO / "infra" / "env.json").read_text())
# env.json's endpoint, as the Lambda container sees the host running the emulator.
DOCUMENTED_ENDPOINT = ENV_JSON["Parameters"]["AWS_ENDPOINT_URL"]
# Code and layer locations are local folders until `sam build`; the translator wants S3.
PLACEHOLDER_CODE_URI = "s3://sundial-placeholder/code.zip"


class NoManagedPolicies:
    """The translator asks IAM for AWS managed policy ARNs only when a function's
    Policies name one; Sundial's functions only have inline statements."""

    def load(self) -> dict[str, str]:
        return {}


def transform(parameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """template.yaml as CloudFormation sees it after the SAM transform (no AWS calls)."""
    from samtranslator.translator.transform import transform as sam_transform
    from samtranslator.yaml_helper import yaml_parse

    body = yaml_parse(default_template_path().read_text(encoding="utf-8"))
    for resource in body["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = PLACEHOLDER_CODE_URI
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = PLACEHOLDER_CODE_URI
    # The translator reads the region from boto3's environment; nothing is called.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return sam_transform(body, dict(parameters or {}), NoManagedPolicies())


_TRANSFORMED: dict[str, Any] = {}


@pytest.fixture(scope="session")
def transformed() -> dict[str, Any]:
    if not _TRANSFORMED:
        _TRANSFORMED.update(transform())
    return copy.deepcopy(_TRANSFORMED)


def resolver(body: dict[str, Any], parameters: Mapping[str, Any] | None = None) -> Template:
    """A resolver of `body`'s intrinsics: every resource's Ref is its logical id and every
    attribute `<id>.<attribute>`, so resolved values still say what they point at."""
    template = Template(body, parameter_values(body, parameters or {}))
    for logical_id in body["Resources"]:
        attributes = {
            name: f"{logical_id}.{name}"
            for name in ("Arn", "QueueName", "QueueUrl", "TopicName", "RootResourceId", "StreamArn")
        }
        template.register(logical_id, logical_id, attributes)
    return template


@pytest.fixture(scope="session")
def sam() -> Path:
    found = find_sam()
    if found is None:
        message = "the SAM CLI is not installed: run `make sam-cli` (or set SAM_CLI)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def arm64_build(sam: Path, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """`sam build` of template.yaml as it stands: what `sam deploy` uploads (arm64)."""
    root = tmp_path_factory.mktemp("sam-build-arm64")
    return sam_build(sam, REPO / "template.yaml", root / "build", root / "cache")


@pytest.fixture(scope="session")
def host_build(sam: Path, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The same build for this machine's architecture, so that its compiled dependencies
    (pydantic-core) load here: a copy of the template with only the architecture changed."""
    root = tmp_path_factory.mktemp("sam-build-host")
    template = template_for(host_architecture(), root / "template")
    return sam_build(sam, template, root / "build", root / "cache")


def sample_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


@dataclass
class Context:
    """What the handlers read of Lambda's context object."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = "sam-local-request"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    from moto.moto_api._internal import moto_api_backend

    saved = dict(os.environ)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    # moto server keeps its resources in process-wide backends: start from none.
    moto_api_backend.reset()
    started = Emulator(overrides={"POWERTOOLS_TRACE_DISABLED": "true"})
    started.start()
    try:
        yield started
    finally:
        started.stop()
        moto_api_backend.reset()
        os.environ.clear()
        os.environ.update(saved)
        forget_connections()


def env_json_values(emulator: Emulator, logical_id: str) -> dict[str, str]:
    """What `sam local invoke <logical_id> --env-vars env.json` sets, with the emulator
    where env.json expects it."""
    values = {**ENV_JSON["Parameters"], **ENV_JSON.get(logical_id, {})}
    return {k: v.replace(DOCUMENTED_ENDPOINT, emulator.endpoint) for k, v in values.items()}


def as_function(emulator: Emulator, logical_id: str) -> None:
    """This process's environment made the one `logical_id` gets under `sam local`."""
    os.environ.update(env_json_values(emulator, logical_id))
    forget_connections()


def forget_connections() -> None:
    """Settings, clients and PynamoDB connections are cached per process (as in a warm
    Lambda); a new environment needs them made afresh."""
    reset_settings()
    clients.reset_clients()
    unbind_tables()
    unbind_keys_table()
