"""The Rasa server serves on a listening socket its supervisor holds, instead of binding the port itself.

Rasa's `serve_application` calls `Sanic.run(host=..., port=...)`, so every restart closes the port: while a
killed Rasa reloads its model (about 8 s) every new connection is refused. supervisord's `fcgi-program` binds
the port once and hands the socket to each new process as file descriptor 0; connections made while Rasa
restarts wait in the socket's backlog and are answered once the model is loaded. `apply(fd)` makes
`Sanic.run` use that socket. Only `make run` (scripts/run.sh, through painfaq/serving/supervision.py) sets
PAINFAQ_LISTEN_FD: with Sanic workers (the production profile) a killed parent's draining workers keep the old
socket and supervisord cannot bind the port again. Tested by tests/reliability/test_supervision.py.
"""

from __future__ import annotations

import socket
from typing import Any

from painfaq.rasa_patches.replacing import replace

_PATCHED = "_painfaq_listen_socket"


def apply(fd: int) -> None:
    """Make `Sanic.run` serve on the listening socket `fd` (idempotent)."""
    from sanic import Sanic

    if getattr(Sanic.run, _PATCHED, False):
        return
    listening = socket.socket(fileno=fd)
    if listening.type != socket.SOCK_STREAM:
        raise ValueError(f"file descriptor {fd} is not a listening TCP socket")
    listening.set_inheritable(True)
    original = Sanic.run

    def run(self: Sanic, *args: Any, **kwargs: Any) -> None:
        kwargs["sock"] = listening
        original(self, *args, **kwargs)

    setattr(run, _PATCHED, True)
    replace(Sanic, "run", run)
