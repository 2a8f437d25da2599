"""The deployment files (``deploy/``), checked for real without a container engine.

* ``docker-compose.yml``: valid against the Compose Specification's JSON schema
  (vendored, ``tests/fixtures/compose-spec.json``); every reference resolves; Rasa
  runs replicated on the production endpoints with every variable they use; the
  action server is never published on the host; each command exists.
* ``production.env.example``: names every variable the code and the endpoints read,
  with placeholders, not secrets.
* ``helm/*.yaml``: every key exists in the values.yaml of Rasa's charts (vendored
  copies in ``tests/fixtures/``).
* ``Dockerfile``: every COPY source exists.
* ``endpoints.production.yml``: Rasa itself reads it and builds its SQL tracker
  store, Redis lock store and Pika event broker against the local PostgreSQL, Redis
  and RabbitMQ; a saved tracker comes back, a lock is taken, and the events Rasa
  streams to RabbitMQ come out of the queue into the screening analytics.
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import FIXTURES, ROOT
from support.services import need_service

DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
ENV_EXAMPLE = DEPLOY / "production.env.example"
ENDPOINTS = DEPLOY / "endpoints.production.yml"
VAR = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)")


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _env_example() -> dict[str, str]:
    names: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f"not NAME=value: {line!r}"
            assert name not in names, f"{name} twice"
            names[name] = value
    return names


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The compose file, parsed."""
    return _yaml(COMPOSE)


# --------------------------------------------------------------------------- #
# Compose
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "path", sorted([*DEPLOY.glob("*.yml"), *DEPLOY.glob("helm/*.yaml")]), ids=str
)
def test_every_yaml_file_parses(path: Path) -> None:
    assert isinstance(_yaml(path), dict)


def test_compose_file_is_valid_against_the_compose_spec(
    compose: dict[str, Any],
) -> None:
    import jsonschema

    schema = json.loads((FIXTURES / "compose-spec.json").read_text())
    jsonschema.validate(compose, schema)
    # And the validator does reject what the specification forbids.
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**compose, "servicez": {}}, schema)


def test_compose_references_resolve(compose: dict[str, Any]) -> None:
    services = compose["services"]
    volumes = set(compose.get("volumes") or {})
    networks = set(compose.get("networks") or {})
    configs = set(compose.get("configs") or {})
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        depends = service.get("depends_on") or {}
        for dependency in depends:
            assert dependency in services, f"{name} depends on unknown {dependency}"
        for volume in service.get("volumes") or []:
            source = (
                volume.split(":")[0] if isinstance(volume, str) else volume["source"]
            )
            if source.startswith((".", "/")):
                assert (DEPLOY / source).exists(), f"{name}: {source} missing"
            else:
                assert source in volumes, f"{name}: volume {source} not declared"
        for network in service.get("networks") or []:
            assert network in networks, f"{name}: network {network} not declared"
        for config in service.get("configs") or []:
            assert config["source"] in configs, f"{name}: config {config} missing"
        for env_file in service.get("env_file") or []:
            # The real file holds secrets and is never committed: its template is.
            assert (DEPLOY / f"{env_file}.example").is_file(), f"{name}: {env_file}"
        build = service.get("build")
        if build:
            context = (DEPLOY / build["context"]).resolve()
            assert context == ROOT
            assert (context / build["dockerfile"]).is_file()


def test_rasa_is_replicated_on_the_production_endpoints(
    compose: dict[str, Any],
) -> None:
    rasa = compose["services"]["rasa"]
    assert rasa["deploy"]["replicas"] >= 2
    # Replicas cannot share a container name or a host port.
    assert "container_name" not in rasa and "ports" not in rasa
    command = " ".join(rasa["command"])
    assert "--endpoints deploy/endpoints.production.yml" in command
    assert "--enable-api" not in command
    provided = _env_example()
    assert "production.env" in rasa["env_file"]
    needed = set(VAR.findall(ENDPOINTS.read_text()))
    assert needed >= {"TRACKER_DB_HOST", "REDIS_HOST", "RABBITMQ_HOST"}
    missing = needed - {k for k, v in provided.items() if v}
    assert not missing, f"endpoints.production.yml needs {sorted(missing)}"
    # The proxy in front of the replicas really points at them.
    proxy = compose["configs"]["proxy-nginx"]["content"]
    assert "server rasa:5005" in proxy and "ip_hash" in proxy
    assert "rasa" in compose["services"]["proxy"]["depends_on"]


