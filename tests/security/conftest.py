"""The security matrix runs the real API handler, authorizer and executor against moto,
with the fixtures of tests/integration (loaded from their files, not copied) and a
capture of every log line at DEBUG, so tests can search everything Sundial logged.

`api_in_every_mode` is parametrized over the three auth modes: API_KEY (the tenant the
authorizer puts in the request context), IAM (the caller's principal) and JWT (a token
minted for the tenant by an issuer, verified by the real authorizer handler, whose
context then reaches the API function as API Gateway would pass it)."""

from __future__ import annotations

import importlib.util
import io
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sundial_local.jwt_issuer import LocalIssuer

from sundial.settings import reset_settings

TESTS = Path(__file__).resolve().parents[1]
for helper_dir in (TESTS / "integration" / "api", TESTS / "integration" / "execute"):
    if str(helper_dir) not in sys.path:
        sys.path.insert(0, str(helper_dir))

from api_client import Api  # noqa: E402 (found through the path above)
from security_helpers import JWT_ISSUER, JwtApi  # noqa: E402


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_integration = _load("sundial_tests_integration_conftest", TESTS / "integration" / "conftest.py")
_api = _load("sundial_tests_api_conftest", TESTS / "integration" / "api" / "conftest.py")

aws_env = _integration.aws_env
serialized_requests = _integration.serialized_requests
tables = _integration.tables
queues = _integration.queues
make_task = _integration.make_task
dead_letter = _integration.dead_letter
api_env = _api.api_env
api = _api.api
iam_api = _api.iam_api
work_queue = _api.work_queue

AUTH_MODES = ("API_KEY", "IAM", "JWT")


@pytest.fixture(scope="session")
def jwt_issuer() -> LocalIssuer:
    return LocalIssuer.generate(JWT_ISSUER, audience="sundial-tests")


@pytest.fixture
def jwt_api(
    api_env: dict[str, str], jwt_issuer: LocalIssuer, monkeypatch: pytest.MonkeyPatch
) -> JwtApi:
    """JWT mode; the issuer's discovery document and keys served without a network."""
    from sundial.api import jwks

    documents = {
        jwks.discovery_url(JWT_ISSUER): jwt_issuer.discovery(),
        jwt_issuer.discovery()["jwks_uri"]: jwt_issuer.jwks(),
    }
    monkeypatch.setattr(jwks, "fetch_json", lambda url: documents[url])
    monkeypatch.setenv("AUTH_MODE", "JWT")
    monkeypatch.setenv("JWT_ISSUER", JWT_ISSUER)
    monkeypatch.setenv("JWT_AUDIENCE", jwt_issuer.audience)
    reset_settings()
    return JwtApi(jwt_issuer)


@pytest.fixture(params=AUTH_MODES)
def api_in_every_mode(request: pytest.FixtureRequest, api_env: dict[str, str]) -> Api:
    if request.param == "IAM":
        return request.getfixturevalue("iam_api")  # type: ignore[no-any-return]
    if request.param == "JWT":
        return request.getfixturevalue("jwt_api")  # type: ignore[no-any-return]
    return Api()


class LogCapture:
    """Every record logged through Python logging (Powertools' Logger included), formatted
    the way its handler prints it, at DEBUG level: what would reach CloudWatch."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.stream = io.StringIO()
        self.capsys = capsys
        self.printed = ""

    def text(self) -> str:
        """All log records so far, plus whatever was printed (Powertools prints JSON)."""
        captured = self.capsys.readouterr()
        self.printed += captured.out + captured.err
        return self.stream.getvalue() + self.printed


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str]) -> Iterator[LogCapture]:
    from sundial.observability import logger

    capture = LogCapture(capsys)
    # Sundial's own logger at DEBUG; everything else (root) at INFO, what a Lambda could
    # be configured to ship. botocore's DEBUG wire log is left out on purpose: it prints
    # every request body (items included) and is never enabled in a deployment.
    handler = logging.StreamHandler(capture.stream)
    handler.setFormatter(logger.registered_formatter)  # Powertools JSON, `extra` included
    targets = [(logging.getLogger(), logging.INFO), (logging.getLogger(logger.name), logging.DEBUG)]
    levels = [target.level for target, _ in targets]
    for target, level in targets:
        target.addHandler(handler)
        target.setLevel(level)
    try:
        yield capture
    finally:
        for (target, _), level in zip(targets, levels, strict=True):
            target.removeHandler(handler)
            target.setLevel(level)
