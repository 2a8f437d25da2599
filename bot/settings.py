"""Every setting of the domain core, read in one place from environment variables.

``load_settings()`` builds an immutable :class:`Settings` from a mapping (the process
environment by default) and has no side effects: it creates no directory and reads or
writes no key. The contact-encryption key is resolved later, on first use, by
:func:`load_contact_key`, which generates ``var/contact.key`` once when neither
``CONTACT_KEY`` nor the key file exists.

``.env.example`` at the project root lists the names. The channels, the action server,
the analytics consumer and the command line read their variables here too (fields of
:class:`Settings`); nothing else in the product reads the environment.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

#: The project root: ``bot/`` lives directly under it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})

#: The longest message the assistant reads, in characters: the channels cut a longer
#: one to ``MAX_MESSAGE_CHARS`` (the variable may lower or raise it) before Rasa sees
#: it, and the NLU's input guard, the answer parser, the stored answer text and the
#: emergency check never look past this many characters. Nobody's answer needs more;
#: the cut keeps a 10,000-character message harmless. (How long a *reply* may be on
#: each platform, where the connectors split it, is a different thing.)
MAX_MESSAGE_CHARS = 2000

# Domain separation for the key derived from the contact key (see sender_secret()).
_SENDER_SECRET_INFO = b"prescreening/sender-key/v1"


@dataclass(frozen=True)
class Settings:
    """The domain core's configuration. Build it with :func:`load_settings`.

    Attributes:
        database_url: SQLAlchemy URL; a relative SQLite path is made absolute
            against the project root.
        smtp_host: SMTP server for referral notifications.
        smtp_port: Its port.
        smtp_user: Login name, or ``None`` for no login.
        smtp_password: Login password, or ``None``.
        smtp_starttls: Whether to upgrade the connection with STARTTLS.
        mail_from: Sender address of notification mail.
        site_contact_name: The study's contact person, shown to patients.
        site_contact_org: The site, shown to patients.
        site_contact_email: Where referral notifications go.
        site_contact_phone: The site's phone number; empty when none is published.
        console_base_url: Base URL of the staff console, used in notification links.
        site_language: The site's language, ``"zh"`` (Beijing) or ``"en"``: the
            referral e-mail is written in it, and the staff console starts in it
            until a person chooses.
        emergency_number: Local emergency phone number given to patients.
        contact_key: A Fernet key (URL-safe base64) for contact details, or ``None``
            to use ``contact_key_file``.
        contact_key_file: Where the generated key is kept when ``contact_key`` is
            unset (absolute).
        outbox_max_attempts: Delivery attempts before an outbox message is left for
            a human to look at.
        retention_days: How long the transcript and answers of a screening that
            led to no referral are kept (``python -m bot retention``).
        tracker_db_url: Rasa's SQL tracker store (transcripts), read by the staff
            console; a relative SQLite path is taken from the project root.
        console_host: Interface the staff console listens on.
        console_port: Its port.
        console_secure_cookies: Mark the console's cookies ``Secure`` (sent over
            HTTPS only). Defaults to on when ``console_base_url`` is https.
        session_idle_minutes: A console session ends after this much inactivity.
        session_max_hours: ... and this long after sign-in, whatever the activity.
        login_max_failures: Failed sign-ins in a row that lock an account ...
        lockout_minutes: ... for this long.
        max_message_chars: ``MAX_MESSAGE_CHARS``: the channels cut longer messages.
        rate_limit_per_sender: ``RATE_LIMIT_PER_SENDER`` as written (``count/seconds``
            or ``off``; unset: the default of ``channels.limits``).
        rate_limit_per_address: ``RATE_LIMIT_PER_ADDRESS``, likewise.
        rate_limit_exempt: ``RATE_LIMIT_EXEMPT``, addresses or networks no limit
            applies to (set but empty: none).
        rate_limit_redis_url: ``RATE_LIMIT_REDIS_URL``: Redis for the shared limits.
        trusted_proxy_count: ``TRUSTED_PROXY_COUNT``: proxies in front of Rasa.
        channel_state_redis_url: ``CHANNEL_STATE_REDIS_URL`` (else the rate limits'
            Redis): the messaging channels' shared state.
        socketio_allowed_origins: ``SOCKETIO_ALLOWED_ORIGINS`` (space-separated).
        widget_host: ``WIDGET_HOST``: interface of the widget page's server.
        widget_port: ``WIDGET_PORT``: its port.
        rasa_public_url: ``RASA_PUBLIC_URL``, else Rasa on ``RASA_PORT`` locally:
            where the widget's browser reaches Rasa.
        widget_keep_minutes: ``WIDGET_KEEP_MINUTES``.
        rabbitmq_host: ``RABBITMQ_HOST``: the event broker (analytics consumer).
        rabbitmq_port: ``RABBITMQ_PORT`` as written (checked by
            ``bot.jobs.analytics.load_broker_config``); ``None`` when unset.
        rabbitmq_user: ``RABBITMQ_USER``.
        rabbitmq_password: ``RABBITMQ_PASSWORD``.
        rasa_event_queue: ``RASA_EVENT_QUEUE``.
        action_host: ``ACTION_HOST``: interface of the action server.
        action_port: ``ACTION_PORT``: its port.
        action_server_token: ``ACTION_SERVER_TOKEN``: the token Rasa must send.
        log_level: ``LOG_LEVEL`` of the action server.
        staff_password: ``STAFF_PASSWORD`` for ``python -m bot create-admin``.
    """

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'screening.db'}"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    mail_from: str = "prescreening@localhost"
    site_contact_name: str = "Ming Shi, PhD (Principal Investigator)"
    site_contact_org: str = (
        "Beijing 302 Hospital (the Fifth Medical Center, Chinese PLA General "
        "Hospital), Beijing, China"
    )
    site_contact_email: str = "study-team@localhost"
    site_contact_phone: str = ""
    console_base_url: str = "http://127.0.0.1:8080"
    site_language: str = "zh"
    emergency_number: str = "120"
    contact_key: str | None = field(default=None, repr=False)
    contact_key_file: Path = PROJECT_ROOT / "var" / "contact.key"
    outbox_max_attempts: int = 10
    retention_days: int = 90
    tracker_db_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"
    console_host: str = "127.0.0.1"
    console_port: int = 8080
    console_secure_cookies: bool = False
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    login_max_failures: int = 5
    lockout_minutes: int = 15
    max_message_chars: int = MAX_MESSAGE_CHARS
    rate_limit_per_sender: str | None = None
    rate_limit_per_address: str | None = None
    rate_limit_exempt: str = "127.0.0.1 ::1"
    rate_limit_redis_url: str | None = None
    trusted_proxy_count: int = 0
    channel_state_redis_url: str | None = None
    socketio_allowed_origins: str = ""
    widget_host: str = "127.0.0.1"
    widget_port: int = 8081
    rasa_public_url: str = "http://127.0.0.1:5005"
    widget_keep_minutes: int = 120
    rabbitmq_host: str = "127.0.0.1"
    rabbitmq_port: str | None = None
    rabbitmq_user: str = "guest"
    rabbitmq_password: str = field(default="guest", repr=False)
    rasa_event_queue: str = "rasa_core_events"
    action_host: str = "127.0.0.1"
    action_port: int = 5055
    action_server_token: str | None = field(default=None, repr=False)
    log_level: str = "INFO"
    staff_password: str | None = field(default=None, repr=False)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from environment variables, with defaults.

    Args:
        env: The variables to read; the process environment by default. Empty
            values count as unset for optional secrets.

    Returns:
        The settings.

    Raises:
        ValueError: A variable holds a value of the wrong kind (the message names
            the variable, never its value).
    """
    env = os.environ if env is None else env
    defaults = Settings()
    return Settings(
        database_url=resolve_database_url(
            env.get("DATABASE_URL") or "sqlite:///var/screening.db"
        ),
        smtp_host=env.get("SMTP_HOST") or defaults.smtp_host,
        smtp_port=_int(env, "SMTP_PORT", defaults.smtp_port),
        smtp_user=env.get("SMTP_USER") or None,
        smtp_password=env.get("SMTP_PASSWORD") or None,
        smtp_starttls=_bool(env, "SMTP_STARTTLS", defaults.smtp_starttls),
        mail_from=env.get("MAIL_FROM") or defaults.mail_from,
        site_contact_name=env.get("SITE_CONTACT_NAME") or defaults.site_contact_name,
        site_contact_org=env.get("SITE_CONTACT_ORG") or defaults.site_contact_org,
        site_contact_email=(
            env.get("SITE_CONTACT_EMAIL") or defaults.site_contact_email
        ),
        site_contact_phone=env.get("SITE_CONTACT_PHONE", defaults.site_contact_phone),
        console_base_url=(
            env.get("CONSOLE_BASE_URL") or defaults.console_base_url
        ).rstrip("/"),
        site_language=_language(env, "SITE_LANGUAGE", defaults.site_language),
        emergency_number=env.get("EMERGENCY_NUMBER") or defaults.emergency_number,
        contact_key=env.get("CONTACT_KEY") or None,
        contact_key_file=_path(env.get("CONTACT_KEY_FILE") or "var/contact.key"),
        outbox_max_attempts=_int(
            env, "OUTBOX_MAX_ATTEMPTS", defaults.outbox_max_attempts, minimum=1
        ),
        retention_days=_int(env, "RETENTION_DAYS", defaults.retention_days, minimum=1),
        tracker_db_url=resolve_database_url(_tracker_db_url(env)),
        console_host=env.get("CONSOLE_HOST") or defaults.console_host,
        console_port=_int(env, "CONSOLE_PORT", defaults.console_port, minimum=1),
        console_secure_cookies=_bool(
            env,
            "CONSOLE_SECURE_COOKIES",
            (env.get("CONSOLE_BASE_URL") or "").lower().startswith("https://"),
        ),
        session_idle_minutes=_int(
            env, "SESSION_IDLE_MINUTES", defaults.session_idle_minutes, minimum=1
        ),
        session_max_hours=_int(
            env, "SESSION_MAX_HOURS", defaults.session_max_hours, minimum=1
        ),
        login_max_failures=_int(
            env, "LOGIN_MAX_FAILURES", defaults.login_max_failures, minimum=1
        ),
        lockout_minutes=_int(
            env, "LOGIN_LOCKOUT_MINUTES", defaults.lockout_minutes, minimum=1
        ),
        max_message_chars=_int(
            env, "MAX_MESSAGE_CHARS", defaults.max_message_chars, minimum=1
        ),
        rate_limit_per_sender=env.get("RATE_LIMIT_PER_SENDER"),
        rate_limit_per_address=env.get("RATE_LIMIT_PER_ADDRESS"),
        rate_limit_exempt=env.get("RATE_LIMIT_EXEMPT", defaults.rate_limit_exempt),
        rate_limit_redis_url=env.get("RATE_LIMIT_REDIS_URL") or None,
        trusted_proxy_count=_int(env, "TRUSTED_PROXY_COUNT", 0),
        channel_state_redis_url=env.get("CHANNEL_STATE_REDIS_URL") or None,
        socketio_allowed_origins=env.get("SOCKETIO_ALLOWED_ORIGINS", ""),
        widget_host=env.get("WIDGET_HOST") or defaults.widget_host,
        widget_port=_int(env, "WIDGET_PORT", defaults.widget_port),
        rasa_public_url=(
            env.get("RASA_PUBLIC_URL")
            or f"http://127.0.0.1:{env.get('RASA_PORT') or '5005'}"
        ).rstrip("/"),
        widget_keep_minutes=_int(
            env, "WIDGET_KEEP_MINUTES", defaults.widget_keep_minutes
        ),
        rabbitmq_host=env.get("RABBITMQ_HOST") or defaults.rabbitmq_host,
        rabbitmq_port=env.get("RABBITMQ_PORT"),
        rabbitmq_user=env.get("RABBITMQ_USER") or defaults.rabbitmq_user,
        rabbitmq_password=env.get("RABBITMQ_PASSWORD") or defaults.rabbitmq_password,
        rasa_event_queue=env.get("RASA_EVENT_QUEUE") or defaults.rasa_event_queue,
        action_host=env.get("ACTION_HOST") or defaults.action_host,
        action_port=_int(env, "ACTION_PORT", defaults.action_port),
        action_server_token=env.get("ACTION_SERVER_TOKEN") or None,
        log_level=env.get("LOG_LEVEL", defaults.log_level),
        staff_password=env.get("STAFF_PASSWORD") or None,
    )


