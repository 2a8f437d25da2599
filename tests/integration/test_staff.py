"""Staff-side models and queries, on SQLite and on PostgreSQL (``db_url``).

Accounts, sign-in and lockout, sessions, the referral workflow, notes, the queue
and its filters, the funnel, the retention job and erasure, with Rasa's tracker
store on the same database URL, as the deployment runs it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from support import staffdata as sd

from bot import staff, vocab
from bot.jobs.retention import erase_person, run_retention
from bot.reports.funnel import PURGED, compute_funnel, iso_week
from bot.reports.review import criteria_summary, format_value
from bot.screening.engine import evaluate
from bot.settings import Settings
from bot.store.db import session_scope
from bot.store.models import (
    Answer,
    AuditEvent,
    CriterionVerdict,
    Referral,
    Screening,
    StaffSession,
    StaffUser,
)
from bot.store.recorder import ScreeningRecorder
from bot.store.transcripts import HIDDEN, TrackerStore, build_transcript

NOW = sd.T0 + timedelta(days=30)


def actions(session: Session, action: str) -> list[AuditEvent]:
    return list(
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        ).scalars()
    )


def count(session: Session, model: type) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def user(session: Session, fast_hasher: PasswordHasher) -> StaffUser:
    made = staff.create_user(
        session,
        username="Cora",
        password="a long enough pass",
        role=vocab.ROLE_COORDINATOR,
        actor="test",
        hasher=fast_hasher,
        now=NOW,
    )
    session.commit()
    return made


@pytest.fixture
def tracker(db_url: str, tmp_path) -> TrackerStore:
    """Rasa's tracker store: on PostgreSQL in the application's database (its own
    table), on SQLite in a file of its own, as ``make run`` keeps it."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}" if "sqlite" in db_url else db_url
    store = TrackerStore(url)
    yield store
    store.dispose()


# --------------------------------------------------------------------------- #
# Accounts and sign-in
# --------------------------------------------------------------------------- #


def test_accounts_are_checked_and_passwords_hashed(
    session: Session, user: StaffUser, fast_hasher: PasswordHasher
) -> None:
    assert user.username == "cora"  # usernames are case-insensitive
    assert user.password_hash.startswith("$argon2id$")
    assert "a long enough pass" not in user.password_hash
    for username, password, role, message in [
        ("cora", "another long pass", "admin", "taken"),
        ("x", "another long pass", "admin", "Usernames"),
        ("bob'; drop", "another long pass", "admin", "Usernames"),
        ("bob", "short", "admin", "at least 12"),
        ("bobbobbobbob", "bobbobbobbob", "admin", "not be the username"),
        ("bob", "another long pass", "superuser", "Unknown role"),
    ]:
        with pytest.raises(staff.StaffError, match=message):
            staff.create_user(
                session,
                username=username,
                password=password,
                role=role,
                actor="test",
                hasher=fast_hasher,
                now=NOW,
            )
    assert [e.target for e in actions(session, "user.created")] == ["cora"]


def test_five_failures_lock_the_account_for_fifteen_minutes(
    session: Session, user: StaffUser, settings: Settings, fast_hasher: PasswordHasher
) -> None:
    def attempt(password: str, at):
        return staff.authenticate(
            session, "CORA", password, settings=settings, hasher=fast_hasher, now=at
        )

    for _ in range(4):
        assert attempt("wrong", NOW).reason == "bad_password"
    assert attempt("a long enough pass", NOW).ok  # success resets the count
    for _ in range(5):
        assert not attempt("wrong", NOW).ok
    assert user.locked_until == NOW + timedelta(minutes=15)
    assert attempt("a long enough pass", NOW + timedelta(minutes=14)).reason == "locked"
    assert attempt("a long enough pass", NOW + timedelta(minutes=15, seconds=1)).ok
    assert user.locked_until is None and user.failed_logins == 0
    assert len(actions(session, "account.locked")) == 1
    assert len(actions(session, "login.succeeded")) == 2
    failed = [e.detail["reason"] for e in actions(session, "login.failed")]
    assert failed == ["bad_password"] * 9 + ["locked"]
    unknown = staff.authenticate(
        session, "nobody", "x", settings=settings, hasher=fast_hasher, now=NOW
    )
    assert unknown.reason == "unknown_user"
    nul = staff.authenticate(
        session, "co\x00ra", "x", settings=settings, hasher=fast_hasher, now=NOW
    )
    assert nul.reason == "bad_password"  # cleaned, never sent to the database raw