def test_the_action_server_is_not_published(compose: dict[str, Any]) -> None:
    actions = compose["services"]["actions"]
    assert "ports" not in actions
    assert actions.get("network_mode") != "host"
    assert "5055" in [str(port) for port in actions["expose"]]
    env = _env_example()
    assert env["ACTION_SERVER_URL"] == "http://actions:5055/webhook"
    assert env["ACTION_SERVER_TOKEN"], "the action server must require a token"


def test_every_service_of_the_stack_is_there_with_a_real_command(
    compose: dict[str, Any],
) -> None:
    from bot.__main__ import main

    services = compose["services"]
    assert {
        "postgres",
        "redis",
        "rabbitmq",
        "rasa",
        "actions",
        "outbox",
        "console",
        "widget",
        "analytics",
    } <= set(services)
    for name, service in services.items():
        command = service.get("command")
        if not command or command[0] != "python":
            continue
        assert command[1] == "-m"
        module = command[2].replace(".", "/")
        assert (ROOT / f"{module}.py").is_file() or (
            ROOT / module / "__main__.py"
        ).is_file(), f"{name}: no module {command[2]}"
        if command[2] == "bot":
            with pytest.raises(SystemExit) as exit_info:
                main([command[3], "--help"])
            assert exit_info.value.code == 0, f"{name}: no command {command[3]}"
    for name in (
        "postgres",
        "redis",
        "rabbitmq",
        "rasa",
        "actions",
        "console",
        "widget",
    ):
        assert "healthcheck" in services[name], name


# --------------------------------------------------------------------------- #
# The environment file
# --------------------------------------------------------------------------- #


def _settings_names() -> set[str]:
    source = (ROOT / "bot" / "settings.py").read_text()
    return set(re.findall(r"""env(?:\.get\(|, )"([A-Z][A-Z0-9_]+)""", source)) | set(
        re.findall(r"""env\["([A-Z][A-Z0-9_]+)"\]""", source)
    )


