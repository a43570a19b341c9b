"""Exit codes a script can branch on, and errors as one line on stderr:
0 success, 1 failed, 2 usage, 3 refused by the API, 4 API unreachable.

The HTTP layer is replaced by what urllib raises for each failure (sockets are disabled
here); tests/integration/cli produces the same failures with a real server.
"""

from __future__ import annotations

import io
import json
import shlex
import urllib.error
import urllib.request
from email.message import Message
from typing import Any

import pytest
from cli_runner import cli_runner
from sundial_cli import cli
from sundial_client import RetryPolicy


@pytest.fixture(autouse=True)
def _retries_without_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Failures are retried as in use, without the waits between attempts."""
    monkeypatch.setattr(RetryPolicy, "wait", lambda self, seconds: None)


def failing_with(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """Every request fails with `error` (an HTTP error's body can be read on every retry)."""
    body = error.read() if isinstance(error, urllib.error.HTTPError) else b""

    def open_(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(error, urllib.error.HTTPError):
            raise http_error(error.code, body)
        raise error

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", open_)


def http_error(status: int, body: bytes) -> urllib.error.HTTPError:
    return urllib.error.HTTPError("http://x/v1/tasks", status, "", Message(), io.BytesIO(body))


def run(command: str, env: dict[str, str] | None = None):
    """`sundial <command>`, split as a shell would split it."""
    return cli_runner(env).invoke(cli, shlex.split(command), catch_exceptions=False)


def envelope(code: str, message: str, field: str | None) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "field": field}}).encode()


def test_an_api_error_exits_3_with_code_field_and_message_on_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = envelope(
        "validation_error", "retry.max_attempts must be between 1 and 100", "retry.max_attempts"
    )
    failing_with(monkeypatch, http_error(400, body))
    result = run("--key k tasks get 01J --json")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == (
        "error: validation_error (retry.max_attempts): "
        "retry.max_attempts must be between 1 and 100\n"
    )


def test_an_error_without_a_field_leaves_the_parentheses_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failing_with(monkeypatch, http_error(404, envelope("not_found", "No task 01J.", None)))
    assert run("--key k tasks get 01J").stderr == "error: not_found: No task 01J.\n"


def test_unauthorized_without_a_key_says_how_to_give_one(monkeypatch: pytest.MonkeyPatch) -> None:
    failing_with(monkeypatch, http_error(401, envelope("unauthorized", "Unauthorized.", None)))
    result = run("tasks list", env={"SUNDIAL_API_KEY": ""})
    assert result.exit_code == 3
    assert result.stderr.startswith("error: unauthorized: Unauthorized.")
    assert "SUNDIAL_API_KEY" in result.stderr


def test_a_reply_that_is_not_the_envelope_still_exits_3_on_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failing_with(monkeypatch, http_error(502, b"<html>\n<body>Bad Gateway</body>\n</html>"))
    result = run("--key k tasks list")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: http_502: unexpected response from ")
    assert "<body>Bad Gateway</body>" in result.stderr and result.stderr.count("\n") == 1


def test_a_server_that_is_not_the_api_is_named_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    class HtmlPage(io.BytesIO):
        status = 200
        headers = Message()

    def open_(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        return HtmlPage(b"<html>a web shop</html>")

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", open_)
    result = run("--url https://shop.example.com --key k tasks list")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: http_200: https://shop.example.com/tasks did not")
    assert "/v1" in result.stderr


@pytest.mark.parametrize(
    "error",
    [
        urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")),
        urllib.error.URLError(TimeoutError("timed out")),
        TimeoutError("timed out"),
        ConnectionResetError(104, "Connection reset by peer"),
    ],
)
def test_no_answer_from_the_api_exits_4(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    failing_with(monkeypatch, error)
    result = run("--url http://127.0.0.1:9/v1 dead-letters list")
    assert result.exit_code == 4
    assert result.stderr.startswith("error: ")
    assert "127.0.0.1:9/v1" in result.stderr and result.stderr.count("\n") == 1


def test_the_url_and_key_come_from_the_environment_and_flags_win(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[Any] = []

    def open_(self: Any, request: urllib.request.Request, *args: Any, **kwargs: Any) -> Any:
        seen.append((request.full_url, request.get_header("Authorization")))
        raise http_error(404, envelope("not_found", "gone", None))

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", open_)
    env = {"SUNDIAL_URL": "https://api.example.com/v1/", "SUNDIAL_API_KEY": "from-env"}
    # Task ids in full: the CLI sends them as they are (a name would be looked up first).
    a, b, c = (f"01JD7X3V9Q2W8N4M6K5T1R0P9{letter}" for letter in "ABC")
    run(f"tasks get {a}", env=env)
    run(f"--key from-root tasks get {b}", env=env)
    run(f"tasks get {c} --url http://127.0.0.1:8080/v1 --key from-leaf", env=env)
    assert seen == [
        (f"https://api.example.com/v1/tasks/{a}", "Bearer from-env"),
        (f"https://api.example.com/v1/tasks/{b}", "Bearer from-root"),
        (f"http://127.0.0.1:8080/v1/tasks/{c}", "Bearer from-leaf"),
    ]


def test_a_url_that_is_not_http_is_a_usage_error_only_for_commands_that_use_it() -> None:
    assert run("--url localhost:8080 tasks list").exit_code == 2
    assert run("--url localhost:8080 preview @daily").exit_code == 0


def test_keys_without_a_table_fail_with_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEYS_TABLE", raising=False)
    result = run("keys list")
    assert result.exit_code == 1
    assert result.stderr == "error: no keys table: pass --table or --stack, or set KEYS_TABLE\n"


def test_local_refuses_a_horizon_not_longer_than_the_tick_before_starting() -> None:
    result = run("local --tick 10 --horizon 10")
    assert result.exit_code == 2
    assert "--horizon" in result.stderr


def test_local_refuses_malformed_fixed_keys_before_starting() -> None:
    result = run("local", env={"SUNDIAL_LOCAL_API_KEYS": "tenant-without-key"})
    assert result.exit_code == 1
    assert result.stderr.startswith("error: SUNDIAL_LOCAL_API_KEYS entry")


def test_help_lists_every_command_group() -> None:
    out = run("--help").stdout
    for command in (
        "tasks",
        "apply",
        "export",
        "preview",
        "dead-letters",
        "keys",
        "import",
        "import-crontab",
        "local",
    ):
        assert command in out
    assert "eventbridge" in run("import --help").stdout
    tasks = run("tasks --help").stdout
    for command in (
        "create",
        "list",
        "get",
        "update",
        "delete",
        "pause",
        "resume",
        "trigger",
        "runs",
        "backfill",
    ):
        assert command in tasks