def test_weaker_hashes_are_upgraded_on_sign_in(
    session: Session, user: StaffUser, settings: Settings, fast_hasher: PasswordHasher
) -> None:
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    old_hash = user.password_hash
    assert staff.authenticate(
        session,
        "cora",
        "a long enough pass",
        settings=settings,
        hasher=stronger,
        now=NOW,
    ).ok
    assert user.password_hash != old_hash and "m=2048" in user.password_hash


def test_sessions_expire_when_idle_or_old_and_store_only_a_hash(
    session: Session, user: StaffUser, settings: Settings, fast_hasher
) -> None:
    token, csrf = staff.start_session(session, user, NOW)
    assert session.get(StaffSession, token) is None
    row = session.get(StaffSession, staff.session_key(token))
    assert row is not None and row.csrf_token == csrf and len(csrf) >= 40

    def load(at):
        return staff.load_session(session, token, settings=settings, now=at)

    assert load(NOW + timedelta(minutes=29)).staff_session is not None
    assert load(NOW + timedelta(minutes=58)).staff_session is not None
    state = load(NOW + timedelta(minutes=89))
    assert state.staff_session is None and state.expired
    assert count(session, StaffSession) == 0
    assert load(NOW).staff_session is None and not load(NOW).expired

    token, _ = staff.start_session(session, user, NOW)
    at = NOW
    while at < NOW + timedelta(hours=12):
        at += timedelta(minutes=25)
        state = load(at)
    assert state.expired  # the absolute limit, however active

    token, _ = staff.start_session(session, user, NOW)
    admin = staff.create_user(
        session,
        username="ada",
        password="admin password 1",
        role="admin",
        actor="t",
        hasher=fast_hasher,
        now=NOW,
    )
    staff.update_user(session, user, actor=admin, now=NOW, active=False)
    assert load(NOW).staff_session is None
    staff.start_session(session, admin, NOW - timedelta(hours=13))
    assert staff.purge_expired_sessions(session, settings=settings, now=NOW) == 1


def test_admins_cannot_lock_themselves_out(
    session: Session, fast_hasher: PasswordHasher
) -> None:
    admin = staff.create_user(
        session,
        username="ada",
        password="admin password 1",
        role="admin",
        actor="t",
        hasher=fast_hasher,
        now=NOW,
    )
    with pytest.raises(staff.StaffError, match="own role"):
        staff.update_user(session, admin, actor=admin, now=NOW, role="coordinator")
    with pytest.raises(staff.StaffError, match="deactivate your own"):
        staff.update_user(session, admin, actor=admin, now=NOW, active=False)
    changed = staff.update_user(
        session,
        admin,
        actor=admin,
        now=NOW,
        active=True,
        new_password="a brand new password",
        hasher=fast_hasher,
    )
    assert changed == ["password"]


def test_role_permissions() -> None:
    assert staff.can("coordinator", staff.REVEAL)
    assert staff.can("admin", staff.REVEAL)
    assert not staff.can("investigator", staff.REVEAL)
    assert not staff.can("investigator", staff.EXPORT_CONTACTS)
    for role in ("coordinator", "investigator"):
        assert staff.can(role, staff.VIEW) and staff.can(role, staff.UPDATE)
        for admin_only in (staff.ERASE, staff.MANAGE_USERS, staff.READ_AUDIT):
            assert not staff.can(role, admin_only)
    assert all(staff.can("admin", p) for p in staff.PERMISSIONS)
    assert not staff.can(None, staff.VIEW) and not staff.can("admin", "launch")


# --------------------------------------------------------------------------- #
# The referral workflow and the queue
# --------------------------------------------------------------------------- #


@pytest.fixture
def referrals(session: Session, settings: Settings, trial) -> dict[str, sd.Made]:
    made = {
        "likely": sd.make_screening(
            session, trial, settings, sender="a", answers=sd.LIKELY, refer=True
        ),
        "review": sd.make_screening(
            session,
            trial,
            settings,
            sender="b",
            answers=sd.NEEDS_REVIEW,
            refer=True,
            channel="telegram",
            started_at=sd.T0 + timedelta(days=8),
        ),
        "stopped": sd.make_screening(
            session,
            trial,
            settings,
            sender="c",
            answers=sd.STOPPED,
            outcome=vocab.INCOMPLETE,
        ),
    }
    session.commit()
    return made