def test_env_example_names_every_variable_the_code_reads() -> None:
    names = set(_env_example())
    # STAFF_PASSWORD: a one-off for create-admin, never kept in a file.
    from_settings = _settings_names() - {"STAFF_PASSWORD"}
    assert {"DATABASE_URL", "CONTACT_KEY", "TRACKER_DB_URL"} <= from_settings
    dot_env = {
        line.partition("=")[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    } - {"STAFF_PASSWORD"}  # a one-off for create-admin, never kept in a file
    analytics = {
        "RABBITMQ_HOST",
        "RABBITMQ_PORT",
        "RABBITMQ_USER",
        "RABBITMQ_PASSWORD",
        "RASA_EVENT_QUEUE",
    }
    action_server = {"ACTION_HOST", "ACTION_PORT", "ACTION_SERVER_TOKEN"}
    missing = (from_settings | dot_env | analytics | action_server) - names
    assert not missing, sorted(missing)


def test_env_example_holds_placeholders_not_secrets() -> None:
    env = _env_example()
    secret = re.compile(r"PASSWORD|TOKEN|SECRET|_KEY$|_PASS$|_SID$")
    for name, value in env.items():
        if secret.search(name) and value:
            assert value.startswith("CHANGE-"), f"{name} holds a value"
        if value.startswith("postgresql"):
            assert ":CHANGE-" in value, f"{name} holds a password"
    # The key placeholder is not a usable Fernet key: services refuse to start.
    from bot.settings import load_contact_key, load_settings

    with pytest.raises(ValueError):
        load_contact_key(load_settings({"CONTACT_KEY": env["CONTACT_KEY"]}))
    # The passwords the services are given equal those the clients use.
    assert env["RABBITMQ_DEFAULT_PASS"] == env["RABBITMQ_PASSWORD"]
    assert env["POSTGRES_PASSWORD"] == env["TRACKER_DB_PASSWORD"]
    assert f":{env['POSTGRES_PASSWORD']}@" in env["DATABASE_URL"]
    assert env["TRACKER_DB_URL"].endswith(f"/{env['TRACKER_DB_NAME']}")


# --------------------------------------------------------------------------- #
# Helm values
# --------------------------------------------------------------------------- #


def _unknown_keys(mine: Any, chart: Any, path: str = "") -> list[str]:
    """Keys set in ``mine`` that the chart's values do not have.

    Below a key whose chart value is a free-form map or list (``{}``, ``[]``) or a
    scalar, anything goes: that is where the chart takes user content.
    """
    if not isinstance(mine, dict) or not isinstance(chart, dict) or not chart:
        return []
    unknown = []
    for key, value in mine.items():
        where = f"{path}.{key}" if path else str(key)
        if key not in chart:
            unknown.append(where)
        else:
            unknown.extend(_unknown_keys(value, chart[key], where))
    return unknown


@pytest.mark.parametrize(
    ("values", "chart"),
    [
        ("values.yaml", "rasa-chart-values.yaml"),
        ("action-server-values.yaml", "rasa-action-server-chart-values.yaml"),
    ],
)
def test_helm_values_use_only_keys_of_the_chart(values: str, chart: str) -> None:
    mine = _yaml(DEPLOY / "helm" / values)
    reference = _yaml(FIXTURES / chart)
    assert _unknown_keys(mine, reference) == []
    # The check itself catches a misspelt key, nested or not.
    assert _unknown_keys({"replicaCount": 2, "replicas": 2}, reference) == ["replicas"]
    assert _unknown_keys(
        {"applicationSettings": {"port": 1, "prot": 2}}, reference
    ) == ["applicationSettings.prot"]


def test_helm_rasa_values_wire_the_production_stores() -> None:
    values = _yaml(DEPLOY / "helm" / "values.yaml")
    endpoints = values["applicationSettings"]["endpoints"]
    assert values["replicaCount"] >= 2
    assert values["applicationSettings"]["enableAPI"] is False
    assert "--enable-api" not in values["args"]
    assert endpoints["trackerStore"]["dialect"] == "postgresql"
    assert endpoints["lockStore"]["enabled"]
    assert endpoints["lockStore"]["type"] == "stores.lock_store.RedisTicketLockStore"
    assert (
        endpoints["trackerStore"]["type"]
        == "stores.tracker_store.ResilientSQLTrackerStore"
    )
    assert endpoints["eventBroker"]["enabled"]
    assert endpoints["eventBroker"]["type"] == "pika"
    assert endpoints["additionalEndpoints"]["action_endpoint"]["token"]
    # The chart must not render a second action endpoint (without our token).
    assert not values["rasa-action-server"]["install"]
    assert not values["rasa-action-server"]["external"]["enabled"]
    used = set(VAR.findall(yaml.safe_dump(endpoints)))
    given = {item["name"] for item in values["extraEnv"]}
    assert used and used <= given, sorted(used - given)


# --------------------------------------------------------------------------- #
# Dockerfile
# --------------------------------------------------------------------------- #


def test_dockerfile_copy_sources_exist() -> None:
    lines = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    copies = [shlex.split(line)[1:] for line in lines if line.startswith("COPY ")]
    assert copies
    checked = 0
    for words in copies:
        if any(word.startswith("--from=") for word in words):
            continue
        for source in words[:-1]:
            assert (ROOT / source).exists(), f"COPY {source}: not in the project"
            checked += 1
    assert checked >= 10
    text = (DEPLOY / "Dockerfile").read_text()
    assert text.startswith("# syntax=") and "FROM python:3.10-slim" in text
    assert "pip install --no-cache-dir -r requirements.lock" in text
    assert "python -m nlu_ext.spacy_rules build build/spacy-trial-en" in text
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    assert {".venv/", "var/", ".env", "models/"} <= set(ignored)


# --------------------------------------------------------------------------- #
# Rasa on the production endpoints, against the real services
# --------------------------------------------------------------------------- #


@pytest.fixture
def production_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """``ops.stack.production_env`` in this process's environment (fresh databases,
    a queue of its own); skipped without the services, failed under ``CI=true``."""
    from ops.stack import ProductionDatabases, production_env, services_missing

    reason = services_missing()
    if reason:
        need_service(reason)
    databases = ProductionDatabases.create("deploytest")
    env = production_env(tmp_path, databases, ACTION_SERVER_URL="http://127.0.0.1:1/")
    for name in set(VAR.findall(ENDPOINTS.read_text())):
        monkeypatch.setenv(name, env[name])
    try:
        yield env
    finally:
        asyncio.run(_delete_queue(env))
        databases.drop()


async def _delete_queue(env: dict[str, str]) -> None:
    import aio_pika

    connection = await aio_pika.connect_robust(_amqp_url(env))
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(env["RASA_EVENT_QUEUE"])


def _amqp_url(env: dict[str, str]) -> str:
    return (
        f"amqp://{env['RABBITMQ_USER']}:{env['RABBITMQ_PASSWORD']}"
        f"@{env['RABBITMQ_HOST']}:{env['RABBITMQ_PORT']}/"
    )


def test_rasa_reads_the_production_endpoints(production_env: dict[str, str]) -> None:
    from rasa.core.utils import AvailableEndpoints

    endpoints = AvailableEndpoints.read_endpoints(str(ENDPOINTS))
    tracker = endpoints.tracker_store
    assert tracker.type == "stores.tracker_store.ResilientSQLTrackerStore"
    assert tracker.kwargs["dialect"] == "postgresql"
    assert tracker.url == production_env["TRACKER_DB_HOST"]
    assert tracker.kwargs["db"] == production_env["TRACKER_DB_NAME"]
    assert endpoints.lock_store.type == "stores.lock_store.RedisTicketLockStore"
    assert endpoints.lock_store.kwargs["key_prefix"] == "prescreen"
    assert endpoints.event_broker.type == "pika"
    assert endpoints.event_broker.kwargs["queues"] == [
        production_env["RASA_EVENT_QUEUE"]
    ]
    assert endpoints.action.token == production_env["ACTION_SERVER_TOKEN"]


def test_rasa_stores_work_against_the_services(
    production_env: dict[str, str], tmp_path: Path
) -> None:
    """Rasa's own objects from the endpoints: a tracker saved in PostgreSQL comes
    back, a conversation lock is taken in Redis, and the events Rasa streams to
    RabbitMQ are consumed into the screening analytics."""
    asyncio.run(_exercise_stores(production_env, tmp_path))


async def _exercise_stores(env: dict[str, str], tmp_path: Path) -> None:
    import aio_pika
    from rasa.core.brokers.broker import EventBroker
    from rasa.core.brokers.pika import PikaEventBroker
    from rasa.core.lock_store import LockStore, RedisLockStore
    from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
    from rasa.core.utils import AvailableEndpoints
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.jobs import analytics
    from bot.store.db import (
        make_engine,
        make_session_factory,
        session_scope,
        upgrade_to_head,
    )

    endpoints = AvailableEndpoints.read_endpoints(str(ENDPOINTS))
    broker = await EventBroker.create(endpoints.event_broker)
    assert isinstance(broker, PikaEventBroker)
    # TrackerStore.create falls back to an in-memory store on errors: check the type.
    store = TrackerStore.create(
        endpoints.tracker_store, domain=Domain.empty(), event_broker=broker
    )
    assert isinstance(store, SQLTrackerStore)
    assert type(store).__name__ == "ResilientSQLTrackerStore"
    assert store.engine.dialect.name == "postgresql"
    assert store.engine.url.database == env["TRACKER_DB_NAME"]
    locks = LockStore.create(endpoints.lock_store)
    assert isinstance(locks, RedisLockStore)
    assert type(locks).__name__ == "RedisTicketLockStore"
    try:
        sender = f"deploy-test-{uuid.uuid4().hex}"
        tracker = DialogueStateTracker.from_events(
            sender,
            [
                ActionExecuted("action_listen", timestamp=1_764_100_000.0),
                UserUttered(
                    "hello there",
                    intent={"name": "greet", "confidence": 0.98},
                    input_channel="rest",
                    timestamp=1_764_100_001.0,
                ),
                ActionExecuted("utter_greet", timestamp=1_764_100_002.0),
                BotUttered("Hello!", timestamp=1_764_100_003.0),
            ],
        )
        assert locks.key_prefix == "prescreen:lock:"
        async with locks.lock(sender) as lock:
            # The lock lives in Redis, under our prefix, and we hold it.
            assert locks.red.exists(f"prescreen:lock:{sender}")
            stored_lock = locks.get_lock(sender)
            assert stored_lock is not None
            assert stored_lock.is_locked(lock.last_issued + 1)  # a second caller waits
            await store.save(tracker)
        back = await store.retrieve(sender)
        assert back is not None
        assert [e.as_dict()["event"] for e in back.events][-3:] == [
            "user",
            "action",
            "bot",
        ]
        assert back.latest_message.intent["name"] == "greet"

        # Rasa streamed the four new events to the queue (publishing runs in the
        # background: wait for them).
        connection = await aio_pika.connect_robust(_amqp_url(env))
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(env["RASA_EVENT_QUEUE"], durable=True)
            for _ in range(100):
                if queue.declaration_result.message_count >= 4:
                    break
                await asyncio.sleep(0.1)
                queue = await channel.declare_queue(
                    env["RASA_EVENT_QUEUE"], durable=True
                )
            assert queue.declaration_result.message_count == 4
    finally:
        await broker.close()
        store.engine.dispose()

    url = f"sqlite:///{tmp_path / 'analytics.db'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        stats = await analytics.consume(
            analytics.load_broker_config(env),
            make_session_factory(engine),
            b"k" * 32,
            idle_exit=2.0,
        )
        assert (stats.stored, stats.rejected) == (4, 0)
        with session_scope(engine) as session:
            summary = analytics.summarise(session)
        assert summary.conversations == 1
        assert summary.messages_per_channel == {"rest": 1}
        assert summary.intent_counts == {"greet": 1}
    finally:
        engine.dispose()
