"""Fixtures for the template checks: the SAM-transformed template, resolved offline, and
the SAM CLI (installed by `make sam-cli` in its own virtualenv, as its exact pins of
boto3 and click would otherwise dictate the project's)."""

from __future__ import annotations

import copy
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from sundial_local.template import Template, default_template_path, parameter_values

REPO = default_template_path().parent
# The code location is a local folder until `sam build`; the translator wants S3.
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
            for name in ("Arn", "QueueName", "QueueUrl", "TopicName", "RootResourceId")
        }
        template.register(logical_id, logical_id, attributes)
    return template


def sam_cli() -> Path | None:
    """The `sam` executable: $SAM_CLI, the Makefile's tool virtualenv, this virtualenv, PATH."""
    candidates = [
        os.environ.get("SAM_CLI"),
        str(REPO / ".venv" / "sam-cli" / "bin" / "sam"),
        str(Path(sys.executable).parent / "sam"),
        shutil.which("sam"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def sam() -> Path:
    found = sam_cli()
    if found is None:
        message = "the SAM CLI is not installed: run `make sam-cli` (or set SAM_CLI)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def sam_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"AWS_DEFAULT_REGION": "us-east-1", "SAM_CLI_TELEMETRY": "0"})
    # Nothing here may reach an AWS account.
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    return env
