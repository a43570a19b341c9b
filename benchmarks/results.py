"""benchmarks/results.json: each benchmark merges its own keys, so they can run apart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"


def load_results() -> dict[str, Any]:
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else {}


def merge_results(figures: dict[str, Any]) -> dict[str, Any]:
    results = load_results()
    results.update(figures)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return results