def test_status_moves_only_along_the_workflow(
    session: Session, user: StaffUser, referrals
) -> None:
    for start, allowed in staff.TRANSITIONS.items():
        for target in vocab.REFERRAL_STATUSES:
            referral = staff.referral_by_reference(
                session, referrals["likely"].reference
            )
            referral.status = start
            session.flush()
            if target in allowed:
                staff.change_status(
                    session, referral, target, actor=user, reason="why", now=NOW
                )
                assert referral.status == target
            else:
                with pytest.raises(staff.StaffError):
                    staff.change_status(
                        session, referral, target, actor=user, reason="why", now=NOW
                    )
            session.rollback()
    referral = staff.referral_by_reference(session, referrals["likely"].reference)
    with pytest.raises(staff.StaffError, match="reason"):
        staff.change_status(
            session, referral, "not_enrolled", actor=user, reason=" ", now=NOW
        )
    with pytest.raises(staff.StaffError, match="too long"):
        staff.change_status(
            session, referral, "contacted", actor=user, reason="x" * 2001, now=NOW
        )
    staff.change_status(
        session, referral, "contacted", actor=user, reason=None, now=NOW
    )
    session.commit()
    history = [(c.from_status, c.to_status) for c in referral.status_changes]
    assert history == [(None, "new"), ("new", "contacted")]
    assert referral.status_changes[-1].actor_id == user.id
    assert [e.detail for e in actions(session, "referral.status_changed")] == [
        {"from": "new", "to": "contacted"}
    ]


def test_notes_are_limited_and_cleaned(session: Session, user, referrals) -> None:
    referral = staff.referral_by_reference(session, referrals["likely"].reference)
    staff.add_note(
        session, referral, "  line one\r\nline two\x00  ", actor=user, now=NOW
    )
    staff.add_note(session, referral, "n" * staff.NOTE_MAX_CHARS, actor=user, now=NOW)
    with pytest.raises(staff.StaffError, match="too long"):
        staff.add_note(
            session, referral, "n" * (staff.NOTE_MAX_CHARS + 1), actor=user, now=NOW
        )
    with pytest.raises(staff.StaffError, match="empty"):
        staff.add_note(session, referral, "\x00 \n", actor=user, now=NOW)
    session.commit()
    assert [n.body[:17] for n in referral.notes] == ["line one\nline two", "n" * 17]
    assert [e.detail for e in actions(session, "referral.note_added")] == [
        {"length": 17},
        {"length": staff.NOTE_MAX_CHARS},
    ]


def test_queue_filters_counts_and_search(session: Session, referrals) -> None:
    likely, review = referrals["likely"].reference, referrals["review"].reference
    assert referrals["likely"].outcome == vocab.LIKELY_ELIGIBLE  # by the engine
    assert referrals["review"].outcome == vocab.NEEDS_REVIEW

    def refs(**params) -> list[str]:
        filters, problems = staff.parse_queue_filters(params)
        assert problems == []
        return [r.reference for r in staff.referral_queue(session, filters).referrals]

    assert refs() == [review, likely]  # newest first
    assert refs(outcome="needs_review") == [review]
    assert refs(status="new") == [review, likely]
    assert refs(status="contacted") == []
    assert refs(channel="telegram") == [review]
    assert refs(date_from="2026-11-05") == [review]
    assert refs(date_to="2026-11-02") == [likely]
    assert refs(q=likely[-3:].lower()) == [likely]
    for literal in ("%", "_", "SCR-%", "' OR '1'='1", "\\"):
        assert refs(q=literal) == []  # LIKE wildcards are escaped; SQL is data
    queue = staff.referral_queue(session, staff.QueueFilters(), per_page=1, page=9)
    assert (queue.total, queue.pages, queue.page) == (2, 2, 2)
    assert queue.by_status["new"] == 2 and queue.by_outcome["likely_eligible"] == 1
    assert queue.channels == ["rest", "telegram"]
    _, problems = staff.parse_queue_filters(
        {"outcome": "great", "status": "x", "date_from": "soon", "assignee": "me"}
    )
    assert len(problems) == 4


# --------------------------------------------------------------------------- #
# What the console shows
# --------------------------------------------------------------------------- #


