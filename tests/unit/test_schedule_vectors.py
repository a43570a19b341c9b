"""Published next-fire vectors of other cron implementations, run against `preview`.

Each file in tests/data/ with a top-level "cases" list holds the vectors ported from one
source (robfig/cron, cronsim, croniter, Spring's CronExpression). A case is

    {"schedule", "timezone", "after", "expected": [ISO times with offsets] | "error": true,
     "source": "repo/path#Test", "note"?}

`after` is ISO with an offset (an instant) or without one (wall time in `timezone`).
Where Sundial's schedule rules (docs/schedules.md "Schedules") deliberately differ from the source
(daylight saving, the Vixie day-of-month/day-of-week rule, whole-second intervals) the
expectation was re-derived from those rules and the case's note starts with "adjusted:"
and says why. A failing vector is a disagreement with those rules or with the published
behaviour they keep, never a reason to edit the vector to fit the engine.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sundial import ScheduleError, preview

DATA = Path(__file__).resolve().parent.parent / "data"
ERROR_COUNT = 5  # how many fires an error case asks for; any count must raise


def _load() -> list[tuple[str, dict]]:
    cases = []
    for path in sorted(DATA.glob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(payload, dict) or "cases" not in payload:
            continue  # another kind of fixture
        for index, case in enumerate(payload["cases"]):
            cases.append((f"{path.stem}[{index}]", case))
    return cases


CASES = _load()


def _case_id(name: str, case: dict) -> str:
    test = case["source"].rsplit("#", 1)[-1]
    return f"{name} {test} {case['schedule']!r} after {case['after']}"


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    "case", [case for _, case in CASES], ids=[_case_id(name, case) for name, case in CASES]
)
def test_published_vector(case: dict) -> None:
    schedule, timezone = case["schedule"], case["timezone"]
    after = _instant(case["after"])
    if case.get("error"):
        with pytest.raises(ScheduleError) as raised:
            preview(schedule, timezone, after=after, count=ERROR_COUNT)
        assert raised.value.code in ("invalid_schedule", "invalid_timezone")
        return

    expected = [_instant(text) for text in case["expected"]]
    got = preview(schedule, timezone, after=after, count=len(expected))

    assert all(fire.tzinfo is not None for fire in got), got
    # ISO strings carry the wall time and the offset, so equal strings mean the same
    # instants rendered with the same UTC offsets; they also make a readable diff.
    assert [fire.isoformat() for fire in got] == [fire.isoformat() for fire in expected]
    assert [fire.utcoffset() for fire in got] == [fire.utcoffset() for fire in expected]


# ----------------------------------------------------------------- the data itself


def test_there_are_vectors_from_several_sources() -> None:
    sources = {name.split("[")[0] for name, _ in CASES}
    assert len(sources) >= 2, sources
    assert sum(1 for _, case in CASES if not case.get("error")) >= 60


@pytest.mark.parametrize(
    "case", [case for _, case in CASES], ids=[_case_id(name, case) for name, case in CASES]
)
def test_vector_is_well_formed(case: dict) -> None:
    assert isinstance(case["schedule"], str)
    ZoneInfo(case["timezone"])
    _instant(case["after"])
    assert "#" in case["source"], "source names the test: repo/path#TestName"
    if case.get("error"):
        assert "expected" not in case
        return
    expected = [_instant(text) for text in case["expected"]]
    assert expected, "a vector expects at least one fire"
    assert all(fire.tzinfo is not None for fire in expected), "expected times carry offsets"
    zone = ZoneInfo(case["timezone"])
    for fire in expected:
        # Expected times are rendered in the schedule's own zone.
        assert fire.utcoffset() == fire.astimezone(zone).utcoffset(), fire
    assert expected == sorted(set(expected)), "fire times strictly increase"
    if "adjusted:" in case.get("note", ""):
        assert "Sundial" in case["note"], "an adjusted vector says which rule of Sundial's and why"
