"""`python -m painfaq.serving.action_server --actions actions --port 5055`: the rasa_sdk action server, locked down.

The one action-server launcher, for `make run` and the production profile. Workers: rasa_sdk reads
ACTION_SERVER_SANIC_WORKERS (Rasa reads SANIC_WORKERS).

Same command line and behaviour as `python -m rasa_sdk`, plus:

* **Loopback by default**: it listens on 127.0.0.1 unless `SANIC_HOST` (rasa_sdk's own variable) says
  otherwise; only the Rasa server needs to reach it.
* **Shared secret**: when `ACTION_SERVER_TOKEN` is set, `/webhook` and `/actions` answer 401 unless the
  request carries `Authorization: Bearer <token>`. The Rasa server sends that header when it runs with the
  project's channel (painfaq.serving.channel) and the same variable. `/health` stays open (it reveals nothing).
  scripts/run.sh generates a random token per run when none is set.
* **No echo**: rasa_sdk answers an exception with `{"error": ..., "request_body": <the whole tracker>}`,
  i.e. the user's messages; here the answer is `{"error": "internal error"}` and the log has the type.
* Identifiers masked in log records (painfaq.privacy); request bodies capped at 10 MB.
* No TensorFlow/JAX loaded, content and safety net loaded at start (painfaq/rasa_patches/speedups.py).
"""

from __future__ import annotations

import hmac
import logging
import os
from typing import Any

import pluggy

from painfaq import rasa_patches, settings
from painfaq.serving import supervision

logger = logging.getLogger(__name__)

OPEN_PATHS = frozenset({"/health"})


def token_ok(header: str, token: str) -> bool:
    scheme, _, value = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


def harden(app: Any) -> Any:
    """Add the token check and the non-echoing error handler to a rasa_sdk Sanic app."""
    from sanic import response

    token = settings.ACTION_SERVER_TOKEN.text()

    @app.middleware("request")
    async def require_token(request: Any) -> Any:
        if token and request.path not in OPEN_PATHS and not token_ok(request.headers.get("authorization", ""), token):
            return response.json(
                {"error": "unauthorized", "message": "This action server only answers the Rasa server."}, status=401
            )
        return None

    async def on_error(request: Any, exception: Exception) -> Any:
        status = getattr(exception, "status_code", 500) or 500
        if status >= 500:
            logger.error("action server error on %s %s: %s", request.method, request.path, type(exception).__name__)
        return response.json({"error": "internal error" if status >= 500 else type(exception).__name__}, status=status)

    app.error_handler.add(Exception, on_error)

    async def die_with_parent(_app: Any, _loop: Any) -> None:
        # A worker must not outlive its main process (painfaq.serving.supervision.die_with_parent).
        supervision.die_with_parent()

    app.register_listener(die_with_parent, "before_server_start")
    return app


class _HardeningPlugin:
    """rasa_sdk's plugin hook (`attach_sanic_app_extensions`): harden the app rasa_sdk creates, no patch."""

    @pluggy.HookimplMarker("rasa_sdk")
    def attach_sanic_app_extensions(self, app: Any) -> None:
        harden(app)


_PLUGIN = _HardeningPlugin()


def install() -> None:
    """Register the hardening with rasa_sdk; log masking; loopback default (idempotent)."""
    from rasa_sdk.plugin import plugin_manager

    from painfaq.privacy import install_log_masking

    install_log_masking()
    os.environ.setdefault("SANIC_HOST", "127.0.0.1")
    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", str(10 * 1024 * 1024))
    if not plugin_manager().is_registered(_PLUGIN):
        plugin_manager().register(_PLUGIN, name="painfaq.serving.action_server")


def main() -> None:
    # Before rasa_sdk is imported: no TensorFlow/JAX, the actions' data loaded before workers fork.
    rasa_patches.apply_all("action_server")
    install()
    from rasa_sdk.__main__ import main as sdk_main

    sdk_main()


if __name__ == "__main__":
    main()