#: The languages the site may be run in (``SITE_LANGUAGE``).
SITE_LANGUAGES: tuple[str, ...] = ("zh", "en")


def _language(env: Mapping[str, str], name: str, default: str) -> str:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw not in SITE_LANGUAGES:
        raise ValueError(f"{name} must be one of {', '.join(SITE_LANGUAGES)}")
    return raw


def environment() -> Mapping[str, str]:
    """The process environment, for the ``${NAME}`` references of
    ``credentials.yml`` (``channels.common.channel_config``): names chosen by whoever
    writes that file, so they cannot be fields of :class:`Settings`."""
    return os.environ


def _tracker_db_url(env: Mapping[str, str]) -> str:
    """``TRACKER_DB_URL``; else ``TRACKER_DB`` (the SQLite file ``scripts/run.sh``
    hands to Rasa's tracker store); else ``var/tracker.db``."""
    if env.get("TRACKER_DB_URL"):
        return env["TRACKER_DB_URL"]
    if env.get("TRACKER_DB"):
        return f"sqlite:///{_path(env['TRACKER_DB'])}"
    return "sqlite:///var/tracker.db"


def resolve_database_url(url: str) -> str:
    """Make a relative SQLite file path absolute against the project root.

    Other URLs, and in-memory SQLite, are returned unchanged.

    Args:
        url: A SQLAlchemy database URL.

    Returns:
        The URL, with an absolute path when it names a SQLite file.
    """
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database:
        return url
    if database == ":memory:" or database.startswith("file:"):
        return url
    if os.path.isabs(database):
        return url
    absolute = str(PROJECT_ROOT / database)
    rendered: str = parsed.set(database=absolute).render_as_string(hide_password=False)
    return rendered


