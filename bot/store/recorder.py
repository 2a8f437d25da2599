"""What the dialogue records: screenings, answers, verdicts and referrals.

The actions call :class:`ScreeningRecorder`; it maps the conversation's state (the
JSON answers kept in the tracker) onto the database through :mod:`bot.store.repository`.
Each call syncs the whole state, so a turn that could not be written (database
briefly away) is written by the next one: nothing the person said is lost. A write
that fails for want of a connection is also retried for a few seconds
(``retry_seconds``), so that the last turn of a screening (its result, a referral),
which no later turn would repeat, survives a database restart. Both writes are
idempotent, so a retry never records anything twice.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Concatenate, Mapping, ParamSpec, TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from bot import vocab
from bot.jobs import retention
from bot.screening import conversation
from bot.screening.criteria import Trial
from bot.screening.engine import Evaluation
from bot.screening.erasure import CHAT_ACTOR
from bot.settings import Settings, load_settings, sender_secret
from bot.store import db, repository
from bot.store.models import ContactDetails, utcnow

logger = logging.getLogger(__name__)

#: Seconds a write keeps retrying while the database is unreachable. The action
#: server waits meanwhile, so this stays well below Rasa's action timeout.
DB_RETRY_SECONDS = 10.0


def _connection_lost(error: sa_exc.DBAPIError) -> bool:
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return True
    return bool(error.connection_invalidated)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _retried(
    write: Callable[Concatenate[ScreeningRecorder, _P], _R],
) -> Callable[Concatenate[ScreeningRecorder, _P], _R]:
    """Retry a recorder write while the database is unreachable (with backoff)."""

    @functools.wraps(write)
    def retrying(self: ScreeningRecorder, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.25
        while True:
            try:
                return write(self, *args, **kwargs)
            except sa_exc.DBAPIError as error:
                if not _connection_lost(error) or time.monotonic() + delay > deadline:
                    raise
                logger.warning(
                    "database unavailable for %s (%s); retrying in %.2f s",
                    write.__name__,
                    type(error.orig).__name__ if error.orig else type(error).__name__,
                    delay,
                )
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    return retrying


class ScreeningRecorder:
    """Writes one conversation's screening to the application database."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        trial: Trial,
        *,
        retry_seconds: float = DB_RETRY_SECONDS,
    ):
        self.settings = settings
        self.engine = engine
        self.trial = trial
        self.retry_seconds = retry_seconds
        self._secret = sender_secret(settings)

    def sender_key(self, channel: str, sender_id: str) -> str:
        """The keyed hash that identifies a sender without storing their id."""
        return repository.sender_key(self._secret, channel, sender_id)

    @_retried
    def sync(
        self,
        *,
        sender_id: str,
        channel: str,
        answers: Mapping[str, Mapping[str, Any]],
        evaluation: Evaluation,
        respondent: str | None = None,
        relation: str | None = None,
        final_outcome: str | None = None,
        now: datetime | None = None,
    ) -> str:
        """Bring the database in line with the conversation; return the reference.

        Args:
            sender_id: the channel's id for the person (hashed before storing).
            channel: the input channel's name.
            answers: the ``answers`` slot: fact id -> {value, text, unknown, error}.
            evaluation: the engine's evaluation of those answers.
            respondent: "self" or "caregiver", once known.
            relation: the caregiver's relation to the patient, if given.
            final_outcome: set when the screening ends (result shown, or stopped).
            now: the time to record (defaults to now).
        """
        now = now or utcnow()
        with db.session_scope(self.engine) as session:
            screening = repository.get_or_start_screening(
                session,
                sender_key=self.sender_key(channel, sender_id),
                channel=channel,
                criteria_version=self.trial.version,
                trial_id=self.trial.id,
                now=now,
            )
            if screening.conversation_id is None:
                screening.conversation_id = sender_id
            if respondent:
                screening.respondent = respondent
            known = conversation.known_relation(relation)
            if known:
                screening.relation = known
            current = repository.current_answers(session, screening)
            for fact_id, item in answers.items():
                stored = current.get(fact_id)
                if (
                    stored is None
                    or stored.normalized != item.get("value")
                    or stored.as_given != item.get("text")
                    or bool(stored.unknown) != bool(item.get("unknown"))
                ):
                    repository.record_answer(
                        session,
                        screening,
                        fact_id=fact_id,
                        as_given=item.get("text"),
                        normalized=item.get("value"),
                        unknown=bool(item.get("unknown")),
                        error=item.get("error"),
                        now=now,
                    )
            repository.save_verdicts(
                session,
                screening,
                [(r.criterion_id, r.verdict, r.reason) for r in evaluation.results],
                now,
            )
            if final_outcome:
                repository.finish_screening(session, screening, final_outcome, now)
            reference: str = screening.reference
            return reference

    @_retried
    def refer(
        self,
        *,
        sender_id: str,
        channel: str,
        contact: ContactDetails,
        now: datetime | None = None,
    ) -> str:
        """Record a referral with the person's consent, and queue the site's email.

        Idempotent: a second call for the same screening returns the same reference.
        A screening not yet finished (a person who asked for a human before the end)
        is closed as ``incomplete`` first.
        """
        now = now or utcnow()
        with db.session_scope(self.engine) as session:
            key = self.sender_key(channel, sender_id)
            screening = repository.latest_screening(session, key)
            if screening is None:
                screening = repository.get_or_start_screening(
                    session,
                    sender_key=key,
                    channel=channel,
                    criteria_version=self.trial.version,
                    trial_id=self.trial.id,
                    now=now,
                )
            if screening.outcome is None:
                repository.finish_screening(session, screening, vocab.INCOMPLETE, now)
            referral = repository.create_referral(
                session,
                screening,
                name=contact.name,
                phone=contact.phone,
                email=contact.email,
                best_time=contact.best_time,
                consent_at=contact.consent_given_at or now,
                settings=self.settings,
                now=now,
            )
            reference: str = referral.reference
            return reference

    @_retried
    def erase(
        self, *, sender_id: str, channel: str, now: datetime | None = None
    ) -> list[str]:
        """Delete everything recorded about this conversation's person ("delete my
        answers" in the chat); return the deleted screenings' references.

        The same erasure as the console's (``bot.jobs.retention``), audited by reference
        only with the actor :data:`bot.screening.erasure.CHAT_ACTOR`. The transcript is
        left to the tracker store, which deletes it when it saves the turn (see
        ``bot.screening.erasure``): deleting it from here, during the turn, would let
        Rasa's save write the whole conversation back.
        """
        now = now or utcnow()
        with db.session_scope(self.engine) as session:
            report = retention.erase_conversation(
                session,
                None,
                self.sender_key(channel, sender_id),
                actor=CHAT_ACTOR,
                now=now,
            )
            return list(report.references)


_lock = threading.Lock()
_recorder: ScreeningRecorder | None = None


def get_recorder(trial: Trial) -> ScreeningRecorder:
    """The process's recorder, built on first use (never at import time).

    The database is brought to the latest migration the first time.
    """
    global _recorder
    with _lock:
        if _recorder is None:
            settings = load_settings()
            db.upgrade_to_head(settings.database_url)
            engine = db.make_engine(settings.database_url)
            _recorder = ScreeningRecorder(settings, engine, trial)
        return _recorder
