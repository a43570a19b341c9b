"""`tasks runs --follow`: runs are printed once each, as they finish, oldest first; the
tail waits between polls through an injected sleep (no clock in these tests)."""

from __future__ import annotations

from typing import Any

from sundial_cli import follow

TASK = "01JD7X3V9Q2W8N4M6K5T1R0P9S"


def run(fire_ms: int, status: str, attempt: int = 1) -> dict[str, Any]:
    return {"execution_id": f"{TASK}:{fire_ms}", "status": status, "attempt": attempt}


def tail(pages: list[list[dict[str, Any]]], seen: list[dict[str, Any]], **kwargs: Any) -> Any:
    waits: list[float] = []
    shown: list[dict[str, Any]] = []
    answers = iter(pages)
    follow.follow(
        lambda: next(answers),
        shown.append,
        seen=seen,
        poller=follow.Poller(sleep=waits.append, max_polls=len(pages)),
        **kwargs,
    )
    return shown, waits


def test_follow_prints_each_run_once_when_it_finishes_oldest_first() -> None:
    first = run(1000, "succeeded")
    pages = [
        [run(3000, "running"), run(2000, "succeeded"), first],
        [run(3000, "retrying"), run(2000, "succeeded"), first],
        [run(3000, "succeeded", attempt=2), run(2000, "succeeded"), first],
    ]
    shown, waits = tail(pages, seen=[first])
    assert [(r["execution_id"][-4:], r["status"]) for r in shown] == [
        ("2000", "succeeded"),
        ("3000", "retrying"),
        ("3000", "succeeded"),
    ]
    assert waits == [follow.INTERVAL_SECONDS] * 3


def test_follow_prints_only_the_runs_the_filter_keeps() -> None:
    pages = [[run(3000, "failed"), run(2000, "succeeded")]]
    shown, _ = tail(pages, seen=[], keep=lambda r: r["status"] == "failed")
    assert [r["status"] for r in shown] == ["failed"]
