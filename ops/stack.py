"""Start, stop and restart the assistant's servers as separate processes.

Used by the production tests (replicas, faults, fuzzing) and by the benchmark
(``scripts/bench.py``). Two back ends:

* ``sqlite_env``: what ``make run`` uses (SQLite tracker store and application
  database in a folder, in-memory locks, no broker);
* ``production_env``: ``deploy/endpoints.production.yml`` against real services:
  PostgreSQL (a fresh tracker database and application database, dropped by
  :meth:`ProductionDatabases.drop`), Redis locks (a key prefix of its own) and a
  RabbitMQ queue of its own.

Every process writes its output to a log file in the work folder; a process that
dies while being waited for raises with the log's tail.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "current.tar.gz"
BIN = Path(sys.executable).parent
PRODUCTION_ENDPOINTS = ROOT / "deploy" / "endpoints.production.yml"

#: Where the tests and the benchmark find the services (this machine's defaults).
POSTGRES_ADMIN_URL = os.environ.get(
    "POSTGRES_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
RABBITMQ_HOST, RABBITMQ_PORT = "127.0.0.1", 5672


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(work: Path, **extra: str) -> dict[str, str]:
    """The environment every server process gets (SQLite back end)."""
    from cryptography.fernet import Fernet

    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{work / 'app.db'}",
        "TRACKER_DB": str(work / "tracker.db"),
        "CONTACT_KEY": Fernet.generate_key().decode(),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(free_port()),
    }
    env.update(extra)
    return env


@dataclass
class ProductionDatabases:
    """The PostgreSQL databases of one production-style stack."""

    app: str
    tracker: str
    admin_url: str = POSTGRES_ADMIN_URL

    @classmethod
    def create(cls, prefix: str = "prescreen") -> ProductionDatabases:
        """Create two empty databases with unique names."""
        tag = uuid.uuid4().hex[:10]
        made = cls(f"{prefix}_app_{tag}", f"{prefix}_tracker_{tag}")
        with _admin(made.admin_url) as connection:
            from sqlalchemy import text

            for name in (made.app, made.tracker):
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        return made

    def url(self, name: str) -> str:
        """A SQLAlchemy URL of one of the databases."""
        from sqlalchemy.engine import make_url

        return (
            make_url(self.admin_url)
            .set(database=name)
            .render_as_string(hide_password=False)
        )

    def drop(self) -> None:
        """Drop both databases (connections are closed by force)."""
        from sqlalchemy import text

        with _admin(self.admin_url) as connection:
            for name in (self.app, self.tracker):
                connection.execute(
                    text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                )


def _admin(url: str):
    from sqlalchemy import create_engine

    engine = create_engine(
        url,
        future=True,
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 3},
    )

    class _Ctx:
        def __enter__(self):
            self.connection = engine.connect()
            return self.connection

        def __exit__(self, *exc: Any) -> None:
            self.connection.close()
            engine.dispose()

    return _Ctx()


def services_missing() -> str | None:
    """Why the production services cannot be used here, or None if they can."""
    import socket

    for name, host, port in (
        ("PostgreSQL", "127.0.0.1", 5432),
        ("Redis", REDIS_HOST, REDIS_PORT),
        ("RabbitMQ", RABBITMQ_HOST, RABBITMQ_PORT),
    ):
        try:
            socket.create_connection((host, port), timeout=2).close()
        except OSError as exc:
            return f"{name} not reachable at {host}:{port}: {exc}"
    return None


def production_env(
    work: Path, databases: ProductionDatabases, **extra: str
) -> dict[str, str]:
    """Environment for ``deploy/endpoints.production.yml`` on this machine."""
    from sqlalchemy.engine import make_url

    admin = make_url(databases.admin_url)
    tag = uuid.uuid4().hex[:8]
    env = base_env(
        work,
        DATABASE_URL=databases.url(databases.app),
        TRACKER_DB_URL=databases.url(databases.tracker),
        TRACKER_DB_HOST=admin.host or "127.0.0.1",
        TRACKER_DB_PORT=str(admin.port or 5432),
        TRACKER_DB_NAME=databases.tracker,
        TRACKER_DB_USER=admin.username or "postgres",
        TRACKER_DB_PASSWORD=admin.password or "",
        REDIS_HOST=REDIS_HOST,
        REDIS_PORT=str(REDIS_PORT),
        REDIS_LOCK_DB="0",
        REDIS_PASSWORD="",
        RABBITMQ_HOST=RABBITMQ_HOST,
        RABBITMQ_PORT=str(RABBITMQ_PORT),
        RABBITMQ_USER="guest",
        RABBITMQ_PASSWORD="guest",
        RASA_EVENT_QUEUE=f"rasa_events_{tag}",
        RASA_EVENT_EXCHANGE=f"rasa_exchange_{tag}",
        ACTION_SERVER_TOKEN=uuid.uuid4().hex,
    )
    env.pop("TRACKER_DB", None)
    env.update(extra)
    return env


def wait_until_up(
    url: str,
    seconds: float,
    proc: subprocess.Popen | None,
    log: Path,
    *,
    name: str | None = None,
) -> None:
    """Poll ``url`` until it answers with a success status.

    Raises RuntimeError with the end of ``log`` when ``proc`` exits first or
    ``seconds`` pass. The one wait loop of the servers the tests and scripts start.
    """
    name = name or url
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{name} died:\n{log_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise RuntimeError(f"{name} not up after {seconds}s:\n{log_tail(log)}")


def log_tail(log: Path, chars: int = 4000) -> str:
    """The end of a log file ("" when it does not exist yet)."""
    try:
        return log.read_text(errors="replace")[-chars:]
    except FileNotFoundError:
        return ""


@dataclass
class Server:
    """One server process: how to start it, where it listens, its log."""

    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    health_url: str
    proc: subprocess.Popen | None = None
    _handles: list[Any] = field(default_factory=list)

    def start(self) -> Server:
        """Start the process (appending to its log)."""
        handle = self.log.open("a")
        self._handles.append(handle)
        self.proc = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def wait_ready(self, seconds: float = 300) -> Server:
        """Wait until the health URL answers; raise if the process dies first."""
        wait_until_up(self.health_url, seconds, self.proc, self.log, name=self.name)
        return self

    def stop(self, *, hard: bool = False) -> None:
        """Stop the process: SIGTERM (or SIGKILL when ``hard``), then wait."""
        if self.proc is None or self.proc.poll() is not None:
            return
        sig = signal.SIGKILL if hard else signal.SIGTERM
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def close(self) -> None:
        """Stop and close the log handles."""
        self.stop()
        for handle in self._handles:
            handle.close()
        self._handles.clear()

    @property
    def alive(self) -> bool:
        """Whether the process is running."""
        return self.proc is not None and self.proc.poll() is None

    def tail(self, chars: int = 4000) -> str:
        """The end of the log."""
        return log_tail(self.log, chars)

    @property
    def pid(self) -> int:
        """The process id (of a started server)."""
        assert self.proc is not None
        return self.proc.pid


def action_server(work: Path, env: dict[str, str], port: int | None = None) -> Server:
    """The action server (``python -m actions.server``: loopback, and a token when
    ``ACTION_SERVER_TOKEN`` is set), not yet started."""
    port = port or free_port()
    return Server(
        "actions",
        [str(BIN / "python"), "-m", "actions.server", "--port", str(port)],
        {**env, "ACTION_PORT": str(port)},
        work / f"actions-{port}.log",
        f"http://127.0.0.1:{port}/health",
    )


def rasa_server(
    work: Path,
    env: dict[str, str],
    *,
    action_port: int,
    port: int | None = None,
    endpoints: Path | str = "endpoints.yml",
    credentials: Path | str = "credentials.yml",
    model: Path = MODEL,
    extra_args: list[str] | None = None,
    name: str = "rasa",
) -> Server:
    """A Rasa server (``rasa run``), not yet started."""
    port = port or free_port()
    server_env = {
        **env,
        "ACTION_PORT": str(action_port),
        "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook",
        "RASA_PORT": str(port),
    }
    return Server(
        name,
        [
            str(BIN / "rasa"),
            "run",
            "--model",
            str(model),
            "--port",
            str(port),
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(credentials),
            *(extra_args or []),
        ],
        server_env,
        work / f"{name}-{port}.log",
        f"http://127.0.0.1:{port}/",
    )


def rasa_url(server: Server) -> str:
    """The base URL of a Rasa server."""
    return server.health_url.rstrip("/")


def say(
    base_url: str,
    sender: str,
    text: str,
    timeout: float = 120,
    message_id: str | None = None,
) -> list[dict]:
    """One message through the REST channel; the bot's replies.

    ``message_id`` makes a resend of the same message safe (``channels.rest``).
    Raises ``urllib.error.HTTPError`` on an HTTP error status.
    """
    payload = {"sender": sender, "message": text}
    if message_id:
        payload["message_id"] = message_id
    body = json.dumps(payload).encode()
    request = urllib.request.Request(
        f"{base_url}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def _tree(pid: int) -> list:
    """A process and all its descendants (psutil), or [] when it is gone."""
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _sum_over_tree(pid: int, measure) -> float:
    import psutil

    total = 0.0
    for proc in _tree(pid):
        try:
            total += measure(proc)
        except psutil.NoSuchProcess:
            pass
    return total


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    return int(_sum_over_tree(pid, lambda p: p.memory_info().rss))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its descendants."""

    def used(proc) -> float:
        times = proc.cpu_times()
        return times.user + times.system

    return _sum_over_tree(pid, used)


