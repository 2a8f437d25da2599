"""The web widget's channel: Rasa's socket.io connector, with session persistence
that works.

Rasa 3.6's :class:`rasa.core.channels.socketio.SocketIOInput` calls
``sio.enter_room(...)`` without ``await``. Since python-socketio 5.10 (the project
pins 5.18) that method is a coroutine on the asyncio server, so the call never
runs ("coroutine ... was never awaited"): with ``session_persistence: true`` the
browser never joins its session's room, and every reply, sent to that room, is
lost. This subclass replaces the ``session_request`` handler with one that awaits
it, and accepts only a well-formed session id (the widget sends 32 hex digits).

It also replaces the ``user_uttered`` handler, to add what the REST channel has
(:mod:`channels.rest`, :mod:`channels.limits`): per-sender (session) and
per-address rate limits (a message over a limit is not passed to Rasa; the person
gets the catalogue's ``too_fast`` message as a ``bot_uttered`` event), messages cut
to ``MAX_MESSAGE_CHARS``, and the ``no_reply`` message when a turn produced no
reply at all (say the action server is down). The client's address is the
connection's (``X-Forwarded-For`` only behind ``TRUSTED_PROXY_COUNT`` proxies).
Custom payloads (``json_message`` in an action, ``custom`` in Rasa) reach the browser
as one ``bot_uttered`` event holding the payload: the erasure's confirmation is
followed by ``{"erased": true}``, on which the widget forgets its stored copy of
the conversation (``actions/erase_data.py``). Rasa's own output would pass the
payload's keys to ``AsyncServer.emit`` as arguments, which raises for any key but
``data``, ``room``, ...: the turn would fail after its text was sent, and the
tracker, with the erasure's mark, would not be saved.

Language: the widget sends its language with every message, as the metadata
``{"language": "zh"}`` once it was chosen (its 中文 / English switch, ``?lang=``,
``data-lang``) and as ``{"language_hint": "en"}`` before (the page's language), so
that a message typed in Chinese on the English page still gets Chinese answers
(:mod:`bot.screening.language`). When a message chooses another language than the
one the widget sent (a typed "中文" or "English please", Chinese script without a
choice), the widget is told before the answers arrive, by a ``bot_uttered`` event
``{"language": "zh"}``, and changes its own labels to match: the channel decides
with the same function as the NLU (``message_language``), so the two agree. The
``too_fast`` and ``no_reply`` messages are in the message's language too.

Everything else, including the channel's name ``socketio``, is Rasa's.

Credentials (``credentials.yml``)::

    channels.socketio.SocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import uuid
from typing import Any, Awaitable, Callable, Dict, cast

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput
from sanic import Blueprint

from bot.screening.language import (
    METADATA_CHOICE,
    conversation_language,
    message_language,
    normalize,
)
from bot.settings import load_settings
from channels.base import kind_text
from channels.limits import LimitedChannel, client_address, cut

logger = logging.getLogger(__name__)

_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
#: The key of the ``bot_uttered`` event telling the widget the conversation's
#: language changed (``{"language": "zh"}``).
LANGUAGE_MARK = "language"


def session_id_of(data: Any) -> str:
    """The session id the client asked for, or a new one when it is not usable."""
    wanted = data.get("session_id") if isinstance(data, dict) else None
    if isinstance(wanted, str) and _SESSION_ID.match(wanted):
        return wanted
    return uuid.uuid4().hex


class CountingOutput(SocketIOOutput):
    """Rasa's socket.io output, counting the messages of one turn, with custom
    payloads sent as the event's data."""

    def __init__(self, sio: Any, bot_message_evt: str) -> None:
        """Wrap ``sio``; nothing sent yet."""
        super().__init__(sio, bot_message_evt)
        self.sent = 0

    async def _send_message(self, socket_id: str, response: Any) -> None:
        self.sent += 1
        await super()._send_message(socket_id, response)

    async def send_custom_json(
        self,
        recipient_id: str,
        json_message: object,  # Rasa declares a dict; an action may send anything
        **kwargs: Any,
    ) -> None:
        """One ``bot_uttered`` event whose data is the payload, to the session's
        room. Not counted as a reply (it shows nothing); a failure is logged and
        does not fail the turn."""
        if not isinstance(json_message, dict):
            logger.warning("socketio: a custom payload that is not an object; dropped")
            return
        try:
            await self.sio.emit(
                self.bot_message_evt, dict(json_message), room=recipient_id
            )
        except Exception as error:  # noqa: BLE001 - the text was sent; carry on
            logger.error(
                "socketio: could not send a custom payload (%s)", type(error).__name__
            )


