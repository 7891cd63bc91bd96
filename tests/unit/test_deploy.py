"""Deployment units: the container entrypoint's commands and the container health check."""

from __future__ import annotations

import importlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from painfaq.serving import container
from tests.harness.stack import free_port


def test_each_server_has_its_command(monkeypatch, tmp_path):
    monkeypatch.setattr(container, "newest_model", lambda: "models/painfaq-x.tar.gz")
    env: dict = {"RASA_PORT": "6005"}
    rasa = container.command("rasa", env)
    assert rasa[1:4] == ["-m", "painfaq.serving.rasa_server", "run"]
    assert "models/painfaq-x.tar.gz" in rasa and "6005" in rasa and "endpoints.production.yml" in rasa
    actions = container.command("actions", env)
    assert actions[1:3] == ["-m", "painfaq.serving.action_server"] and env["SANIC_HOST"] == "0.0.0.0"
    assert "--host" in container.command("staff", env)
    with pytest.raises(SystemExit):
        container.command("shell", env)


class _Handler(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("status, expected", [(200, 0), (503, 1)])
def test_health_check_asks_the_server_that_listens(monkeypatch, status, expected):
    handler = type("Handler", (_Handler,), {"status": status})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("RASA_PORT", str(free_port()))  # nothing listens: not this container's server
        monkeypatch.setenv("ACTION_PORT", str(server.server_address[1]))
        monkeypatch.setenv("WEB_PORT", str(free_port()))
        from painfaq.serving import healthcheck

        assert importlib.reload(healthcheck).check() == expected
    finally:
        server.shutdown()


def test_health_check_fails_when_nothing_listens(monkeypatch):
    for name in ("RASA_PORT", "ACTION_PORT", "WEB_PORT"):
        monkeypatch.setenv(name, str(free_port()))
    from painfaq.serving import healthcheck

    assert importlib.reload(healthcheck).check() == 1