def test_criteria_summary_uses_labels_words_and_units(
    session: Session, referrals, trial
) -> None:
    screening = session.get(Screening, referrals["likely"].screening_id)
    rows = {row.criterion.id: row for row in criteria_summary(trial, screening)}
    assert len(rows) == len(trial.criteria)
    aclf = rows["inc_aclf"]
    assert aclf.verdict == vocab.MET and aclf.verdict_label == "Met"
    facts = {f.question.id: (f.as_given, f.value) for f in aclf.facts}
    assert facts["bilirubin"] == ("bilirubin 342 umol/L", "342 µmol/L")
    assert facts["encephalopathy"][1].startswith("1: A little confused")
    assert rows["exc_cancer"].verdict_label == "Not met: does not apply"
    assert rows["exc_investigator_judgement"].verdict == vocab.NOT_ASKED
    stopped = session.get(Screening, referrals["stopped"].screening_id)
    age = {r.criterion.id: r for r in criteria_summary(trial, stopped)}["inc_consent"]
    assert age.facts[0].value == "not asked"


def test_format_value(trial) -> None:
    q = trial.question
    assert format_value(q("jaundice"), "unsure") == "Not sure"
    assert format_value(q("inr"), 1.5) == "1.5"
    assert format_value(q("platelets"), 45.0) == "45 ×10⁹/L"
    assert format_value(q("pta"), 35.25) == "35.25 %"
    assert format_value(q("age"), None, True) == "unknown"
    assert format_value(q("sex"), "other") == "Other or prefer not to say"
    assert format_value(q("encephalopathy"), 2).startswith("2: Very drowsy")
    window = {"never": False, "earliest": "2026-09-01", "latest": "2026-10-01"}
    assert (
        format_value(q("immune_drugs"), window) == "between 2026-09-01 and 2026-10-01"
    )
    assert format_value(q("immune_drugs"), {"never": True}) == "never"
    assert format_value(None, {"odd": 1}) == "{'odd': 1}"


def test_transcript_hides_contact_details_unless_revealed(trial) -> None:
    events = sd.conversation_events(
        "x", sd.T0, dict(list(sd.LIKELY.items())[:2]), trial, contact=sd.CONTACT
    )
    hidden = build_transcript(events)
    shown = " ".join(m.text for m in hidden)
    for secret in (sd.CONTACT.name, sd.CONTACT.phone, sd.CONTACT.email):
        assert secret not in shown
    assert shown.count(HIDDEN) >= 6
    assert hidden[0].speaker == "system" and hidden[1].text == "hello"
    assert hidden[2].buttons == ("Yes, let's start", "No, thanks")
    revealed = " ".join(m.text for m in build_transcript(events, reveal=True))
    assert sd.CONTACT.phone in revealed and HIDDEN not in revealed
    # Values known from the referral are hidden even where no slot held them.
    extra = build_transcript(
        [{"event": "user", "text": "call Li Wei, not Li", "timestamp": 1.0}],
        known_contacts=["Li Wei", None, ""],
    )
    assert extra[0].text == f"call {HIDDEN}, not Li" and extra[0].hidden


def test_tracker_store_missing_or_broken_is_not_an_error(tmp_path) -> None:
    missing = TrackerStore(f"sqlite:///{tmp_path / 'none.db'}")
    assert missing.events("x") == [] and missing.conversation_starts() == []
    assert missing.transcript("x").note.startswith("No transcript")
    assert missing.transcript(None).available is False
    assert not (tmp_path / "none.db").exists()  # reading never creates it
    url = f"sqlite:///{tmp_path / 't.db'}"
    sd.write_events(url, "x", [{"event": "user", "text": "hi", "timestamp": 5.0}])
    engine = TrackerStore(url)
    with engine._get_engine().begin() as connection:
        connection.execute(
            text(
                "INSERT INTO events (sender_id, type_name, data) VALUES ('x', 'bot', "
                "'not json')"
            )
        )
    assert [m.text for m in engine.transcript("x").messages] == ["hi", ""]
    engine.dispose()


# --------------------------------------------------------------------------- #
# The recorder links screenings to their conversation (encrypted at rest)
# --------------------------------------------------------------------------- #


def test_recorder_links_the_conversation_and_encrypts_it(
    engine: Engine, settings: Settings, trial
) -> None:
    recorder = ScreeningRecorder(settings, engine, trial)
    answers = {"age": {"value": 45, "text": "45"}}
    evaluation = evaluate(trial, {}, sd.T0.date())
    reference = recorder.sync(
        sender_id="whatsapp:+8613800138000",
        channel="twilio",
        answers=answers,
        evaluation=evaluation,
        now=sd.T0,
    )
    with session_scope(engine) as session:
        screening = session.execute(
            select(Screening).where(Screening.reference == reference)
        ).scalar_one()
        assert screening.conversation_id == "whatsapp:+8613800138000"
    with engine.connect() as connection:
        raw = connection.execute(
            text("SELECT conversation_id FROM screenings")
        ).scalar()
    assert raw.startswith("gAAAA") and "8613800138000" not in raw


