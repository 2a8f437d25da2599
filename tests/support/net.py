"""Network helpers shared by the tests: free ports and a real SMTP server on loopback.

A plain module (not a conftest) so test modules anywhere under tests/ can import it.
"""

from __future__ import annotations

import dataclasses
import socket

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPProtocol
from aiosmtpd.smtp import Envelope
from aiosmtpd.smtp import Session as SMTPSession


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RecordingHandler:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(
        self, server: SMTPProtocol, session: SMTPSession, envelope: Envelope
    ) -> str:
        """Accept and record a message."""
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@dataclasses.dataclass
class SMTPServer:
    """A real SMTP server on loopback, started and stopped on demand.

    Attributes:
        port: Its port on 127.0.0.1 (reserved even while stopped).
        handler: Records the messages received.
    """

    port: int
    handler: RecordingHandler = dataclasses.field(default_factory=RecordingHandler)
    _controller: Controller | None = None

    @property
    def messages(self) -> list[Envelope]:
        """The messages received so far."""
        return self.handler.envelopes

    def start(self) -> None:
        """Start listening (no-op if running)."""
        if self._controller is None:
            self._controller = Controller(
                self.handler, hostname="127.0.0.1", port=self.port
            )
            self._controller.start()

    def stop(self) -> None:
        """Stop listening (no-op if stopped)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


# --------------------------------------------------------------------------- #
# Settings and keys
# --------------------------------------------------------------------------- #
