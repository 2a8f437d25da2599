"""Faults: nothing lost.

One production-style stack for the whole module (``deploy/endpoints.production.yml``):
a PostgreSQL server of its own (``initdb`` in a temporary folder, so that it can be
stopped and started: the machine's server is shared), holding the tracker store and
the application database; the machine's Redis (lock store) and RabbitMQ (event
broker, a queue of its own); one action server and two Rasa replicas. Each test
breaks one thing in the middle of conversations, and then asserts that no answer,
screening or referral is lost or duplicated, and that Rasa's tracker store holds
each message the person sent once, in order.

``TICKET_LOCK_LIFETIME`` (Rasa's lock store: seconds a conversation's ticket stays
valid; 60 by default) is 30 here, so the replica test waits at most 30 s for the
lock a dead replica held.

The database and replica tests pass only with the stores of ``stores.tracker_store``
and ``stores.lock_store`` named in ``deploy/endpoints.production.yml``: with Rasa's
own, a turn during a database restart runs on an empty conversation, and a
message re-sent at once after a replica died can wait until the HTTP timeout.

Needs a trained model, Redis and RabbitMQ; the database test needs PostgreSQL's
``initdb``/``pg_ctl``. Skips without them, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from support.net import SMTPServer
from support.production import (
    Client,
    Cluster,
    Conversation,
    broker_user_texts,
    check_screening,
    describe,
    matches_log,
    need_production_services,
    recorded,
    refer,
    tracker_user_texts,
    wait_for,
)
from support.services import need_service

from bot.store.db import session_scope
from bot.store.models import OutboxMessage
from channels.common import kind_text
from ops import stack as st
from ops.screening import texts

pytestmark = [pytest.mark.e2e, pytest.mark.production]

LOCK_LIFETIME = 30


@dataclass
class FaultStack:
    """The cluster, its own PostgreSQL server (None when initdb is missing)."""

    cluster: Cluster
    postgres: st.TemporaryPostgres | None
    why_no_postgres: str | None
    client: Client
    broker_events: list[dict] = field(default_factory=list)

    def url(self, index: int) -> str:
        """Replica ``index``'s base URL."""
        return self.cluster.url(index)

    def on(self, index: int):
        """``say`` bound to one replica."""
        return self.client.fixed(self.url(index))

    def check(
        self,
        conversations: list[Conversation],
        references: dict[str, str] | None = None,
    ) -> None:
        """Assert the records of finished conversations (see ``check_screening``)
        and that the tracker store holds what each sender sent, once and in order
        (a message that got no answer may or may not be there)."""
        references = references or {}
        engine = self.cluster.app_engine()
        tracker = self.cluster.tracker_engine()
        try:
            problems = []
            for talk in conversations:
                problems += check_screening(
                    recorded(engine, self.cluster.settings, talk.sender),
                    talk.transcript,
                    talk.script,
                    talk.answers,
                    referral=references.get(talk.sender),
                )
                stored = tracker_user_texts(tracker, talk.sender)
                log = self.client.sent[talk.sender]
                if not matches_log(stored, log):
                    problems.append(
                        f"{talk.sender}: tracker {stored} != sent "
                        f"{[(s.text, s.answered) for s in log]}"
                    )
        finally:
            engine.dispose()
            tracker.dispose()
        assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    """A PostgreSQL server of its own, an action server, two Rasa replicas."""
    need_production_services()
    postgres = why = None
    try:
        postgres = st.TemporaryPostgres.create()
        postgres.start()
        databases = postgres.databases("faults")
    except (RuntimeError, OSError, KeyError) as exc:  # KeyError: no postgres user
        why = f"no PostgreSQL server of our own (initdb/pg_ctl): {exc}"
        if postgres is not None:
            postgres.remove()
            postgres = None
        databases = st.ProductionDatabases.create("faults")
    cluster = None
    try:
        cluster = Cluster.start(
            tmp_path_factory.mktemp("faults"),
            databases,
            TICKET_LOCK_LIFETIME=str(LOCK_LIFETIME),
            SITE_CONTACT_EMAIL="site@study.test",
        )
        yield FaultStack(cluster, postgres, why, Client(route=None))
    finally:
        if cluster is not None:
            cluster.close()
            st.delete_queue(cluster.queue)
            st.delete_exchange(cluster.env["RASA_EVENT_EXCHANGE"])
        if postgres is not None:
            postgres.remove()
        else:
            databases.drop()