# --------------------------------------------------------------------------- #
# Funnel, retention, erasure (tracker store on the same database URL)
# --------------------------------------------------------------------------- #


def seed_with_transcripts(
    session: Session, settings: Settings, trial, tracker_url: str
) -> dict[str, sd.Made]:
    old = sd.T0 - timedelta(days=200)
    plan = {
        "old_referred": ("s1", sd.LIKELY, old, True, "rest"),
        "old_stopped": ("s2", sd.STOPPED, old, False, "rest"),
        "old_ineligible": ("s3", sd.INELIGIBLE, old, False, "telegram"),
        "recent_stopped": ("s4", sd.STOPPED, sd.T0, False, "telegram"),
        "recent_referred": ("s5", sd.NEEDS_REVIEW, sd.T0, True, "rest"),
    }
    made = {}
    for name, (sender, answers, started, refer, channel) in plan.items():
        made[name] = sd.make_screening(
            session,
            trial,
            settings,
            sender=sender,
            answers=answers,
            started_at=started,
            refer=refer,
            channel=channel,
            outcome=vocab.INCOMPLETE if answers is sd.STOPPED else None,
        )
        session.commit()
        sd.write_events(
            tracker_url,
            sender,
            sd.conversation_events(
                sender,
                started,
                answers,
                trial,
                channel=channel,
                contact=sd.CONTACT if refer else None,
            ),
        )
    # Two people who said hello and left: long ago, and recently.
    for sender, when in (("hello-old", old), ("hello-new", sd.T0)):
        sd.write_events(
            tracker_url,
            sender,
            [
                {"event": "session_started", "timestamp": when.timestamp()},
                {
                    "event": "user",
                    "timestamp": when.timestamp() + 1,
                    "text": "hi",
                    "input_channel": "socketio",
                },
            ],
        )
    session.commit()
    return made


def test_funnel_counts_stages_outcomes_weeks_and_drop_off(
    session: Session, settings: Settings, trial, db_url: str, tracker: TrackerStore
) -> None:
    made = seed_with_transcripts(session, settings, trial, tracker.url)
    funnel = compute_funnel(session, trial, tracker, now=NOW)
    assert funnel.tracker_available
    totals = funnel.totals
    assert (totals["started"], totals["consented"], totals["completed"]) == (7, 5, 3)
    assert (totals["referred"], totals["incomplete"]) == (2, 2)
    assert (totals["likely_eligible"], totals["ineligible"]) == (1, 1)
    assert funnel.drop_off == [("ascites", "fluid in the belly", 2)]
    week = iso_week(sd.T0)
    assert funnel.rows[(week, "telegram")]["started"] == 1
    assert funnel.rows[(week, "socketio")]["started"] == 1
    recent = compute_funnel(
        session, trial, tracker, date_from=sd.T0.date(), channel="rest", now=NOW
    )
    assert (recent.totals["started"], recent.totals["referred"]) == (1, 1)
    assert funnel.conversion("referred") == pytest.approx(2 / 7)
    without_tracker = compute_funnel(session, trial, None, now=NOW)
    assert not without_tracker.tracker_available
    assert without_tracker.totals["started"] == 5
    assert made["old_stopped"].outcome == vocab.INCOMPLETE


