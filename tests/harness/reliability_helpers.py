"""Helpers for the reliability tests and scripts/chaos.py: servers started with chosen
settings, raw HTTP from chosen local addresses."""

from __future__ import annotations

import http.client
import json
import sqlite3
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union
from urllib.parse import urlsplit

import yaml

from painfaq.serving import commands
from tests.harness.stack import (
    REPO_ROOT,
    Server,
    child_env,
    current_model,
    free_ports,
    restart_server,
    wait_until_ready,
)

# own_servers (tests/reliability/conftest.py): short waits for the fault tests; the HTTP API on behind a token (the operator's
# option, tested too).
ACTION_TIMEOUT = 3
API_TOKEN = "test-api-token-" + uuid.uuid4().hex


@dataclass
class Reply:
    status: int
    headers: Dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)

    def texts(self) -> str:
        return "\n".join(m.get("text", "") for m in self.json() if isinstance(m, dict))


def raw_post(
    url: str,
    body: Union[bytes, str, Dict[str, Any]],
    headers: Optional[Dict[str, str]] = None,
    source: Optional[str] = None,
    timeout: float = 60,
    method: str = "POST",
) -> Reply:
    """One HTTP request with http.client (any bytes as the body; optionally from a chosen local address)."""
    parts = urlsplit(url)
    data = body if isinstance(body, bytes) else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
    conn = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=timeout, source_address=(source, 0) if source else None
    )
    started = time.monotonic()
    try:
        conn.request(
            method,
            parts.path or "/",
            body=data if method != "GET" else None,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = conn.getresponse()
        payload = response.read()
        return Reply(
            response.status, {k.lower(): v for k, v in response.getheaders()}, payload, time.monotonic() - started
        )
    finally:
        conn.close()


def say(webhook: str, sender: str, message: str, **kwargs: Any) -> Reply:
    return raw_post(webhook, {"sender": sender, "message": message}, **kwargs)


@dataclass
class Servers:
    """An action server (painfaq.serving.action_server) and a Rasa server (rasa run + credentials.yml)."""

    actions: Server
    rasa: Server
    workdir: Path
    db_path: Path
    endpoints_file: Path

    @property
    def webhook(self) -> str:
        return f"{self.rasa.url}/webhooks/rest/webhook"

    def say(self, sender: str, message: str, **kwargs: Any) -> Reply:
        return say(self.webhook, sender, message, **kwargs)

    def stop(self) -> None:
        for server in (self.rasa, self.actions):
            server.stop()

    def restart(self, server: Server, timeout: float = 240) -> None:
        restart_server(server)
        wait_until_ready([server], timeout)

    def events(self, sender: Optional[str] = None) -> List[Tuple[str, str, str]]:
        """(sender_id, type_name, data) rows of the tracker store, in order."""
        with sqlite3.connect(self.db_path) as conn:
            query = "SELECT sender_id, type_name, data FROM events"
            rows = conn.execute(
                query + (" WHERE sender_id = ? ORDER BY id" if sender else " ORDER BY id"), (sender,) if sender else ()
            ).fetchall()
        return rows

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in (self.actions.log_path, self.rasa.log_path))


def write_endpoints(
    workdir: Path, action_port: int, db_path: Path, tracker_store: Optional[Dict[str, Any]] = None
) -> Path:
    """endpoints.yml with the action server's port and a throwaway SQLite file (or `tracker_store`)."""
    endpoints = yaml.safe_load((REPO_ROOT / "endpoints.yml").read_text())
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{action_port}/webhook"
    endpoints["tracker_store"]["db"] = str(db_path)
    if tracker_store is not None:
        endpoints["tracker_store"] = tracker_store
    path = workdir / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints))
    return path


def rasa_command(
    model: str, port: int, endpoints_file: Path, cors: str, extra: Optional[List[str]] = None
) -> List[str]:
    # Through the launcher, as scripts/run.sh starts it: it applies the changes to Rasa the channel relies on.
    return commands.rasa_command(model, port, endpoints_file, cors=cors, extra=extra or ())


def start_servers(
    env_overrides: Optional[Dict[str, str]] = None,
    extra_rasa_args: Optional[List[str]] = None,
    cors: str = "http://localhost:18080",
    ready_timeout: float = 240,
    tracker_store: Optional[Dict[str, Any]] = None,
    db_url: Optional[str] = None,
) -> Servers:
    """Start both servers as scripts/run.sh does, on free ports, with a throwaway SQLite tracker store
    (or the given `tracker_store` section). The actions' own tables (hand-off requests, feedback) go to
    the same database (PAINFAQ_DB_URL, or `db_url`).
    """
    model = current_model()
    workdir = Path(tempfile.mkdtemp(prefix="painfaq-rel-"))
    db_path = workdir / "tracker.db"
    action_port, rasa_port = free_ports(2)
    endpoints_file = write_endpoints(workdir, action_port, db_path, tracker_store)
    env = child_env()
    env["PAINFAQ_DB_URL"] = db_url or f"sqlite:///{db_path}"
    env.update(env_overrides or {})
    action_cmd = commands.action_server_command(action_port)
    actions = Server(
        "actions",
        f"http://127.0.0.1:{action_port}",
        _spawn(action_cmd, env, workdir / "actions.log"),
        workdir / "actions.log",
        action_cmd,
        env,
        ready_path="/health",
    )
    cmd = rasa_command(model, rasa_port, endpoints_file, cors, extra_rasa_args)
    rasa = Server(
        "rasa", f"http://127.0.0.1:{rasa_port}", _spawn(cmd, env, workdir / "rasa.log"), workdir / "rasa.log", cmd, env
    )
    servers = Servers(actions, rasa, workdir, db_path, endpoints_file)
    try:
        wait_until_ready([actions, rasa], ready_timeout)
    except BaseException:
        servers.stop()
        raise
    return servers


def _spawn(command: List[str], env: Dict[str, str], log_path: Path) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        return subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def non_loopback_address() -> Optional[str]:
    """An IPv4 address of this machine that is not loopback (to prove a server does not listen there)."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(("192.0.2.1", 9))  # TEST-NET-1; UDP connect sends nothing
            address = sock.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address
