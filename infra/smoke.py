"""The post-deploy smoke test: a deployed Sundial (or `sundial local`) fires a task.

    python infra/smoke.py --url "$API_URL" --key "$KEY"

Checks that a request without a key is refused with 401 in the API's error format, then
creates a task (the built-in `echo` handler, or `--target-url` for an HTTP endpoint) that
fires within a minute, waits for its first run to succeed, and deletes the task. The
task ends (`end_at`) shortly after the wait, so one left behind by an interrupted run
stops firing on its own. Standard library only: it runs wherever Python 3.11 does,
with nothing to install.

Exit code: 0 when the run succeeded, 1 when any step failed (the reason on stderr),
2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

POLL_SECONDS = 5
REQUEST_SECONDS = 30
# How long after the wait the smoke task stops firing, should deleting it fail.
END_MARGIN_SECONDS = 120
# A run in one of these is over; `running` and `retrying` are not yet.
FINAL_RUN_STATUSES = ("succeeded", "failed", "skipped")


class SmokeFailure(Exception):
    """A step of the smoke test did not go as it should."""


class Api:
    def __init__(self, url: str, key: str | None):
        self.url = url.rstrip("/")
        self.key = key

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if self.key:
            request.add_header("Authorization", f"Bearer {self.key}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_SECONDS) as reply:
                status, raw = reply.status, reply.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        except OSError as error:  # refused, unresolved, timed out
            raise SmokeFailure(f"{method} {self.url + path}: {error}") from error
        text = raw.decode("utf-8", "replace")
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    def expect(self, status: int, method: str, path: str, body: Any = None) -> Any:
        got, answer = self.call(method, path, body)
        if got != status:
            raise SmokeFailure(f"{method} {path}: expected {status}, got {got}: {answer}")
        return answer


def task_body(name: str, schedule: str, target_url: str | None, end_at: datetime) -> dict[str, Any]:
    target: dict[str, Any] = (
        {"type": "http", "url": target_url, "method": "POST"}
        if target_url
        else {"type": "handler", "name": "echo"}
    )
    return {
        "name": name,
        "schedule": schedule,
        "timezone": "UTC",
        "target": target,
        "payload": {"smoke": name},
        "end_at": end_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def first_final_run(api: Api, task_id: str, deadline: float) -> dict[str, Any]:
    """The task's first run to finish, waited for until `deadline` (time.monotonic)."""
    while True:
        runs = api.expect(200, "GET", f"/tasks/{task_id}/runs")["runs"]
        final = [run for run in runs if run["status"] in FINAL_RUN_STATUSES]
        if final:
            return dict(final[-1])  # newest first: the last is the first
        if time.monotonic() >= deadline:
            seen = [run["status"] for run in runs] or "none"
            raise SmokeFailure(f"no run finished in time (runs seen: {seen})")
        time.sleep(POLL_SECONDS)


def smoke(
    url: str,
    key: str,
    *,
    schedule: str,
    target_url: str | None,
    timeout_seconds: float,
    say: Callable[[str], None],
) -> None:
    """Raises SmokeFailure on the first step that fails; the task is deleted either way."""
    status, answer = Api(url, None).call("GET", "/tasks")
    if status != 401 or not isinstance(answer, dict) or "error" not in answer:
        raise SmokeFailure(f"GET /tasks without a key: expected 401, got {status}: {answer}")
    say("a request without a key is refused (401)")

    api = Api(url, key)
    name = f"smoke-{int(time.time())}"
    end_at = datetime.now(UTC) + timedelta(seconds=timeout_seconds + END_MARGIN_SECONDS)
    task = api.expect(201, "POST", "/tasks", task_body(name, schedule, target_url, end_at))
    say(f"created task {task['id']} ({name}, {schedule})")
    try:
        run = first_final_run(api, task["id"], time.monotonic() + timeout_seconds)
        if run["status"] != "succeeded":
            raise SmokeFailure(f"the run ended {run['status']}: {run.get('error')}")
        say(f"run {run['execution_id']} succeeded, {run.get('lateness_ms')} ms late")
    finally:
        api.expect(204, "DELETE", f"/tasks/{task['id']}")
        say(f"deleted task {task['id']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("SUNDIAL_URL"),
        help="the API's base URL with its stage, e.g. the stack's ApiUrl (default: $SUNDIAL_URL)",
    )
    parser.add_argument(
        "--key",
        default=os.environ.get("SUNDIAL_API_KEY"),
        help="an API key (default: $SUNDIAL_API_KEY)",
    )
    parser.add_argument(
        "--schedule",
        default="rate(1 minute)",
        help="the smoke task's schedule (default: rate(1 minute))",
    )
    parser.add_argument(
        "--target-url", help="call this HTTP endpoint instead of the built-in echo handler"
    )
    parser.add_argument(
        "--timeout", type=float, default=180, help="seconds to wait for the run (default: 180)"
    )
    args = parser.parse_args(argv)
    if not args.url or not args.key:
        parser.error("--url and --key (or SUNDIAL_URL and SUNDIAL_API_KEY) are required")

    def say(line: str) -> None:
        print(f"smoke: {line}", flush=True)

    try:
        smoke(
            args.url,
            args.key,
            schedule=args.schedule,
            target_url=args.target_url,
            timeout_seconds=args.timeout,
            say=say,
        )
    except SmokeFailure as failure:
        print(f"smoke: FAILED: {failure}", file=sys.stderr)
        return 1
    say("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
