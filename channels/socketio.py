"""The web widget's channel: Rasa's socket.io connector, with session persistence
that works.

Rasa 3.6's :class:`rasa.core.channels.socketio.SocketIOInput` calls
``sio.enter_room(...)`` without ``await``. Since python-socketio 5.10 (the project
pins 5.18) that method is a coroutine on the asyncio server, so the call never
runs ("coroutine ... was never awaited"): with ``session_persistence: true`` the
browser never joins its session's room, and every reply, sent to that room, is
lost. This subclass replaces the ``session_request`` handler with one that awaits
it, and accepts only a well-formed session id (the widget sends 32 hex digits).
Everything else, including the channel's name ``socketio``, is Rasa's.

Credentials (``credentials.yml``)::

    channels.socketio.SocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true
"""

from __future__ import annotations

import inspect
import logging
import re
import uuid
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from sanic import Blueprint

logger = logging.getLogger(__name__)

_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def session_id_of(data: Any) -> str:
    """The session id the client asked for, or a new one when it is not usable."""
    wanted = data.get("session_id") if isinstance(data, dict) else None
    if isinstance(wanted, str) and _SESSION_ID.match(wanted):
        return wanted
    return uuid.uuid4().hex


class SocketIOInput(RasaSocketIOInput):
    """socket.io at ``/socket.io``, for the web widget (name ``socketio``)."""

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Rasa's blueprint, with a ``session_request`` handler that joins the room."""
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None  # set by Rasa's blueprint()

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            session_id = session_id_of(data)
            if self.session_persistence:
                joined = sio.enter_room(sid, session_id, namespace=self.namespace)
                if inspect.isawaitable(joined):  # python-socketio >= 5.10
                    await joined
            await sio.emit(
                "session_confirm", session_id, room=sid, namespace=self.namespace
            )

        return blueprint