def load_contact_key(settings: Settings) -> bytes:
    """Return the Fernet key that encrypts contact details, creating it if needed.

    ``CONTACT_KEY`` wins when set. Otherwise the key is read from
    ``CONTACT_KEY_FILE``, which is generated on first use with mode 0600. Creation is
    atomic (write a private temporary file, then hard-link it into place), so two
    processes starting together end up with the same key.

    Args:
        settings: The settings naming the key or the key file.

    Returns:
        The key, as URL-safe base64 bytes accepted by ``cryptography.fernet.Fernet``.

    Raises:
        ValueError: The configured key is not a valid Fernet key.
    """
    if settings.contact_key:
        key = settings.contact_key.strip().encode("ascii")
    else:
        key = _read_or_create_key_file(settings.contact_key_file)
    _check_fernet_key(key)
    return key


def sender_secret(settings: Settings) -> bytes:
    """Return the secret for keyed hashes of channel sender ids.

    It is derived from the contact key with HKDF-SHA256 under its own label, so the
    deployment has one secret to keep, and a sender key reveals nothing about the
    encryption key.

    Args:
        settings: The settings naming the contact key.

    Returns:
        32 secret bytes for :func:`bot.store.repository.sender_key`.
    """
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    raw = base64.urlsafe_b64decode(load_contact_key(settings))
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=_SENDER_SECRET_INFO
    )
    return hkdf.derive(raw)


def _read_or_create_key_file(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    from cryptography.fernet import Fernet

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key() + b"\n")
        os.link(tmp, path)  # fails if another process got there first
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes().strip()


def _check_fernet_key(key: bytes) -> None:
    try:
        raw = base64.urlsafe_b64decode(key)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ValueError(
            "CONTACT_KEY / CONTACT_KEY_FILE does not hold a Fernet key "
            "(32 bytes, URL-safe base64)"
        )


def _path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError(f"{name} must be an integer") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false")
