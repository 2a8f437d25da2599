"""Helpers shared by the tests, importable as ``support`` (pyproject: pythonpath).

* :mod:`support.services`: skip when a service is absent, fail under ``CI=true``.
* :mod:`support.net`: free ports, a real SMTP server, a recording log handler.
* :mod:`support.stack`: the action, Rasa and widget servers for the channel tests,
  and the stub platform API; :mod:`support.rest`: the REST end-to-end stack.
* :mod:`support.production`: replicas and faults on PostgreSQL, Redis, RabbitMQ.
* :mod:`support.browser`: headless Chromium.
* :mod:`support.simulator`: the simulator's servers, a pytest plugin.
* :mod:`support.staffdata`: the seeded staff world.

The scripted answers live in :mod:`ops.answers` (the benchmark and the fuzzer use
them too, and ``ops/`` never imports from ``tests/``).
"""

from __future__ import annotations

from ops.stack import MODEL, ROOT

#: Files the tests compare against (vendored schemas, channel payloads, the listing).
FIXTURES = ROOT / "tests" / "fixtures"

__all__ = ["FIXTURES", "MODEL", "ROOT"]
