"""`make soak`: the chaos soak at full size; figures go to benchmarks/results.json["soak"].

Usage: python benchmarks/soak.py [--fires 10000] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "soak"))

from chaos import run_soak  # noqa: E402
from results import merge_results  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fires", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result = run_soak(args.fires, seed=args.seed)
    merge_results({"soak": result.figures(), "soak_detail": result.as_dict()})
    print(json.dumps(result.as_dict(), indent=2))
    return 0 if result.lost == 0 and result.duplicates == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
