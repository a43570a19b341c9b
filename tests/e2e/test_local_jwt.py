"""`sundial local --auth jwt` over HTTP: the stack is its own OIDC issuer, `sundial local
token` mints tokens it accepts, each token sees its own tenant's tasks only, and a bad
token is the usual 401 envelope."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from e2e_harness import Client, start_local
from sundial_local.emulator import free_port
from sundial_local.jwt_issuer import KEY_ENV, LocalIssuer


@dataclass
class JwtStack:
    base: str
    state_file: Path
    process: subprocess.Popen
    output: list[str] = field(default_factory=list)

    @property
    def printed_key_file(self) -> str:
        match = re.search(rf"export {KEY_ENV}=(\S+)", "".join(self.output))
        assert match, "".join(self.output)
        return match[1]


def cli_env() -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name in list(env):
        if name.startswith("AWS_") or name in ("SUNDIAL_LOCAL_API_KEYS", KEY_ENV):
            env.pop(name)
    return env


def start(port: int, state_file: Path) -> JwtStack:
    output: list[str] = []
    args = ["--auth", "jwt", "--port", str(port), "--state-file", str(state_file)]
    process = start_local(args, {}, output, leave_out=("SUNDIAL_LOCAL_API_KEYS", KEY_ENV))
    return JwtStack(f"http://127.0.0.1:{port}/v1", state_file, process, output)


def stop(running: JwtStack) -> None:
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(60) == 0, "".join(running.output)


@pytest.fixture(scope="module")
def jwt_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JwtStack]:
    running = start(free_port(), tmp_path_factory.mktemp("jwt") / "state.json")
    yield running
    stop(running)


def mint(tenant: str, *args: str, env: dict[str, str] | None = None) -> str:
    command = [sys.executable, "-m", "sundial_cli", "local", "token", "--tenant", tenant, *args]
    done = subprocess.run(command, env=env or cli_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_token_of_one_tenant_never_sees_another_tenants_task(jwt_stack: JwtStack) -> None:
    alpha = Client(jwt_stack.base, mint("alpha", "--state-file", str(jwt_stack.state_file)))
    beta = Client(jwt_stack.base, mint("beta", "--state-file", str(jwt_stack.state_file)))
    created = alpha.call(
        "POST",
        "/tasks",
        {
            "name": "jwt-nightly",
            "schedule": "0 0 3 * * *",
            "target": {"type": "handler", "name": "echo"},
        },
    )
    assert created.status == 201, created.body

    assert alpha.call("GET", f"/tasks/{created.body['id']}").status == 200
    assert beta.call("GET", f"/tasks/{created.body['id']}").status == 404
    assert beta.call("GET", "/tasks").body["tasks"] == []
    assert [t["id"] for t in alpha.call("GET", "/tasks").body["tasks"]] == [created.body["id"]]


def test_the_printed_key_file_mints_tokens_as_a_curl_user_would(jwt_stack: JwtStack) -> None:
    token = mint("gamma", env={**cli_env(), KEY_ENV: jwt_stack.printed_key_file})
    request = urllib.request.Request(
        jwt_stack.base + "/tasks", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert reply.status == 200
        assert json.loads(reply.read()) == {"tasks": [], "next_token": None}


def test_the_signing_key_is_kept_beside_the_state_file_for_its_owner_only(
    jwt_stack: JwtStack,
) -> None:
    key_file = Path(jwt_stack.printed_key_file)
    assert key_file == Path(f"{jwt_stack.state_file}.jwt.pem")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not.a.jwt",
        "Bearer expired",
        "Bearer other-key",
        "",
    ],
)
def test_a_bad_token_is_401_in_the_error_envelope(jwt_stack: JwtStack, header: str) -> None:
    kept = LocalIssuer.load(Path(jwt_stack.printed_key_file))
    if header == "Bearer expired":
        header = f"Bearer {kept.mint('alpha', now=0)}"
    elif header == "Bearer other-key":
        header = f"Bearer {LocalIssuer.generate(kept.issuer, kept.audience).mint('alpha')}"
    response = Client(jwt_stack.base, None).call(
        "GET", "/tasks", headers={"Authorization": header} if header else None
    )

    assert response.status == 401
    assert response.body["error"]["code"] == "unauthorized"
    assert "Bearer <JWT>" in response.body["error"]["message"]


def test_the_issuer_documents_are_served(jwt_stack: JwtStack) -> None:
    root = jwt_stack.base.removesuffix("/v1")
    with urllib.request.urlopen(root + "/.well-known/openid-configuration", timeout=30) as r:
        discovery = json.loads(r.read())
    assert discovery["issuer"] == root
    with urllib.request.urlopen(discovery["jwks_uri"], timeout=30) as r:
        assert [key["alg"] for key in json.loads(r.read())["keys"]] == ["RS256"]


def test_a_token_minted_before_a_restart_with_the_state_file_still_works(
    tmp_path: Path,
) -> None:
    port, state_file = free_port(), tmp_path / "state.json"
    first = start(port, state_file)
    try:
        token = mint("delta", "--state-file", str(state_file))
        created = Client(first.base, token).call(
            "POST",
            "/tasks",
            {"schedule": "0 0 1 1 *", "target": {"type": "handler", "name": "echo"}},
        )
        assert created.status == 201, created.body
    finally:
        stop(first)

    second = start(port, state_file)
    try:
        listed = Client(second.base, token).call("GET", "/tasks")
        assert [t["id"] for t in listed.body["tasks"]] == [created.body["id"]]
    finally:
        stop(second)
