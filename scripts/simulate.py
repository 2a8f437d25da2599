#!/usr/bin/env python
"""Simulated patients: play complete screenings against the real servers.

Starts an action server and a Rasa server (``ops.stack``, SQLite in a temporary
folder, the trained model), plays every chosen case in every chosen answer style
through the REST channel (``ops.simulator``), writes ``report.json`` and prints a
table with PASS / FAIL per target. Exits 1 when a target fails, 2 when the servers
could not start.

    python scripts/simulate.py --cases all --out results/simulate
    python scripts/simulate.py --cases sample --styles terse,messy --concurrency 2
    python scripts/simulate.py --cases base,cp-class-B --styles chatty
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ops import simulator  # noqa: E402
from ops.sim_cases import all_cases  # noqa: E402
from ops.sim_phrases import STYLES  # noqa: E402


def choose(cases: str, styles: tuple[str, ...]) -> list:
    """The (case, style) pairs: ``all``, ``sample`` or case ids separated by commas."""
    if cases == "sample":
        return [(c, s) for c, s in simulator.sample_pairs() if s in styles]
    if cases == "all":
        return simulator.all_pairs(styles)
    by_id = {c.id: c for c in all_cases()}
    wanted = [name.strip() for name in cases.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in by_id]
    if unknown:
        raise SystemExit(
            f"unknown case ids: {', '.join(unknown)} "
            f"(known: {', '.join(sorted(by_id))})"
        )
    return [(by_id[name], style) for name in wanted for style in styles]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases",
        default="all",
        help="all | sample | comma-separated case ids (default: all)",
    )
    parser.add_argument(
        "--styles",
        default=",".join(STYLES),
        help=f"comma-separated answer styles (default: {','.join(STYLES)})",
    )
    parser.add_argument(
        "--out",
        default="results/simulate",
        type=Path,
        help="folder for report.json (default: results/simulate)",
    )
    parser.add_argument(
        "--concurrency",
        default=4,
        type=int,
        help="screenings played at once (default: 4)",
    )
    parser.add_argument(
        "--max-turns",
        default=simulator.MAX_TURNS,
        type=int,
        help=f"turn cap per screening (default: {simulator.MAX_TURNS})",
    )
    parser.add_argument(
        "--language",
        default="en",
        choices=("en", "zh"),
        help="the language the simulated people type in (default: en)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the work folder (databases, server logs)",
    )
    args = parser.parse_args(argv)

    styles = tuple(s.strip() for s in args.styles.split(",") if s.strip())
    bad = [s for s in styles if s not in STYLES]
    if bad:
        parser.error(f"unknown styles: {', '.join(bad)} (known: {', '.join(STYLES)})")
    pairs = choose(args.cases, styles)
    if not simulator_model_exists():
        print(
            "no trained model at models/current.tar.gz: run `make train`",
            file=sys.stderr,
        )
        return 2

    work = Path(tempfile.mkdtemp(prefix="simulate-"))
    print(
        f"{len(pairs)} screenings, concurrency {args.concurrency}; work folder {work}"
    )
    started = time.monotonic()
    done = [0]

    def progress(played: simulator.Played) -> None:
        done[0] += 1
        mark = "ok " if played.correct else "BAD"
        print(
            f"  [{done[0]:>3}/{len(pairs)}] {mark} {played.case:<24} {played.style:<7} "
            f"expected {played.expected:<15} got {played.outcome or '-':<15} "
            f"turns {len(played.turns)}",
            flush=True,
        )

    try:
        with simulator.running_servers(work) as servers:
            print(f"servers up in {time.monotonic() - started:.0f}s at {servers.url}")
            reader = simulator.OutcomeReader(servers.env)
            try:
                played = simulator.run_suite(
                    pairs,
                    servers.say,
                    reader,
                    concurrency=args.concurrency,
                    progress=progress,
                    max_turns=args.max_turns,
                    language=args.language,
                )
            finally:
                reader.close()
    except RuntimeError as exc:
        print(f"the servers did not start: {exc}", file=sys.stderr)
        return 2
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(work, ignore_errors=True)

    result = simulator.report(played)
    result["run"] = {
        "cases": args.cases,
        "styles": list(styles),
        "concurrency": args.concurrency,
        "max_turns": args.max_turns,
        "language": args.language,
        "seconds": round(time.monotonic() - started, 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "report.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    print(simulator.table(result))
    print(f"report: {path}")
    return 0 if result["passed"] else 1


def simulator_model_exists() -> bool:
    from ops import stack

    return stack.MODEL.exists()


if __name__ == "__main__":
    sys.exit(main())
