"""What `sundial local` prints while it runs: nothing on a normal start at the default
settings (no warning, no metric document), and at INFO a line per event naming the
function that wrote it. The whole stack runs in this process, as the command runs it."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterator

import pytest
from sundial_local.stack import LOCAL_SEND_LEAD_MS, LocalConfig, LocalStack

from sundial import clients
from sundial.settings import reset_settings
from sundial.store import unbind_tables
from sundial.store.apikeys import unbind_keys_table

KEY = "sdl_local_output_key"


@pytest.fixture
def run_stack() -> Iterator[Callable[..., None]]:
    """`run_stack(**config)`: start a stack, create a task (an authorized request) and send
    a refused one, let it sweep twice, stop it."""
    saved = dict(os.environ)

    def run(**config: object) -> None:
        stack = LocalStack(
            LocalConfig(
                port=0, tick_seconds=0.2, horizon_seconds=2, api_keys={KEY: "local"}, **config
            )
        )
        unbind_keys_table()  # bound by an earlier test to its own emulator
        stack.start()
        try:
            task = {"schedule": "0 0 1 1 *", "target": {"type": "handler", "name": "echo"}}
            for key in (KEY, "sdl_unknown"):
                request = urllib.request.Request(
                    f"{stack.url}/tasks",
                    data=json.dumps(task).encode(),
                    headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                )
                try:
                    urllib.request.urlopen(request).close()
                except urllib.error.HTTPError as refused:
                    refused.close()
            assert stack._tick is not None
            while stack._tick.ticks < 2:
                time.sleep(0.05)
        finally:
            stack.stop()

    yield run
    os.environ.clear()
    os.environ.update(saved)
    reset_settings()
    clients.reset_clients()
    unbind_tables()
    unbind_keys_table()


def test_a_default_start_prints_no_warning_and_no_metric_document(run_stack, capsys) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_stack()
    printed = capsys.readouterr()
    # ResourceWarning aside: Python ignores it unless asked, so no user sees it.
    assert [str(w.message) for w in caught if w.category is not ResourceWarning] == []
    assert printed.out == ""
    assert printed.err == ""


def test_at_info_each_line_names_the_function_that_wrote_it(run_stack, capsys) -> None:
    run_stack(log_level="INFO")
    lines = capsys.readouterr().err.splitlines()
    sweeps = [line for line in lines if "sweep finished" in line]
    refusals = [line for line in lines if "authorization refused" in line]
    assert sweeps and all(line.split()[1:3] == ["dispatcher", "INFO"] for line in sweeps)
    assert refusals and all(line.split()[1:3] == ["authorizer", "INFO"] for line in refusals)
    assert not [line for line in lines if '"_aws"' in line or line.startswith("{")]


def test_with_metrics_the_functions_metrics_are_printed_as_emf_on_stdout(run_stack, capsys) -> None:
    run_stack(metrics=True)
    assert '"_aws"' in capsys.readouterr().out


def test_json_lines_are_each_a_json_object_naming_the_function(run_stack, capsys) -> None:
    run_stack(log_level="INFO", log_format="json")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    by_message = {(line["message"], line["function"], line["logger"]) for line in lines}
    assert ("sweep finished", "dispatcher", "sundial") in by_message
    assert ("authorization refused", "authorizer", "sundial") in by_message
    assert {line["function"] for line in lines} <= {
        "stack",
        "api",
        "authorizer",
        "dispatcher",
        "executor",
    }


def test_the_dispatcher_sends_with_the_stacks_lead(run_stack) -> None:
    from sundial.dispatch.settings import dispatcher_settings

    run_stack()
    reset_settings()
    assert dispatcher_settings().send_lead_ms == LOCAL_SEND_LEAD_MS
    run_stack(send_lead_ms=150)
    reset_settings()
    assert dispatcher_settings().send_lead_ms == 150