def test_retention_purges_old_unreferred_answers_and_transcripts(
    session_factory: sessionmaker,
    settings: Settings,
    trial,
    db_url: str,
    tracker: TrackerStore,
) -> None:
    with session_scope(session_factory) as session:
        made = seed_with_transcripts(session, settings, trial, tracker.url)
    with session_scope(session_factory) as session:
        dry = run_retention(session, tracker, days=90, now=NOW, dry_run=True)
        assert sorted(dry.screenings) == sorted(
            [made["old_stopped"].reference, made["old_ineligible"].reference]
        )
        assert dry.conversations == 3  # s2, s3 and the old hello
        assert actions(session, "retention.purged") == []
    before = len(tracker.events("s2"))
    assert before > 0
    with session_scope(session_factory) as session:
        report = run_retention(session, tracker, days=90, now=NOW, actor="cli:ops")
        assert report.transcript_events >= before
    with session_scope(session_factory) as session:
        for name in ("old_stopped", "old_ineligible"):
            screening = session.get(Screening, made[name].screening_id)
            assert screening.purged_at == NOW and screening.conversation_id is None
            assert screening.outcome is not None  # kept for the funnel
            for model in (Answer, CriterionVerdict):
                rows = session.execute(
                    select(func.count()).where(model.screening_id == screening.id)
                ).scalar()
                assert rows == 0
        for name in ("old_referred", "recent_stopped", "recent_referred"):
            screening = session.get(Screening, made[name].screening_id)
            assert screening.purged_at is None and screening.answers
        event = actions(session, "retention.purged")[0]
        assert event.actor == "cli:ops"
        assert (event.detail["screenings"], event.detail["conversations"]) == (2, 3)
        funnel = compute_funnel(session, trial, tracker, now=NOW)
        assert funnel.totals["consented"] == 5
        assert (PURGED, PURGED, 1) in funnel.drop_off
    for sender, kept in [
        ("s1", True),
        ("s2", False),
        ("s3", False),
        ("s4", True),
        ("s5", True),
        ("hello-old", False),
        ("hello-new", True),
    ]:
        assert bool(tracker.events(sender)) is kept, sender
    with session_scope(session_factory) as session:
        again = run_retention(session, tracker, days=90, now=NOW)
        assert (again.screenings, again.conversations) == ([], 0)


def test_erasure_deletes_the_person_everywhere(
    session_factory: sessionmaker,
    settings: Settings,
    trial,
    db_url: str,
    tracker: TrackerStore,
) -> None:
    with session_scope(session_factory) as session:
        made = seed_with_transcripts(session, settings, trial, tracker.url)
        # The same person came back later in the same conversation.
        again = sd.make_screening(
            session,
            trial,
            settings,
            sender="s1",
            answers=sd.STOPPED,
            started_at=sd.T0,
            outcome=vocab.INCOMPLETE,
        )
    target = made["old_referred"].reference
    with session_scope(session_factory) as session:
        report = erase_person(session, tracker, target.lower(), actor="ada", now=NOW)
        assert sorted(report.references) == sorted([target, again.reference])
        assert report.transcript_events > 20
    with session_scope(session_factory) as session:
        remaining = {s.reference for s in session.execute(select(Screening)).scalars()}
        assert target not in remaining and again.reference not in remaining
        assert len(remaining) == 4
        assert session.execute(select(func.count()).select_from(Referral)).scalar() == 1
        erased = actions(session, "person.erased")
        assert [(e.actor, e.target) for e in erased] == [("ada", target)]
        assert len(actions(session, "screening.deleted")) == 2
        missing = erase_person(session, tracker, "SCR-NOPE22", actor="ada", now=NOW)
        assert not missing.found
    assert tracker.events("s1") == [] and tracker.events("s5") != []


def test_console_settings_and_their_defaults(tmp_path) -> None:
    from bot.settings import PROJECT_ROOT, load_settings

    defaults = load_settings({})
    assert defaults.tracker_db_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"
    assert (defaults.console_host, defaults.console_port) == ("127.0.0.1", 8080)
    assert defaults.console_secure_cookies is False
    assert (defaults.session_idle_minutes, defaults.session_max_hours) == (30, 12)
    assert (defaults.login_max_failures, defaults.lockout_minutes) == (5, 15)
    # scripts/run.sh hands Rasa a SQLite file in TRACKER_DB: the console reads it.
    run_sh = load_settings({"TRACKER_DB": str(tmp_path / "t.db")})
    assert run_sh.tracker_db_url == f"sqlite:///{tmp_path / 't.db'}"
    explicit = load_settings(
        {"TRACKER_DB_URL": "postgresql://rasa@db/tracker", "TRACKER_DB": "x.db"}
    )
    assert explicit.tracker_db_url == "postgresql://rasa@db/tracker"
    assert load_settings(
        {"CONSOLE_BASE_URL": "https://s.example"}
    ).console_secure_cookies
    assert not load_settings(
        {"CONSOLE_BASE_URL": "https://s.example", "CONSOLE_SECURE_COOKIES": "no"}
    ).console_secure_cookies
    for name in ("CONSOLE_PORT", "SESSION_IDLE_MINUTES", "LOGIN_MAX_FAILURES"):
        with pytest.raises(ValueError, match=name):
            load_settings({name: "0"})
