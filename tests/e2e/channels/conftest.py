"""The servers the channel tests share: started once for both modules here.

Rasa takes one to three minutes to load the model on this machine, so the messaging
tests and the browser test use one stack: the action server, the Rasa server with
every channel of ``credentials.yml`` enabled (test secrets in the environment, the
platforms' APIs pointed at a stub on loopback, SMS parts capped at 320 characters)
and ``--cors`` restricted to the widget's origin, and the widget server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from support.services import need_model
from support.stack import (
    ROOT,
    SECRETS,
    SMS_LIMIT,
    Stack,
    StubAPI,
    free_port,
    running_stack,
)


@pytest.fixture(scope="session")
def api() -> Iterator[StubAPI]:
    """The stub Telegram / Twilio / Graph API."""
    stub = StubAPI()
    stub.start()
    yield stub
    stub.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, api: StubAPI) -> Iterator[Stack]:
    """The running servers (see the module docstring)."""
    need_model()
    work = tmp_path_factory.mktemp("channels")
    # The project's credentials.yml with SMS parts capped. A text edit: dumping the
    # YAML again would unquote the "${...}" values, which Rasa would then expand.
    block = "channels.twilio.SmsInput:\n"
    text = (ROOT / "credentials.yml").read_text()
    assert block in text
    credentials = work / "credentials.yml"
    credentials.write_text(text.replace(block, f"{block}  max_chars: {SMS_LIMIT}\n"))
    assert yaml.safe_load(credentials.read_text())[block[:-2]]["max_chars"]
    env = {
        **SECRETS,
        "TELEGRAM_API_URL": api.url,
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/webhooks/telegram/webhook",
        "TWILIO_API_URL": api.url,
        "FACEBOOK_GRAPH_URL": f"{api.url}/v18.0",
    }
    widget_port = free_port()
    with running_stack(
        work,
        env,
        credentials,
        cors=[f"http://127.0.0.1:{widget_port}"],
        widget_port=widget_port,
    ) as running:
        yield running
