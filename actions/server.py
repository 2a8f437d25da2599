"""The action server, hardened: ``python -m actions.server``.

``rasa run actions`` binds every interface (``0.0.0.0``, from ``SANIC_HOST``),
allows CORS from any origin, and answers any caller: whoever reaches its port can
run the assistant's actions with a tracker of their own making (write screenings,
send referrals). This runs the same rasa_sdk application (``create_app``), but:

* it binds ``ACTION_HOST`` (default ``127.0.0.1``: only this machine; set it to
  ``0.0.0.0`` in a container, with a token);
* with ``ACTION_SERVER_TOKEN`` set, ``POST /webhook`` and ``GET /actions`` need
  ``?token=<the token>`` (compared in constant time), as Rasa sends it when
  ``endpoints.yml``'s ``action_endpoint`` has ``token:``; a call without it gets
  403. ``GET /health`` stays open (load balancers and ``make run`` poll it);
* no CORS headers (only the Rasa server calls it, never a browser).

Port: ``--port`` or ``ACTION_PORT`` (default 5055). Everything else is rasa_sdk's
(one Sanic worker unless ``ACTION_SERVER_SANIC_WORKERS`` says otherwise).
"""

from __future__ import annotations

import argparse
import hmac
import logging
from collections.abc import Mapping

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.settings import Settings, load_settings

#: Named, not ``__name__``: run with ``-m``, that would be ``__main__``.
logger = logging.getLogger("actions.server")

DEFAULT_HOST = Settings.action_host
DEFAULT_PORT = Settings.action_port
#: Paths anyone may call, token or not.
OPEN_PATHS = frozenset({"/health"})


def token_ok(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a ``?token=`` value with the server's token."""
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


def protect(app: Sanic, token: str | None) -> None:
    """Refuse every call but ``/health`` without ``?token=<token>`` (if a token)."""
    if not token:
        return

    # Sanic 21.12's decorator is unannotated.
    @app.middleware("request")  # type: ignore[no-untyped-call]
    async def check_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        if token_ok(request.args.get("token"), token):
            return None
        logger.warning(
            "action server: refused a %s %s from %s without a valid token",
            request.method,
            request.path,
            request.ip,
        )
        return response.json({"error": "forbidden"}, status=403)


def make_app(package: str = "actions", env: Mapping[str, str] | None = None) -> Sanic:
    """The rasa_sdk application for ``package``, with the token check."""
    from rasa_sdk.endpoint import create_app

    app: Sanic = create_app(package, cors_origins=None)
    protect(app, load_settings(env).action_server_token)
    return app


def main(argv: list[str] | None = None) -> None:
    """Start the action server (blocks until stopped)."""
    from rasa_sdk import utils
    from rasa_sdk.plugin import plugin_manager

    settings = load_settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--port",
        type=int,
        default=settings.action_port,
        help="port to listen on (ACTION_PORT, default 5055)",
    )
    parser.add_argument(
        "--host",
        default=settings.action_host,
        help="address to bind (ACTION_HOST, default 127.0.0.1)",
    )
    parser.add_argument("--actions", default="actions", help="the action package")
    args = parser.parse_args(argv)

    utils.configure_colored_logging(settings.log_level)
    utils.update_sanic_log_level()
    app = make_app(args.actions)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    guarded = "with a token" if settings.action_server_token else "no token"
    logger.info("action server on http://%s:%s (%s)", args.host, args.port, guarded)
    app.run(args.host, args.port, workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    main()
