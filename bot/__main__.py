"""Command line: ``python -m bot <command>``.

Commands:
    check            load and check the criteria file (fails loudly if malformed)
    migrate          bring the application database to the latest migration
    outbox           deliver queued referral emails, retrying until stopped
    analytics        consume Rasa's event queue into the screening analytics
    console          serve the staff console (CONSOLE_HOST:CONSOLE_PORT)
    create-admin     create the first admin account of the console
    export           export every screening as JSON, CSV (REDCap) or FHIR R4
    retention        purge transcripts and answers of old screenings with no referral
    erase            delete a person's data by their reference
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.store.transcripts import TrackerStore


def _check(_: argparse.Namespace) -> int:
    from bot.screening.criteria import load_trial

    trial = load_trial()
    print(
        f"criteria OK: {trial.id} v{trial.version}: {len(trial.inclusions)} inclusion, "
        f"{len(trial.exclusions)} exclusion criteria, {len(trial.questions)} questions"
    )
    return 0


def _migrate(_: argparse.Namespace) -> int:
    from bot.settings import load_settings
    from bot.store.db import upgrade_to_head

    upgrade_to_head(load_settings().database_url)
    print("database at the latest migration")
    return 0


def _outbox(args: argparse.Namespace) -> int:
    from bot.jobs.notify import run_outbox_worker
    from bot.settings import load_settings
    from bot.store.db import make_engine, make_session_factory, upgrade_to_head

    settings = load_settings()
    upgrade_to_head(settings.database_url)
    factory = make_session_factory(make_engine(settings.database_url))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    run_outbox_worker(stop, args.interval, settings=settings, session_factory=factory)
    return 0


def _analytics(args: argparse.Namespace) -> int:
    import asyncio
    import json

    from bot.jobs import analytics
    from bot.settings import load_settings, sender_secret
    from bot.store.db import (
        make_engine,
        make_session_factory,
        session_scope,
        upgrade_to_head,
    )

    settings = load_settings()
    upgrade_to_head(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        if args.summary:
            with session_scope(engine) as session:
                print(json.dumps(analytics.summarise(session).as_dict(), indent=2))
            return 0
        config = analytics.load_broker_config()
        factory = make_session_factory(engine)

        async def run() -> analytics.ConsumerStats:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            return await analytics.consume(
                config,
                factory,
                sender_secret(settings),
                stop=stop,
                idle_exit=args.idle_exit,
            )

        stats = asyncio.run(run())
        print(
            f"analytics: stored {stats.stored}, duplicates {stats.duplicates}, "
            f"skipped {stats.skipped}, rejected {stats.rejected}"
        )
    finally:
        engine.dispose()
    return 0


def _console(_: argparse.Namespace) -> int:
    from bot.console.server import serve
    from bot.settings import load_settings

    serve(load_settings())
    return 0


def _cli_actor() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers)
        user = str(os.getuid())
    return f"cli:{user}"[:64]


def _create_admin(args: argparse.Namespace) -> int:
    from bot import staff
    from bot.settings import load_settings
    from bot.store.db import make_engine, session_scope, upgrade_to_head
    from bot.store.models import utcnow

    password = load_settings().staff_password
    if not password:
        if not sys.stdin.isatty():
            print(
                "create-admin: set STAFF_PASSWORD or run in a terminal", file=sys.stderr
            )
            return 2
        password = getpass.getpass(f"Password for {args.username}: ")
        if getpass.getpass("Again: ") != password:
            print("create-admin: the passwords differ", file=sys.stderr)
            return 2
    settings = load_settings()
    upgrade_to_head(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            user = staff.create_user(
                session,
                username=args.username,
                password=password,
                role=args.role,
                actor=_cli_actor(),
                hasher=staff.make_hasher(),
                now=utcnow(),
            )
            print(f"created {user.role} {user.username}")
    except staff.StaffError as exc:
        print(f"create-admin: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


def _export(args: argparse.Namespace) -> int:
    from bot import staff
    from bot.reports import export
    from bot.screening.criteria import load_trial
    from bot.settings import load_settings
    from bot.store.db import make_engine, session_scope, upgrade_to_head
    from bot.store.models import utcnow

    settings = load_settings()
    upgrade_to_head(settings.database_url)
    engine = make_engine(settings.database_url)
    trial = load_trial()
    options = export.ExportOptions(with_contacts=args.with_contacts)
    now = utcnow()
    try:
        with session_scope(engine) as session:
            if args.format == "redcap-dictionary":
                text, count = export.redcap_data_dictionary(trial, options), 0
            else:
                screenings = export.load_screenings(session)
                text, _, _ = export.render(
                    args.format, trial, screenings, options, now=now
                )
                count = len(screenings)
            staff.audit(
                session,
                _cli_actor(),
                "export.created",
                None,
                now,
                format=args.format,
                with_contacts=args.with_contacts,
                screenings=count,
                output="file" if args.output else "stdout",
            )
            if args.output:
                # Contact details may be inside: the file is private to its owner.
                fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                    handle.write(text)
            else:
                sys.stdout.write(text)
    finally:
        engine.dispose()
    if args.output:
        print(f"exported {count} screenings to {args.output}", file=sys.stderr)
    return 0


def _tracker(settings: Settings) -> TrackerStore:
    from bot.store.transcripts import TrackerStore

    return TrackerStore(settings.tracker_db_url)


def _retention(args: argparse.Namespace) -> int:
    from bot.jobs.retention import run_retention
    from bot.settings import load_settings
    from bot.store.db import make_engine, session_scope, upgrade_to_head
    from bot.store.models import utcnow

    settings = load_settings()
    upgrade_to_head(settings.database_url)
    engine = make_engine(settings.database_url)
    tracker = _tracker(settings)
    days = args.days or settings.retention_days
    try:
        with session_scope(engine) as session:
            report = run_retention(
                session,
                tracker,
                days=days,
                now=utcnow(),
                actor=_cli_actor(),
                dry_run=args.dry_run,
            )
    finally:
        tracker.dispose()
        engine.dispose()
    verb = "would purge" if args.dry_run else "purged"
    print(
        f"retention ({days} days, before {report.cutoff:%Y-%m-%d %H:%M} UTC): {verb} "
        f"{len(report.screenings)} screenings ({report.answers} answers) and "
        f"{report.conversations} conversations ({report.transcript_events} events)"
    )
    return 0


def _erase(args: argparse.Namespace) -> int:
    from bot.jobs.retention import erase_person
    from bot.settings import load_settings
    from bot.store.db import make_engine, session_scope, upgrade_to_head
    from bot.store.models import utcnow

    settings = load_settings()
    upgrade_to_head(settings.database_url)
    engine = make_engine(settings.database_url)
    tracker = _tracker(settings)
    try:
        with session_scope(engine) as session:
            report = erase_person(
                session, tracker, args.reference, actor=_cli_actor(), now=utcnow()
            )
    finally:
        tracker.dispose()
        engine.dispose()
    if not report.found:
        print(
            f"erase: no screening has the reference {args.reference!r}", file=sys.stderr
        )
        return 1
    print(
        f"deleted {', '.join(report.references)} and "
        f"{report.transcript_events} transcript events"
    )
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
    stats = commands.add_parser(
        "analytics", help="consume the event queue into the screening analytics"
    )
    stats.add_argument(
        "--idle-exit",
        type=float,
        metavar="SECONDS",
        help="stop once the queue has been empty this long (default: run until "
        "stopped)",
    )
    stats.add_argument(
        "--summary", action="store_true", help="print the summary as JSON and exit"
    )
    stats.set_defaults(run=_analytics)
    commands.add_parser("console", help="serve the staff console").set_defaults(
        run=_console
    )
    admin = commands.add_parser("create-admin", help="create a console admin")
    admin.add_argument("--username", required=True)
    admin.add_argument(
        "--role", default="admin", choices=("admin", "coordinator", "investigator")
    )
    admin.set_defaults(run=_create_admin)
    exporter = commands.add_parser("export", help="export every screening")
    exporter.add_argument(
        "--format", required=True, choices=("json", "csv", "fhir", "redcap-dictionary")
    )
    exporter.add_argument("--output", help="write to this file (mode 0600)")
    exporter.add_argument(
        "--with-contacts",
        action="store_true",
        help="include contact details of people who consented to be contacted",
    )
    exporter.set_defaults(run=_export)
    retention = commands.add_parser("retention", help="purge old unreferred data")
    retention.add_argument("--days", type=int, help="override RETENTION_DAYS")
    retention.add_argument("--dry-run", action="store_true")
    retention.set_defaults(run=_retention)
    erase = commands.add_parser("erase", help="delete a person's data by reference")
    erase.add_argument("reference")
    erase.set_defaults(run=_erase)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    run: Callable[[argparse.Namespace], int] = args.run
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
