"""infra/smoke.py, the post-deploy smoke test, run as docs/deploy.md runs it after a deploy,
here against `sundial local`. A six-field schedule makes the task fire within seconds;
the script itself is what a deployed stack gets."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

SMOKE = Path(__file__).resolve().parents[2] / "infra" / "smoke.py"
EVERY_TWO_SECONDS = "*/2 * * * * *"


def smoke(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNDIAL_")}
    return subprocess.run(
        [sys.executable, str(SMOKE), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def created_task_id(output: str) -> str:
    found = re.search(r"created task (\S+)", output)
    assert found, output
    return found.group(1)


def test_the_smoke_test_passes_and_deletes_its_task(stack):
    alpha = stack.client("alpha")
    result = smoke("--url", stack.base, "--key", alpha.key, "--schedule", EVERY_TWO_SECONDS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "a request without a key is refused (401)" in result.stdout
    assert re.search(r"run \S+ succeeded", result.stdout), result.stdout
    assert alpha.call("GET", f"/tasks/{created_task_id(result.stdout)}").status == 404


def test_the_smoke_test_fails_when_the_run_fails(stack, receiver):
    path = f"/smoke-{uuid.uuid4().hex}"
    receiver.statuses[path] = 404  # a permanent failure: the run ends failed at once
    alpha = stack.client("alpha")
    result = smoke(
        "--url", stack.base, "--key", alpha.key, "--schedule", EVERY_TWO_SECONDS,
        "--target-url", receiver.url(path),
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the run ended failed" in result.stderr
    assert alpha.call("GET", f"/tasks/{created_task_id(result.stdout)}").status == 404


def test_the_smoke_test_fails_on_a_key_the_api_refuses(stack):
    result = smoke("--url", stack.base, "--key", "sdl_not-a-key", "--timeout", "5")
    assert result.returncode == 1
    assert "POST /tasks: expected 201, got 401" in result.stderr


def test_the_smoke_test_fails_when_nothing_answers():
    result = smoke("--url", "http://127.0.0.1:9/v1", "--key", "sdl_any")
    assert result.returncode == 1
    assert "GET http://127.0.0.1:9/v1/tasks" in result.stderr


def test_the_smoke_test_needs_a_url_and_a_key():
    assert smoke("--key", "sdl_any").returncode == 2
