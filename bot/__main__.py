"""Command line: ``python -m bot <command>``.

Commands:
    check            load and check the criteria file (fails loudly if malformed)
    migrate          bring the application database to the latest migration
    outbox           deliver queued referral emails, retrying until stopped
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading


def _check(_: argparse.Namespace) -> int:
    from bot.criteria import load_trial

    trial = load_trial()
    print(
        f"criteria OK: {trial.id} v{trial.version}: {len(trial.inclusions)} inclusion, "
        f"{len(trial.exclusions)} exclusion criteria, {len(trial.questions)} questions"
    )
    return 0


def _migrate(_: argparse.Namespace) -> int:
    from bot.db import upgrade_to_head
    from bot.settings import load_settings

    upgrade_to_head(load_settings().database_url)
    print("database at the latest migration")
    return 0


def _outbox(args: argparse.Namespace) -> int:
    from bot.db import make_engine, make_session_factory, upgrade_to_head
    from bot.notify import run_outbox_worker
    from bot.settings import load_settings

    settings = load_settings()
    upgrade_to_head(settings.database_url)
    factory = make_session_factory(make_engine(settings.database_url))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    run_outbox_worker(stop, args.interval, settings=settings, session_factory=factory)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m bot", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="check the criteria file").set_defaults(
        run=_check
    )
    commands.add_parser("migrate", help="migrate the database").set_defaults(
        run=_migrate
    )
    outbox = commands.add_parser("outbox", help="deliver referral emails")
    outbox.add_argument("--interval", type=float, default=15.0)
    outbox.set_defaults(run=_outbox)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