def events_of(stack: FaultStack, sender: str) -> list[tuple[str, str]]:
    """A conversation's tracker events as (type, name or text), in order."""
    engine = stack.cluster.tracker_engine()
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT type_name, data FROM events WHERE sender_id = :s "
                    "ORDER BY id"
                ),
                {"s": sender},
            ).all()
    finally:
        engine.dispose()
    out = []
    for kind, data in rows:
        event = json.loads(data)
        out.append((kind, event.get("name") or event.get("text") or ""))
    return out


class TableLock:
    """Holds ``LOCK TABLE ... IN ACCESS EXCLUSIVE MODE`` on an application table,
    so that a turn blocks inside the action server's database write: a way to
    break things *during* a turn, not between turns."""

    def __init__(self, url: str, table: str):
        self.engine = create_engine(url, future=True)
        self.connection = self.engine.connect()
        self.transaction = self.connection.begin()
        self.connection.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))

    def waiters(self) -> int:
        """How many lock requests wait in this database."""
        with self.engine.connect() as probe:
            return int(
                probe.execute(
                    text(
                        "SELECT count(*) FROM pg_locks l JOIN pg_database d "
                        "ON d.oid = l.database WHERE NOT l.granted "
                        "AND d.datname = current_database()"
                    )
                ).scalar()
            )

    def someone_waits(self) -> bool:
        """Whether another session waits for a lock in this database."""
        return self.waiters() > 0

    def release(self) -> None:
        """Roll back (releasing the lock) and close; safe after the server died."""
        try:
            self.transaction.rollback()
            self.connection.close()
        except Exception:  # noqa: BLE001 - the server may have been stopped
            self.connection.invalidate()
        self.engine.dispose()