class SocketIOInput(LimitedChannel, RasaSocketIOInput):
    """socket.io at ``/socket.io``, for the web widget (name ``socketio``)."""

    def address(self, sid: str) -> str | None:
        """The client address of a socket.io connection."""
        assert self.sio is not None
        try:
            environ = self.sio.get_environ(sid, namespace=self.namespace) or {}
        except (KeyError, ValueError):
            return None
        request = environ.get("sanic.request")
        return client_address(
            getattr(request, "ip", None),
            environ.get("HTTP_X_FORWARDED_FOR"),
            self.limiter.settings.trusted_proxies,
        )

    def get_output_channel(self) -> CountingOutput | None:
        """For messages sent outside a turn: the same output as in a turn."""
        if self.sio is None:
            # Rasa's (untyped): warns that it cannot be recreated, returns None.
            return cast("CountingOutput | None", super().get_output_channel())
        return CountingOutput(self.sio, self.bot_message_evt)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Rasa's blueprint, with a ``session_request`` handler that joins the room."""
        blueprint: Blueprint = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None  # set by Rasa's blueprint()
        self._limit_origins(sio)

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

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            await self.handle_message(on_new_message, sid, data)

        return blueprint

    def _limit_origins(self, sio: Any) -> None:
        """Refuse connections from browsers on other sites.

        Rasa creates its socket.io server with ``cors_allowed_origins=[]``, which
        turns python-socketio's origin check off: any web page could open a
        conversation. With ``SOCKETIO_ALLOWED_ORIGINS`` set (``scripts/run.sh``
        sets it to the widget's origins, as it gives Rasa's ``--cors``), a
        connection whose ``Origin`` header is not in the list is refused.
        Clients that send no ``Origin`` (not browsers) are not affected. The
        check is done on connect rather than through python-socketio's own
        option, which would add CORS headers twice (Rasa's ``--cors`` adds them).
        """
        origins = allowed_origins()
        if not origins:
            return
        namespace = self.namespace or "/"
        rasa_connect = sio.handlers.get(namespace, {}).get("connect")

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: Dict[str, Any], auth: Any = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if origin and origin.rstrip("/") not in origins:
                logger.info("socketio: refused a connection from another origin")
                return False
            if rasa_connect is None:
                return True
            allowed: bool = await rasa_connect(sid, environ, auth)
            return allowed

    async def handle_message(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sid: str,
        data: Any,
    ) -> None:
        """One message from the widget: limits, the cut, Rasa, then ``no_reply``
        if Rasa sent nothing. (Rasa's handler, plus those.)"""
        sio = self.sio
        assert sio is not None
        data = data if isinstance(data, dict) else {}
        if self.session_persistence:
            sender_id = data.get("session_id")
            if not isinstance(sender_id, str) or not sender_id:
                logger.warning("socketio: a message without a session id; ignored")
                return
        else:
            sender_id = sid
        text = data.get("message")
        text = text if isinstance(text, str) else ""
        metadata = metadata_of(data, self.metadata_key) or {}
        language = conversation_language(None, text, metadata)
        decision = await self.limiter.check(sender_id, self.address(sid))
        if not decision:
            logger.info("socketio: a message over the %s limit", decision.limit)
            await sio.emit(
                self.bot_message_evt,
                {"text": kind_text("too_fast", language)},
                room=sid,
                namespace=self.namespace,
            )
            return
        text = cut(text, self.limiter.max_chars)
        await self.tell_language(sender_id, text, metadata)
        output = CountingOutput(sio, self.bot_message_evt)
        try:
            await on_new_message(
                UserMessage(
                    text,
                    output,
                    sender_id,
                    input_channel=self.name(),
                    metadata=metadata,
                )
            )
        except Exception as error:  # noqa: BLE001 - answer the person anyway
            logger.error(
                "socketio: could not handle a message (%s)", type(error).__name__
            )
            logger.debug("details", exc_info=True)
        if output.sent == 0:
            logger.warning("socketio: a turn produced no reply; sent no_reply")
            await output._send_message(
                sender_id, {"text": kind_text("no_reply", language)}
            )

    async def tell_language(
        self, room: str, text: str, metadata: Dict[str, Any]
    ) -> str | None:
        """Tell the widget when this message chooses another language than the one
        it sent as its choice; the language chosen, or None."""
        chosen = message_language(text, metadata)
        if chosen is None or chosen == normalize(metadata.get(METADATA_CHOICE)):
            return None
        assert self.sio is not None
        try:
            await self.sio.emit(
                self.bot_message_evt,
                {LANGUAGE_MARK: chosen},
                room=room,
                namespace=self.namespace,
            )
        except Exception as error:  # noqa: BLE001 - the turn goes on regardless
            logger.error(
                "socketio: could not send the language (%s)", type(error).__name__
            )
        return chosen


def allowed_origins() -> frozenset[str]:
    """``SOCKETIO_ALLOWED_ORIGINS`` (space-separated); empty: no origin check."""
    raw = load_settings().socketio_allowed_origins
    return frozenset(o.rstrip("/") for o in raw.split() if o and o != "*")


def metadata_of(data: Dict[str, Any], key: str | None) -> Dict[str, Any] | None:
    """The message's metadata (an object, or JSON text of one), else ``None``."""
    metadata = data.get(key or "metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return None
    return metadata if isinstance(metadata, dict) else None
