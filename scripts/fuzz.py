"""Fuzz the assistant through its REST and socket.io channels (issue 6).

    .venv/bin/python scripts/fuzz.py --messages 10000 --out results/fuzz

Starts its own action server and Rasa server (SQLite back end, generous rate
limits) unless ``--url`` names running ones; sends the fuzz messages inside real
conversations; writes ``summary.json``, ``messages.jsonl`` and
``failing-inputs.jsonl`` to ``--out``; prints a summary; exits 1 on any failure.
The harness is ``ops/fuzz.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ops import fuzz  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--messages",
        type=int,
        default=10_000,
        help="fuzz messages to send (valid answers come on top)",
    )
    parser.add_argument("--out", type=Path, default=Path("results/fuzz"))
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--timeout", type=float, default=120, help="seconds to wait for an answer"
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        help="stop sending after this long (the run then fails "
        "with the count it reached)",
    )
    parser.add_argument(
        "--only",
        help="comma-separated categories (default: all: "
        + ", ".join(fuzz.WEIGHTS)
        + ")",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the servers started (repeatable)",
    )
    parser.add_argument("--url", help="attach to a running Rasa server instead")
    parser.add_argument(
        "--tracker-db", type=Path, help="with --url: its SQLite tracker store"
    )
    parser.add_argument(
        "--database-url", help="with --url: its application database (DATABASE_URL)"
    )
    parser.add_argument(
        "--log",
        type=Path,
        action="append",
        default=[],
        help="with --url: a server log to scan (repeatable)",
    )
    args = parser.parse_args(argv)

    app_env = None
    if args.database_url:
        import os

        app_env = {**os.environ, "DATABASE_URL": args.database_url}
    weights = None
    if args.only:
        wanted = args.only.split(",")
        unknown = set(wanted) - set(fuzz.WEIGHTS)
        if unknown:
            parser.error(f"unknown categories: {sorted(unknown)}")
        weights = {c: fuzz.WEIGHTS[c] for c in wanted}
    server_env = dict(item.split("=", 1) for item in args.env)
    report = fuzz.run(
        args.messages,
        args.out,
        seed=args.seed,
        url=args.url,
        tracker_db=args.tracker_db,
        app_env=app_env,
        logs=args.log or None,
        concurrency=args.concurrency,
        timeout=args.timeout,
        max_seconds=args.max_seconds,
        weights=weights,
        server_env=server_env,
    )
    summary = json.loads((args.out / "summary.json").read_text())
    print(fuzz.describe(summary))
    return 0 if not report.failures() else 1


if __name__ == "__main__":
    sys.exit(main())