def send_in_background(say, sender: str, message: str) -> tuple[threading.Thread, dict]:
    """Send a message from a thread; the dict gets ``replies`` or ``error``."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["replies"] = say(sender, message)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


# --------------------------------------------------------------------------- #
# The action server goes away
# --------------------------------------------------------------------------- #


def test_action_server_down_gets_a_kind_message_and_continues_where_it_was(
    stack: FaultStack,
):
    say = stack.on(0)
    talk = Conversation(say, "fault-actions", "likely").open().answer(2)
    pending = talk.pending
    assert pending == "stem_cell_therapy"

    stack.cluster.actions.stop()
    try:
        down = talk.answer().replies
        # A kind message, not silence (channels.rest: a turn that yields no reply).
        assert kind_text("no_reply") in texts(down), down
        assert talk.pending in (None, pending)  # never a question further on
        # What Rasa recorded for the failed turn: the message, the form "executed"
        # with no events (its validation call failed), then listening again; no slot
        # changed, so the question is still pending.
        events = events_of(stack, talk.sender)
        tail = [e for e in events if e[0] != "user_featurization"][-3:]
        assert tail == [
            ("user", talk.answers[pending]),
            ("action", "screening_form"),
            ("action", "action_listen"),
        ], tail
    finally:
        stack.cluster.actions.start().wait_ready(180)

    talk.resend()  # the same answer again, now that it is back
    assert talk.pending == "liver_cancer", texts(talk.replies)
    talk.finish()
    references = {talk.sender: refer(say, talk.sender)}
    stack.check([talk], references)


# --------------------------------------------------------------------------- #
# The database restarts
# --------------------------------------------------------------------------- #


def _log_count(server: st.Server, needle: str) -> int:
    try:
        return server.log.read_text(errors="replace").count(needle)
    except FileNotFoundError:
        return 0


#: What ``stores.tracker_store`` logs while it waits for the database.
WAITING = "tracker store unavailable"


def test_database_restart_between_and_during_turns_loses_nothing(stack: FaultStack):
    if stack.postgres is None:
        need_service(stack.why_no_postgres or "no PostgreSQL server of our own")
    postgres = stack.postgres
    replica = stack.cluster.replicas[1]
    talk = Conversation(stack.on(1), "fault-db", "review").open().answer(2)

    # 1. Between turns: the database is down when the message comes, and back a
    #    moment later. The turn waits for it (no answer from an empty conversation,
    #    nothing lost), then the next question comes.
    before = _log_count(replica, WAITING)
    pending = talk.pending
    postgres.stop("fast")
    try:
        thread, outcome = send_in_background(lambda s, m: talk.answer(), "", "")
        waited = wait_for(lambda: _log_count(replica, WAITING) > before, 30)
        assert waited or outcome.get("error"), (
            f"Rasa did not wait for the database; it answered {texts(talk.replies)!r}"
        )
    finally:
        postgres.start()
    thread.join(60)
    assert not thread.is_alive() and "error" not in outcome, outcome
    assert talk.pending not in (None, pending), texts(talk.replies)

    # 2. During a turn: the action server's write is held by a table lock, the
    #    database stops at once (as in a crash) and stays down longer than the
    #    action server waits for it (bot.store.recorder.DB_RETRY_SECONDS): the write is
    #    given up, the turn goes on, and Rasa's save of the turn waits for the
    #    database, which then comes back.
    app_url = stack.cluster.env["DATABASE_URL"]
    lock = TableLock(app_url, "answers")
    before = _log_count(replica, WAITING)
    pending = talk.pending
    try:
        thread, outcome = send_in_background(lambda s, m: talk.answer(), "", "")
        assert wait_for(lock.someone_waits, 30), "the turn never reached the write"
        postgres.stop("immediate")
    finally:
        lock.release()
    try:
        waited = wait_for(lambda: _log_count(replica, WAITING) > before, 60)
    finally:
        postgres.start()
    thread.join(60)
    assert waited, "Rasa did not wait for the database to save the turn"
    assert not thread.is_alive() and "error" not in outcome, outcome
    assert talk.pending not in (None, pending), texts(talk.replies)

    # 3. During the last turn (the result, which no later turn would write
    #    again): the database stops at once, and is started again once the
    #    action server's write has noticed and waits for it (bot.store.recorder retries;
    #    without that, the result would be shown but never recorded).
    while talk.pending != "consent":
        talk.answer()
    actions = stack.cluster.actions
    before = _log_count(actions, "database unavailable")
    lock = TableLock(app_url, "answers")
    try:
        thread, outcome = send_in_background(lambda s, m: talk.answer(), "", "")
        assert wait_for(lock.someone_waits, 30), "the turn never reached the write"
        postgres.stop("immediate")
    finally:
        lock.release()
    try:
        retried = wait_for(
            lambda: _log_count(actions, "database unavailable") > before, 30
        )
    finally:
        postgres.start()
    thread.join(90)
    assert retried, "the action server did not wait for the database"
    assert not thread.is_alive() and "error" not in outcome, outcome
    assert talk.pending is None, texts(talk.replies)  # the result was shown

    # The answer whose write failed in 2 was written by the next turn's sync; the
    # result of 3 by the retry.
    stack.check([talk])


# --------------------------------------------------------------------------- #
# The mail server is down
# --------------------------------------------------------------------------- #


def test_mail_server_down_referrals_wait_in_the_outbox_and_go_once(
    stack: FaultStack, tmp_path: Path
):
    cluster = stack.cluster
    smtp = SMTPServer(port=int(cluster.env["SMTP_PORT"]))  # not listening yet
    log = (tmp_path / "outbox.log").open("w")
    worker = subprocess.Popen(
        [str(st.BIN / "python"), "-m", "bot", "outbox", "--interval", "0.5"],
        cwd=st.ROOT,
        env=cluster.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    urls = [stack.url(0), stack.url(1)]
    say = Client(route=lambda s, turn: [urls[turn % 2]], sent=stack.client.sent).say
    engine = cluster.app_engine()
    try:
        talks = [
            Conversation(say, f"fault-mail-{i}", "likely").open().finish()
            for i in range(2)
        ]
        references = {t.sender: refer(say, t.sender) for t in talks}

        def outbox() -> dict[str, OutboxMessage]:
            with session_scope(engine) as session:
                rows = session.execute(
                    select(OutboxMessage).where(
                        OutboxMessage.reference.in_(references.values())
                    )
                ).scalars()
                found = {row.reference: row for row in rows}
                session.expunge_all()
                return found

        # The worker tries, fails, and keeps them queued.
        tried = wait_for(
            lambda: (
                len(outbox()) == 2
                and all(
                    m.attempts >= 1 and m.sent_at is None for m in outbox().values()
                )
            ),
            30,
        )
        assert tried, f"{outbox()}\n{(tmp_path / 'outbox.log').read_text()}"
        assert all(m.last_error for m in outbox().values())

        smtp.start()
        # The first retry is due 30 s after the failure (bot.jobs.notify.BACKOFF_BASE).
        sent = wait_for(
            lambda: all(m.sent_at is not None for m in outbox().values()), 60
        )
        assert sent, f"{outbox()}\n{(tmp_path / 'outbox.log').read_text()}"
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
            log.close()
            smtp.stop()
            engine.dispose()
    assert worker.returncode == 0, (tmp_path / "outbox.log").read_text()

    # Exactly one mail per referral (every referral in the database, not only
    # these two: none was sent twice).
    ids = [message_from_bytes(e.content)["Message-ID"] for e in smtp.messages]
    assert len(ids) == len(set(ids)), ids
    mailed = [r for r in references.values() if any(r in i for i in ids)]
    assert sorted(mailed) == sorted(references.values())
    assert sum(1 for i in ids for r in references.values() if r in i) == 2
    stack.check(talks, references)


# --------------------------------------------------------------------------- #
# A replica dies while serving
# --------------------------------------------------------------------------- #


def test_a_replica_killed_while_serving_conversations_finish_on_the_other(
    stack: FaultStack,
):
    cluster = stack.cluster
    urls = [stack.url(0), stack.url(1)]
    # Turn n goes to replica n % 2; when it does not answer, to the other one.
    client = Client(
        route=lambda s, turn: [urls[turn % 2], urls[(turn + 1) % 2]],
        sent=stack.client.sent,
    )
    scripts = ["likely", "review", "excluded", "likely", "review", "likely"]
    talks = [
        Conversation(client.say, f"fault-replica-{i}", script)
        for i, script in enumerate(scripts)
    ]
    references: dict[str, str] = {}

    def converse(talk: Conversation) -> None:
        try:
            talk.open().finish()
            if talk.script == "likely":
                references[talk.sender] = refer(client.say, talk.sender)
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}\n{describe(client.sent[talk.sender])}"
            ) from None

    def answered() -> int:
        return sum(
            1 for t in talks for s in client.sent.get(t.sender, []) if s.answered
        )

    victim = cluster.replicas[1]
    started = time.monotonic()
    with ThreadPoolExecutor(len(talks)) as pool:
        futures = [pool.submit(converse, t) for t in talks]
        assert wait_for(lambda: answered() >= 40, 120), "conversations did not start"
        killed_at = time.monotonic()
        victim.stop(hard=True)  # SIGKILL while it serves
        for future in futures:
            future.result()
    assert not victim.alive

    # What the kill did: messages that replica 1 was processing (reset) or that
    # came after (refused) went to replica 0; a conversation whose lock replica 1
    # held waited for the lock's ticket to expire.
    failed = [
        (t.sender, i)
        for t in talks
        for i, s in enumerate(client.sent[t.sender])
        if not s.answered
    ]
    assert failed, "the kill did not interrupt anything"
    stalls = sorted(client.sent[sender][i + 1].seconds for sender, i in failed)
    kinds: dict[str, int] = {}
    for sender, i in failed:
        error = (client.sent[sender][i].error or "").lower()
        kind = (
            "no_reply"
            if error == "no_reply"
            else "refused"
            if "refused" in error
            else "cut off"
        )
        kinds[kind] = kinds.get(kind, 0) + 1
    print(
        f"\nkilled replica 1 after {killed_at - started:.0f} s; failed sends "
        f"{kinds}; slowest re-sent turn {stalls[-1]:.1f} s "
        f"(lock lifetime {LOCK_LIFETIME} s)"
    )
    assert stalls[-1] < LOCK_LIFETIME + 20

    stack.check(talks, references)
    # The event broker: Rasa publishes a turn's events from background tasks
    # without waiting, so the last turns a replica answered just before SIGKILL
    # can be missing from the queue (at most once), while the tracker store has
    # them. Only those may be missing; nothing may be there more often than sent.
    victim_url = urls[1]

    def broker_gaps() -> tuple[dict, dict]:
        by_sender = broker_user_texts(stack_events(stack))
        missing, extra = {}, {}
        for t in talks:
            log = client.sent[t.sender]
            queued = Counter(by_sender.get(t.sender, []))
            answered = Counter(s.text for s in log if s.answered)
            if answered - queued:
                missing[t.sender] = answered - queued
            if queued - Counter(s.text for s in log):
                extra[t.sender] = queued - Counter(s.text for s in log)
        return missing, extra

    wait_for(lambda: not broker_gaps()[0], 30, interval=0.5)
    missing, extra = broker_gaps()
    print(f"broker: messages missing from the queue {dict(missing)}")
    assert not extra, extra
    for sender, texts_missing in missing.items():
        by_victim = {
            s.text for s in client.sent[sender] if s.answered and s.url == victim_url
        }
        assert set(texts_missing) <= by_victim, (sender, texts_missing)
    victim.start()  # back for the next test (it loads meanwhile)


def stack_events(stack: FaultStack) -> list[dict]:
    """Every broker event so far (kept across calls: draining acknowledges)."""
    stack.broker_events.extend(st.drain_queue(stack.cluster.queue))
    return stack.broker_events


# --------------------------------------------------------------------------- #
# The Rasa server restarts
# --------------------------------------------------------------------------- #


def test_rasa_server_restarts_sigterm_and_sigkill_conversations_continue(
    stack: FaultStack,
):
    cluster = stack.cluster
    first, second = cluster.replicas
    if not second.alive:
        second.start()
    cluster.wait_ready(first, second)
    gentle = Conversation(stack.on(0), "fault-restart-term", "review").open().answer(3)
    hard = Conversation(stack.on(1), "fault-restart-kill", "likely").open().answer(3)

    # SIGTERM between turns.
    first.stop()
    # SIGKILL during a turn: the turn is held inside the action server's database
    # write, the replica dies, then the write goes through (the action server is
    # alive) while Rasa never saved the turn.
    pending = hard.pending
    lock = TableLock(cluster.env["DATABASE_URL"], "answers")
    try:
        thread, outcome = send_in_background(lambda s, m: hard.answer(), "", "")
        assert wait_for(lock.someone_waits, 30), "the turn never reached the write"
        second.stop(hard=True)
    finally:
        lock.release()
    thread.join(60)
    assert "error" in outcome, "the killed replica answered"
    assert hard.pending == pending

    first.start()
    second.start()
    cluster.wait_ready(first, second)

    gentle.answer()
    hard.answer()  # the same answer again: the person got no reply
    assert hard.pending != pending, texts(hard.replies)
    gentle.finish()
    hard.finish()
    references = {hard.sender: refer(stack.on(1), hard.sender)}
    stack.check([gentle, hard], references)


# --------------------------------------------------------------------------- #
# The recorder's retry, without servers
# --------------------------------------------------------------------------- #


def test_a_recorder_write_is_retried_while_the_database_is_unreachable(
    settings, monkeypatch: pytest.MonkeyPatch
):
    from datetime import date

    from sqlalchemy.exc import IntegrityError, OperationalError

    from bot.screening.conversation import evaluate_state
    from bot.screening.criteria import load_trial
    from bot.store import repository
    from bot.store.db import create_all, make_engine
    from bot.store.models import Screening
    from bot.store.recorder import ScreeningRecorder

    trial = load_trial()
    engine = make_engine(settings.database_url)
    create_all(engine)
    recorder = ScreeningRecorder(settings, engine, trial, retry_seconds=10)
    real = repository.get_or_start_screening
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) <= 2:  # as psycopg2 reports a server that went away
            raise OperationalError("SELECT 1", {}, Exception("server closed"))
        return real(*args, **kwargs)

    monkeypatch.setattr(repository, "get_or_start_screening", flaky)
    answers = {"age": {"value": 45, "text": "45", "unknown": False}}
    evaluation = evaluate_state(trial, answers, date.today())
    reference = recorder.sync(
        sender_id="s", channel="rest", answers=answers, evaluation=evaluation
    )
    assert len(calls) == 3 and reference.startswith("SCR-")
    with session_scope(engine) as session:
        assert session.query(Screening).count() == 1

    def broken(*args, **kwargs):
        calls.append(1)
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    monkeypatch.setattr(repository, "get_or_start_screening", broken)
    calls.clear()
    with pytest.raises(IntegrityError):  # not a lost connection: not retried
        recorder.sync(
            sender_id="s", channel="rest", answers=answers, evaluation=evaluation
        )
    assert len(calls) == 1
    engine.dispose()
