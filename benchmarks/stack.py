"""Benchmarks against the local stack (`sundial local`, started as a user starts it):
lateness of fires at an HTTP target, and schemathesis fuzzing of the API.

Lateness = when the target received the request - the fire's scheduled time
(X-Sundial-Scheduled-Time, whole seconds), both on this machine's clock. The executor's
wait for each fire time (paid Lambda time) comes from its debug log lines
(`fire_time_wait_ms`, and `batch_lead_ms`: how long before the fire time its batch began),
the stack's functions logging at DEBUG for the run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

from sundial_local.emulator import free_port
from sundial_local.gateway import BurstTolerantHTTPServer

KEY = "bench-key-0123456789abcdef"
TENANT = "bench"
STARTUP_SECONDS = 120


@contextmanager
def local_stack(*extra: str, output: list[str] | None = None) -> Iterator[str]:
    """`sundial local` in a subprocess with a fixed key; yields the API's base URL.
    `output`, when given, collects the stack's output lines."""
    port = free_port()
    env = {**os.environ, "SUNDIAL_LOCAL_API_KEYS": f"{TENANT}={KEY}", "PYTHONUNBUFFERED": "1"}
    for name in [n for n in env if n.startswith("AWS_")]:
        env.pop(name)
    command = [sys.executable, "-m", "sundial_cli", "local", "--port", str(port), *extra]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    ready = threading.Event()
    output = [] if output is None else output

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if "Press Ctrl-C to stop." in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not ready.wait(STARTUP_SECONDS):
            raise RuntimeError("sundial local did not start:\n" + "".join(output))
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()


def call(base: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {KEY}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


class Receiver:
    """The HTTP target: the receive time and scheduled time of every request."""

    def __init__(self) -> None:
        self.lateness_ms: list[float] = []
        self.kinds: list[str] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received = time.time()
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                scheduled = datetime.fromisoformat(
                    self.headers["X-Sundial-Scheduled-Time"].replace("Z", "+00:00")
                ).timestamp()
                with outer.lock:
                    outer.lateness_ms.append((received - scheduled) * 1000)
                    outer.kinds.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = BurstTolerantHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def lateness(
    fires_wanted: int = 2400,
    minutes: float = 4.0,
    one_time_share: float = 0.1,
    send_lead_ms: int | None = None,
) -> dict[str, Any]:
    """A steady mix of 6-field second crons and one-time `at()` tasks on the local stack
    (its default tick and horizon; its own send lead unless `send_lead_ms`), measured at
    the receiver."""
    receiver = Receiver()
    load_before = os.getloadavg()
    seconds = minutes * 60
    one_time = int(fires_wanted * one_time_share)
    per_second_tasks = max(1, round((fires_wanted - one_time) / seconds))
    output: list[str] = []
    lead = [] if send_lead_ms is None else ["--send-lead-ms", str(send_lead_ms)]
    with local_stack(
        "--function-log-level", "DEBUG", "--log-format", "json", *lead, output=output
    ) as base:
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=20)
        end = start + timedelta(seconds=seconds)
        for n in range(per_second_tasks):
            status, body = call(base, "POST", "/tasks", {
                "schedule": "* * * * * *",
                "timezone": "UTC",
                "start_at": start.isoformat(),
                "end_at": end.isoformat(),
                "target": {"type": "http", "url": receiver.url("/cron")},
                "payload": {"n": n},
            })  # fmt: skip
            assert status == 201, body
        for n in range(one_time):
            at = start + timedelta(seconds=5 + (n * (seconds - 10)) / max(1, one_time))
            status, body = call(base, "POST", "/tasks", {
                "schedule": f"at({at.replace(microsecond=0, tzinfo=None).isoformat()})",
                "timezone": "UTC",
                "target": {"type": "http", "url": receiver.url("/once")},
            })  # fmt: skip
            assert status == 201, body
        # start_at and end_at are both inclusive: a per-second task fires seconds + 1 times.
        expected = per_second_tasks * (int(seconds) + 1) + one_time
        deadline = time.time() + seconds + 120
        while time.time() < deadline and len(receiver.lateness_ms) < expected:
            time.sleep(1)
        values = list(receiver.lateness_ms)
    receiver.server.shutdown()
    waits = logged_values(output, "fire_time_wait_ms")
    leads = logged_values(output, "batch_lead_ms")
    if not waits or not leads:
        # The cost model prices the executor's wait from these: never publish without.
        raise RuntimeError("no executor line logged fire_time_wait_ms and batch_lead_ms")
    return {
        "p50": round(percentile(values, 50), 1),
        "p95": round(percentile(values, 95), 1),
        "p99": round(percentile(values, 99), 1),
        "max": round(max(values), 1) if values else None,
        "fires": len(values),
        "expected_fires": expected,
        "per_second_tasks": per_second_tasks,
        "one_time_tasks": one_time,
        "minutes": minutes,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "samples_ms": [round(v, 1) for v in values],
        "executor_wait_ms": {
            "p50": round(percentile(waits, 50), 1),
            "mean": round(sum(waits) / len(waits), 1) if waits else None,
            "p99": round(percentile(waits, 99), 1),
            "max": max(waits) if waits else None,
            "runs": len(waits),
            # How long before each fire time its batch began (negative: after), at
            # every percentile 0..100: the cost model bills a batch for the longer of
            # this and its work up to its claims.
            "batch_lead_percentiles": [round(percentile(leads, q), 1) for q in range(101)]
            if leads
            else None,
        },
    }


