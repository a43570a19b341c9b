"""The `sundial` command. Subcommands arrive with the local stack and API issues."""

from __future__ import annotations

import argparse
import json
import sys

from sundial.core.errors import ScheduleError
from sundial.core.preview import preview


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sundial", description="Sundial task scheduler")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("preview", help="print the next fire times of a schedule")
    p.add_argument("schedule")
    p.add_argument("--timezone", default="UTC")
    p.add_argument("--count", type=int, default=5)
    p.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "preview":
        try:
            times = preview(args.schedule, args.timezone, count=args.count)
        except ScheduleError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps([t.isoformat() for t in times]))
        else:
            for t in times:
                print(t.isoformat())
    return 0


if __name__ == "__main__":
    sys.exit(main())
