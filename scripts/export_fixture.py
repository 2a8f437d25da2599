"""Exports from a fixed database, to show that a change leaves them byte-identical.

Two steps, so that one database can be exported by two versions of the code::

    python scripts/export_fixture.py seed /tmp/fixture/app.db
    python scripts/export_fixture.py export /tmp/fixture/app.db /tmp/fixture/out
    sha256sum /tmp/fixture/out/*

``seed`` records the staff test world (tests/support/staffdata.py: likely eligible,
needs review, ineligible, stopped and running screenings, plus one referral whose
answers and contact hold quotes, newlines, formulas and non-Latin text) with a fixed
contact key. ``export`` runs ``python -m bot export`` for every format, with and
without contacts, on a fresh copy of the database each time (an export adds an audit
event), with the clock and the FHIR Bundle id fixed, so the files depend only on the
data and the code.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: A fixed Fernet key (test data only), so both code versions read the contacts.
CONTACT_KEY = "ZXhwb3J0LWZpeHR1cmUta2V5LTMyLWJ5dGVzLWxvbmc="
#: The export time written into the JSON and FHIR documents.
NOW = datetime(2026, 12, 2, 9, 30, tzinfo=timezone.utc)
FORMATS = ("json", "csv", "fhir", "redcap-dictionary")
NASTY = [
    'He said "yes", then "no"',
    "line one\nline two\r\nline three",
    '=HYPERLINK("http://evil")',
    "<script>alert(1)</script>",
    "tab\there; semi;colon, comma",
    "多语言 µmol/L 🙂",
    "",
]


def _environment(db: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ["TRACKER_DB_URL"] = f"sqlite:///{db.with_name('tracker.db')}"
    os.environ["CONTACT_KEY"] = CONTACT_KEY
    os.environ["SITE_CONTACT_EMAIL"] = "study-team@site.test"
    sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "support")]


def _first(*names: str):  # noqa: ANN202 - whichever module this version has
    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError(names)


def seed(db: Path) -> None:
    """Record the fixed test data in a new database at ``db``."""
    _environment(db)
    sd = _first("staffdata")
    dbmod = _first("bot.store.db", "bot.db")
    criteria = _first("bot.screening.criteria", "bot.criteria")
    settings_mod = _first("bot.settings")
    settings = settings_mod.load_settings()
    dbmod.upgrade_to_head(settings.database_url)
    engine = dbmod.make_engine(settings.database_url)
    trial = criteria.load_trial()
    plan = [
        ("web-likely", sd.LIKELY, "rest", 0, True, sd.CONTACT, None),
        ("tg-review", sd.NEEDS_REVIEW, "telegram", 1, True, None, None),
        ("web-inel", sd.INELIGIBLE, "socketio", 2, True, sd.CONTACT, None),
        ("web-stop", sd.STOPPED, "rest", -10, False, None, "incomplete"),
    ]
    other = sd.Contact("Zhang Min", "+86 139 1234 5678", None, "after 6 pm")
    odd = sd.Contact('Ann "Nan" O\'Neil, Jr.', "+86 138 0000 0000", "a@b.cn", "=1+1")
    nasty = {
        fact: (NASTY[i % len(NASTY)], value)
        for i, (fact, (_, value)) in enumerate(sd.LIKELY.items())
    }
    plan.append(("odd", nasty, "telegram", 4, True, odd, None))
    with dbmod.session_scope(engine) as session:
        for sender, answers, channel, days, refer, contact, outcome in plan:
            sd.make_screening(
                session,
                trial,
                settings,
                sender=sender,
                answers=answers,
                started_at=sd.T0 + timedelta(days=days),
                channel=channel,
                refer=refer,
                contact=contact or other,
                outcome=outcome,
            )
        sd.make_screening(
            session,
            trial,
            settings,
            sender="web-running",
            answers=dict(list(sd.LIKELY.items())[:3]),
            started_at=sd.T0 + timedelta(days=3),
            finish=False,
        )
    engine.dispose()


def export(db: Path, out: Path) -> None:
    """Write every export of the database at ``db`` into the folder ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp())
    copy = work / "app.db"
    _environment(copy)
    for name in ("bot.store.models", "bot.models", "bot.clock"):
        try:
            importlib.import_module(name).utcnow = lambda: NOW
        except ImportError:
            continue
    # The FHIR Bundle's own id is random (uuid4): fixed here, like the clock.
    uuid.uuid4 = lambda: uuid.UUID("00000000-0000-4000-8000-000000000000")
    cli = importlib.import_module("bot.__main__")
    for fmt in FORMATS:
        for contacts in (False, True):
            shutil.copyfile(db, copy)
            suffix = "-contacts" if contacts else ""
            args = ["export", "--format", fmt, "--output", str(out / f"{fmt}{suffix}")]
            if cli.main(args + (["--with-contacts"] if contacts else [])) != 0:
                raise SystemExit(f"export {fmt} failed")
    shutil.rmtree(work)


if __name__ == "__main__":
    if sys.argv[1:2] == ["seed"] and len(sys.argv) == 3:
        seed(Path(sys.argv[2]).resolve())
    elif sys.argv[1:2] == ["export"] and len(sys.argv) == 4:
        export(Path(sys.argv[2]).resolve(), Path(sys.argv[3]).resolve())
    else:
        raise SystemExit(__doc__)