def logged_values(lines: list[str], field: str) -> list[float]:
    """`field` of every executor log line that has one."""
    values: list[float] = []
    for line in lines:
        if field not in line:
            continue
        try:
            values.append(float(json.loads(line)[field]))
        except (ValueError, KeyError, TypeError):
            continue  # not one of the executor's JSON lines
    return values


def fuzz_api(requests_wanted: int = 1000) -> dict[str, Any]:
    """schemathesis against /v1/openapi.json with a valid key: every generated request
    must get no 5xx, and every error must be the API's error envelope
    {"error": {"code", "message", "field"}}."""
    import schemathesis
    from hypothesis import HealthCheck, given, seed, settings

    failures: list[dict[str, Any]] = []
    sent = 0
    statuses: dict[str, int] = {}
    with local_stack() as base:
        schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
        schema.config.update(base_url=base)
        operations = [result.ok() for result in schema.get_all_operations()]
        per_operation = max(10, -(-requests_wanted // len(operations)))
        rounds = 0
        # Operations with few distinct inputs run out of examples early: more rounds,
        # each with its own seed, until enough requests went out.
        while sent < requests_wanted and rounds < 10:
            rounds += 1
            for operation in operations:

                @seed(rounds)
                @settings(
                    max_examples=per_operation,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=operation.as_strategy())
                def check(case: Any) -> None:
                    nonlocal sent
                    response = case.call(
                        base_url=base, headers={"Authorization": f"Bearer {KEY}"}, timeout=30
                    )
                    sent += 1
                    code = str(response.status_code)
                    statuses[code] = statuses.get(code, 0) + 1
                    problem = envelope_problem(response)
                    if problem:
                        failures.append({
                            "operation": f"{case.method} {case.path}",
                            "status": response.status_code,
                            "problem": problem,
                            "body": response.text[:300],
                            "request": {"path": case.formatted_path, "query": case.query,
                                        "body": repr(case.body)[:300]},
                        })  # fmt: skip

                check()
    return {
        "requests": sent,
        "operations": len(operations),
        "server_errors": sum(1 for f in failures if f["status"] >= 500),
        "envelope_violations": sum(1 for f in failures if f["status"] < 500),
        "statuses": dict(sorted(statuses.items())),
        "failures": failures[:50],
    }


def envelope_problem(response: Any) -> str | None:
    if response.status_code >= 500:
        return "5xx"
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return "error body is not JSON"
    if not isinstance(body, dict) or set(body) != {"error"}:
        return "error body is not {'error': ...}"
    error = body["error"]
    if not isinstance(error, dict) or set(error) != {"code", "message", "field"}:
        return "error is not {code, message, field}"
    if not isinstance(error["code"], str) or not isinstance(error["message"], str):
        return "code and message must be strings"
    return None


class CountingReceiver:
    """The HTTP target of the load step: deliveries per execution id, and lateness."""

    def __init__(self) -> None:
        self.deliveries: dict[str, int] = {}
        self.lateness_ms: dict[str, list[float]] = {}  # by path (the phase)
        self.last_received = 0.0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received = time.time()
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                scheduled = datetime.fromisoformat(
                    self.headers["X-Sundial-Scheduled-Time"].replace("Z", "+00:00")
                ).timestamp()
                execution = self.headers["X-Sundial-Execution-Id"]
                with outer.lock:
                    outer.deliveries[execution] = outer.deliveries.get(execution, 0) + 1
                    late = outer.lateness_ms.setdefault(self.path, [])
                    late.append((received - scheduled) * 1000)
                    outer.last_received = received
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = BurstTolerantHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"


def local_load(
    rate: int = 30, minutes: float = 5.0, overload_minutes: float = 1.0
) -> dict[str, Any]:
    """`rate` per-second tasks for `minutes` (the sustained load), then as many again
    for `overload_minutes` (twice the load), on the local stack as a user starts it.
    Every execution id must reach the target exactly once; the figures say how late the
    fires of each phase were and how long after the overload ended the last one came."""
    receiver = CountingReceiver()
    load_before = os.getloadavg()
    sustained = int(minutes * 60)
    overload = int(overload_minutes * 60)
    with local_stack() as base:
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=20)
        overload_start = start + timedelta(seconds=sustained)
        end = overload_start + timedelta(seconds=overload)
        phases = {
            "/sustained": (start, overload_start - timedelta(seconds=1)),
            "/overload": (overload_start, end),
        }
        for path, (first, last) in phases.items():
            tasks = rate if path == "/sustained" else 2 * rate
            for n in range(tasks):
                status, body = call(base, "POST", "/tasks", {
                    "schedule": "* * * * * *",
                    "timezone": "UTC",
                    "start_at": first.isoformat(),
                    "end_at": last.isoformat(),
                    "target": {"type": "http", "url": receiver.url(path)},
                    # Late fires are still owed: nothing may be merged away.
                    "misfire": {"policy": "fire_all", "grace_seconds": 3600},
                    "payload": {"n": n},
                })  # fmt: skip
                assert status == 201, body
        # start_at and end_at are both inclusive.
        expected = rate * sustained + 2 * rate * (overload + 1)
        deadline = end.timestamp() + 600
        while time.time() < deadline and len(receiver.deliveries) < expected:
            time.sleep(1)
        time.sleep(15)  # anything doubled late shows up too
    receiver.server.shutdown()
    with receiver.lock:
        counts = list(receiver.deliveries.values())
        late = {path: list(values) for path, values in receiver.lateness_ms.items()}

    def phase(path: str) -> dict[str, Any]:
        values = late.get(path, [])
        return {
            "fires_per_second": rate if path == "/sustained" else 2 * rate,
            "p50_ms": round(percentile(values, 50), 1),
            "p99_ms": round(percentile(values, 99), 1),
            "max_ms": round(max(values), 1) if values else None,
            "deliveries": len(values),
        }

    return {
        "rate": rate,
        "sustained_minutes": minutes,
        "overload_minutes": overload_minutes,
        "expected_fires": expected,
        "delivered_fires": len(counts),
        "lost": expected - len(counts),
        "doubled": sum(1 for n in counts if n > 1),
        "sustained": phase("/sustained"),
        "overload": phase("/overload"),
        # How long after the last overloaded second its last fire arrived.
        "caught_up_after_s": round(receiver.last_received - end.timestamp(), 1),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
    }
