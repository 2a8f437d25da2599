"""The running servers shared by the simulator tests (once per test session).

``tests/e2e/test_simulator.py`` and ``tests/e2e/test_dialogue_loops.py`` load this
module as a plugin (``pytest_plugins = ["support.simulator"]``), so the action server
and the Rasa server (``ops.simulator.running_servers``: ``ops.stack`` on SQLite) start
once for both modules.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ops import simulator
from support.services import need_model


@pytest.fixture(scope="session")
def sim_servers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[simulator.Servers]:
    """An action server and a Rasa server with the trained model, for the session."""
    need_model()
    with simulator.running_servers(tmp_path_factory.mktemp("simulate")) as servers:
        yield servers


@pytest.fixture(scope="session")
def sim_reader(sim_servers: simulator.Servers) -> Iterator[simulator.OutcomeReader]:
    """Reads outcomes from the servers' application database."""
    reader = simulator.OutcomeReader(sim_servers.env)
    try:
        yield reader
    finally:
        reader.close()
