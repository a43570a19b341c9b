"""The local stack's log lines: one per event, naming the function that wrote it, even
when the four functions run interleaved in one process and share one Powertools Logger."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from aws_lambda_powertools import Logger
from sundial_local.logs import InvocationFormatter, LogFormat, current_function, run_as
from sundial_local.runtime import LocalContext

from sundial.core.threads import in_callers_context


def _logger(
    log_format: LogFormat = "text", *, tracebacks: bool = False
) -> tuple[Logger, io.StringIO]:
    """A Powertools Logger as the functions have one, rendered by the local formatter."""
    stream = io.StringIO()
    name = f"local-logs-{log_format}-{tracebacks}-{id(stream)}"
    logger = Logger(
        service=name,
        stream=stream,
        logger_formatter=InvocationFormatter(log_format, tracebacks=tracebacks),
        level="DEBUG",
    )
    return logger, stream


@pytest.fixture(autouse=True)
def _no_leftover_loggers() -> Iterator[None]:
    known = set(logging.Logger.manager.loggerDict)
    yield
    for name in set(logging.Logger.manager.loggerDict) - known:
        logging.Logger.manager.loggerDict.pop(name, None)


def _fail() -> None:
    raise ValueError("the target said no")


def test_a_text_event_is_one_line_with_time_function_level_message_and_keys() -> None:
    logger, stream = _logger()
    extra = {"execution_id": "t1:5", "attempt": 1}
    run_as("executor", lambda: logger.info("run succeeded", extra=extra))
    (line,) = stream.getvalue().splitlines()
    time, rest = line.split(" ", 1)
    assert len(time) == len("15:01:15.123") and time[2] == ":" and time[8] == "."
    assert rest == "executor   INFO    run succeeded  execution_id=t1:5 attempt=1"


def test_a_line_outside_any_invocation_is_the_stacks() -> None:
    logger, stream = _logger()
    logger.warning("polling failed")
    assert " stack      WARNING polling failed" in stream.getvalue()


def test_an_error_below_debug_ends_with_its_one_line_summary_and_no_traceback() -> None:
    logger, stream = _logger(tracebacks=False)

    def invocation() -> None:
        try:
            _fail()
        except ValueError:
            logger.exception("run failed unexpectedly", extra={"message_id": "m1"})

    run_as("executor", invocation)
    (line,) = stream.getvalue().splitlines()
    assert line.endswith("run failed unexpectedly  message_id=m1  ValueError: the target said no")
    assert "Traceback" not in stream.getvalue()


def test_a_message_with_line_breaks_stays_one_line() -> None:
    logger, stream = _logger()
    try:
        raise ValueError("no such\nthing")
    except ValueError:
        logger.exception("first\nsecond")
    (line,) = stream.getvalue().splitlines()
    assert line.endswith("first\\nsecond  ValueError: no such")


def test_an_error_at_debug_is_followed_by_its_traceback() -> None:
    logger, stream = _logger(tracebacks=True)
    try:
        _fail()
    except ValueError:
        logger.exception("run failed unexpectedly")
    first, *traceback = stream.getvalue().splitlines()
    assert first.endswith("run failed unexpectedly")
    assert traceback[0] == "Traceback (most recent call last):"
    assert traceback[-1] == "ValueError: the target said no"


def test_json_lines_are_one_json_object_each_naming_their_function() -> None:
    logger, stream = _logger("json")

    def invocation() -> None:
        logger.append_keys(sweep_id="s1")
        logger.info("sweep finished", extra={"fires_emitted": 3})
        try:
            _fail()
        except ValueError:
            logger.exception("shard sweep failed")

    run_as("dispatcher", invocation)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["function"] == first["service"] == "dispatcher"
    assert first["message"] == "sweep finished"
    assert (first["level"], first["sweep_id"], first["fires_emitted"]) == ("INFO", "s1", 3)
    assert second["exception"] == "ValueError: the target said no"
    assert "traceback" not in second


def test_interleaved_invocations_in_threads_each_carry_their_own_function_and_keys() -> None:
    """As the local stack runs them: the authorizer in the gateway's thread, the executor
    in a poller's, each clearing and setting the shared Logger's keys in turn."""
    logger, stream = _logger("json")
    both_set = threading.Barrier(2)

    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict[str, str], context: LocalContext) -> None:
        logger.append_keys(owner=event["name"])
        both_set.wait(5)  # the other invocation has now cleared and set its keys too
        logger.info("working")
        both_set.wait(5)
        logger.info("done")

    contexts = {name: LocalContext(f"sundial-{name}", 5) for name in ("authorizer", "executor")}
    threads = [
        threading.Thread(target=run_as, args=(name, handler, {"name": name}, contexts[name]))
        for name in ("authorizer", "executor")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 4
    for line in lines:
        assert line["owner"] == line["function"]
        assert line["function_name"] == f"sundial-{line['function']}"
        assert line["function_request_id"] == contexts[line["function"]].aws_request_id


def test_threads_an_invocation_starts_carry_its_function() -> None:
    def invocation() -> list[str]:
        with ThreadPoolExecutor(max_workers=2) as pool:
            return list(pool.map(in_callers_context(lambda _: current_function()), range(4)))

    assert run_as("dispatcher", invocation) == ["dispatcher"] * 4