# --------------------------------------------------------------------------- #
# Added for the fault tests: a PostgreSQL cluster of one's own, the event queue
# --------------------------------------------------------------------------- #


def postgres_bindir() -> Path | None:
    """The folder of PostgreSQL's server programs (``initdb``, ``pg_ctl``), if any.

    ``PG_BINDIR`` first, then Debian's ``/usr/lib/postgresql/<version>/bin`` (the
    newest), then ``initdb`` on the ``PATH``.
    """
    import shutil

    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates.extend(debian)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


@dataclass
class TemporaryPostgres:
    """A PostgreSQL cluster of its own (``initdb`` in a temporary folder).

    For tests that stop and start the database: the machine's server is shared and
    must never be stopped. Runs as the ``postgres`` system user when started by
    root (PostgreSQL refuses to run as root), with trust authentication on
    127.0.0.1 only and its socket in its own folder. :meth:`remove` stops it and
    deletes the folder.
    """

    root: Path
    port: int
    bindir: Path
    user: str | None = None

    @classmethod
    def create(cls, bindir: Path | None = None) -> TemporaryPostgres:
        """Initialise a new cluster on a free port (not yet started).

        Raises ``RuntimeError`` when PostgreSQL's programs are not installed.
        """
        import pwd
        import shutil
        import tempfile

        bindir = bindir or postgres_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL's initdb/pg_ctl not found (set PG_BINDIR)")
        user = None
        root = Path(tempfile.mkdtemp(prefix="prescreen-pg-"))
        if os.geteuid() == 0:
            user = "postgres"
            entry = pwd.getpwnam(user)
            shutil.chown(root, entry.pw_uid, entry.pw_gid)
        made = cls(root, free_port(), bindir, user)
        made._run(
            "initdb",
            "-D",
            str(made.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        return made

    @property
    def data(self) -> Path:
        """The data folder."""
        return self.root / "data"

    @property
    def log(self) -> Path:
        """The server's log."""
        return self.root / "server.log"

    @property
    def admin_url(self) -> str:
        """A SQLAlchemy URL of the ``postgres`` database, as superuser."""
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str, timeout: float = 120) -> None:
        command = [str(self.bindir / program), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=self.root
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
            )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: clean; ``immediate``: as if it crashed)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    @property
    def running(self) -> bool:
        """Whether the server runs (``pg_ctl status``)."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "status", timeout=10)
        except RuntimeError:
            return False
        return True

    def databases(self, prefix: str = "prescreen") -> ProductionDatabases:
        """Create an application and a tracker database on this server."""
        from sqlalchemy import text

        tag = uuid.uuid4().hex[:10]
        made = ProductionDatabases(
            f"{prefix}_app_{tag}", f"{prefix}_tracker_{tag}", self.admin_url
        )
        with _admin(self.admin_url) as connection:
            for name in (made.app, made.tracker):
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        return made

    def remove(self) -> None:
        """Stop the server if it runs, and delete its folder."""
        import shutil

        if self.data.exists() and self.running:
            try:
                self.stop("immediate")
            except RuntimeError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


def drain_queue(name: str) -> list[dict]:
    """Take every message now in a RabbitMQ queue (Rasa's broker events, as JSON).

    The messages are acknowledged, so a second call returns only newer ones.
    """
    import asyncio

    async def drain() -> list[dict]:
        import aio_pika

        connection = await aio_pika.connect(
            host=RABBITMQ_HOST, port=RABBITMQ_PORT, login="guest", password="guest"
        )
        try:
            channel = await connection.channel()
            queue = await channel.declare_queue(name, passive=True)
            taken = []
            while True:
                message = await queue.get(no_ack=True, fail=False)
                if message is None:
                    return taken
                taken.append(json.loads(message.body))
        finally:
            await connection.close()

    return asyncio.run(drain())


def delete_queue(name: str) -> None:
    """Delete a RabbitMQ queue (no error if it does not exist)."""
    import asyncio

    async def delete() -> None:
        import aio_pika

        connection = await aio_pika.connect(
            host=RABBITMQ_HOST, port=RABBITMQ_PORT, login="guest", password="guest"
        )
        try:
            channel = await connection.channel()
            await channel.queue_delete(name)
        finally:
            await connection.close()

    asyncio.run(delete())


def delete_exchange(name: str) -> None:
    """Delete a RabbitMQ exchange (no error if it does not exist)."""
    import asyncio

    async def delete() -> None:
        import aio_pika

        connection = await aio_pika.connect(
            host=RABBITMQ_HOST, port=RABBITMQ_PORT, login="guest", password="guest"
        )
        try:
            channel = await connection.channel()
            await channel.exchange_delete(name)
        finally:
            await connection.close()

    asyncio.run(delete())
