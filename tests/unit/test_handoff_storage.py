"""Hand-off storage and webhook delivery: the database is found like Rasa finds it, requests are stored
before anything else, a local test HTTP server stands in for the helpdesk (up, flaky, down)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List

import pytest
import sqlalchemy as sa

from painfaq.stores import db
from painfaq.support import handoff

ROOT = Path(__file__).resolve().parents[2]
TRANSCRIPT = [
    {
        "role": "user",
        "text": "what dose of ibuprofen should i take?",
        "timestamp": 1767261600.0,
        "intent": "out_of_scope",
    },
    {"role": "bot", "text": "Sorry, I can only answer ...", "timestamp": 1767261601.0, "type": "out_of_scope"},
    {"role": "user", "text": "jane.doe@example.org", "timestamp": 1767261602.0},
]


class Helpdesk:
    """A local webhook receiver. `fail_first` requests get HTTP 500 before it starts accepting."""

    def __init__(self, fail_first: int = 0, port: int = 0):
        self.received: List[Dict[str, Any]] = []
        self.headers: List[Dict[str, str]] = []
        self.fail_first = fail_first
        desk = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if desk.fail_first > 0:
                    desk.fail_first -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                desk.received.append(json.loads(body))
                desk.headers.append(dict(self.headers))
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/handoff?token=s3cret"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def helpdesk():
    desk = Helpdesk()
    yield desk
    desk.stop()


def closed_port_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks/handoff"


def settings(url, **kw) -> handoff.WebhookSettings:
    return handoff.WebhookSettings(
        url=url,
        attempts=kw.get("attempts", 3),
        backoff=kw.get("backoff", 0.01),
        timeout=kw.get("timeout", 2),
        token=kw.get("token"),
    )


def the_row(engine):
    with engine.connect() as connection:
        [row] = list(connection.execute(sa.select(db.handoff_requests)))
    return row


# ---------------------------------------------------------------- which database


def test_sqlite_path_is_relative_to_the_repo_root(tmp_path, monkeypatch):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: rasa_tracker.db\n")
    monkeypatch.delenv("PAINFAQ_DB_URL", raising=False)
    monkeypatch.setenv("PAINFAQ_ENDPOINTS", str(endpoints))
    url = db.database_url()
    assert url.drivername == "sqlite" and url.database == str(ROOT / "rasa_tracker.db")


def test_postgresql_url_is_built_like_rasa_builds_it(monkeypatch):
    from rasa.core.tracker_store import SQLTrackerStore

    monkeypatch.setenv("DB_PASSWORD", "p@ss:word/1")
    # As endpoints.production.yml writes it: `url` is the host, values from the environment (strings).
    monkeypatch.setenv("DB_PORT", "5433")
    config = {
        "type": "SQL",
        "dialect": "postgresql",
        "url": "db.internal",
        "port": "${DB_PORT}",
        "db": "rasa",
        "username": "rasa",
        "password": "${DB_PASSWORD}",
        "login_db": "postgres",
    }
    ours = db.url_from_tracker_store(db.expand_env_vars(config))
    theirs = SQLTrackerStore.get_db_url("postgresql", "db.internal", 5433, "rasa", "rasa", "p@ss:word/1")
    assert ours.render_as_string(hide_password=False) == theirs.render_as_string(hide_password=False)
    assert "p@ss" not in db.safe_url(ours)


def test_a_non_sql_tracker_store_is_a_clear_error():
    with pytest.raises(db.DatabaseNotConfigured, match="SQL tracker_store"):
        db.url_from_tracker_store({"type": "redis", "url": "localhost"})
    with pytest.raises(db.DatabaseNotConfigured, match="NOT_SET_ANYWHERE"):
        db.expand_env_vars({"password": "${NOT_SET_ANYWHERE}"})


def test_events_mirror_matches_rasas_table():
    from rasa.core.tracker_store import SQLTrackerStore

    rasa_table = SQLTrackerStore.SQLEvent.__table__
    assert rasa_table.name == db.events.name
    for column in rasa_table.columns:
        ours = db.events.c[column.name]
        assert type(ours.type) is type(column.type), column.name
        assert ours.primary_key == column.primary_key and ours.nullable == column.nullable, column.name
    assert set(rasa_table.columns.keys()) == set(db.events.columns.keys())


def test_masking_and_redaction():
    assert db.mask_email("jane.doe@example.org") == "j***@e***.org"
    assert db.mask_email(None) == "-"
    assert db.redact_emails("mail me at a.b+c@mail.example.co.uk please") == "mail me at [email] please"
    assert db.find_email("it's Jane.Doe@Example.org.") == "Jane.Doe@Example.org"


# ---------------------------------------------------------------- storing and delivering


def test_without_a_webhook_the_request_is_stored_as_not_configured(support_db):
    request_id = handoff.submit("s1", "which painkiller?", None, TRANSCRIPT, engine=support_db, settings=settings(None))
    row = the_row(support_db)
    assert row.id == request_id and row.status == "not_configured" and row.attempts == 0
    assert json.loads(row.transcript) == TRANSCRIPT


def test_delivered_to_the_webhook_as_json(support_db, helpdesk, caplog):
    caplog.set_level("INFO")
    handoff.submit(
        "s1",
        "which painkiller?",
        "jane.doe@example.org",
        TRANSCRIPT,
        engine=support_db,
        settings=settings(helpdesk.url, token="tok-123"),
        background=False,
    )
    row = the_row(support_db)
    assert row.status == "delivered" and row.attempts == 1 and row.delivered_at and row.last_error is None
    [payload] = helpdesk.received
    assert payload["type"] == "painfaq.support.handoff" and payload["id"] == row.id and payload["sender_id"] == "s1"
    assert payload["question"] == "which painkiller?" and payload["email"] == "jane.doe@example.org"
    assert payload["transcript"][0]["timestamp"] == "2026-01-01T10:00:00+00:00"
    assert helpdesk.headers[0]["Authorization"] == "Bearer tok-123"
    assert "jane.doe@example.org" not in caplog.text and "s3cret" not in caplog.text
    assert "delivered to the webhook http://127.0.0.1" in caplog.text


def test_a_flaky_webhook_is_retried_with_backoff(support_db):
    desk = Helpdesk(fail_first=2)
    try:
        handoff.submit("s1", "q?", None, TRANSCRIPT, engine=support_db, settings=settings(desk.url), background=False)
    finally:
        desk.stop()
    row = the_row(support_db)
    assert row.status == "delivered" and row.attempts == 3 and len(desk.received) == 1


def test_webhook_down_loses_nothing_and_is_redelivered_later(support_db, caplog, tmp_path):
    down = closed_port_url()
    handoff.submit(
        "s1",
        "which painkiller?",
        "jane.doe@example.org",
        TRANSCRIPT,
        engine=support_db,
        settings=settings(down),
        background=False,
    )
    row = the_row(support_db)
    assert row.status == "pending" and row.attempts == 3 and row.last_error == "ConnectionError"
    assert row.question == "which painkiller?" and json.loads(row.transcript) == TRANSCRIPT
    [line] = [r.getMessage() for r in caplog.records if "webhook DOWN" in r.getMessage()]
    assert f"request {row.id} not delivered" in line and "after 3 attempts" in line and "pending" in line
    assert "jane.doe@example.org" not in caplog.text

    # Still down: the redelivery command says so and exits 1.
    url = str(support_db.url)
    env = {"HANDOFF_WEBHOOK_URL": down, "HANDOFF_WEBHOOK_BACKOFF": "0", "PATH": "/usr/bin:/bin"}
    script = [sys.executable, str(ROOT / "scripts" / "handoff_redeliver.py"), "--db-url", url]
    result = subprocess.run(script, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "0 delivered, 1 still pending" in result.stdout
    assert "jane.doe@example.org" not in result.stderr + result.stdout

    # The helpdesk is back: the pending request goes out, once.
    desk = Helpdesk()
    try:
        env["HANDOFF_WEBHOOK_URL"] = desk.url
        result = subprocess.run(script, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "1 delivered, 0 still pending" in result.stdout
        assert [p["question"] for p in desk.received] == ["which painkiller?"]
        row = the_row(support_db)
        assert row.status == "delivered" and row.attempts == 7  # 3 + 3 failed, then 1
        result = subprocess.run(script, env=env, capture_output=True, text=True, timeout=120)
        assert "0 delivered, 0 still pending" in result.stdout and len(desk.received) == 1
    finally:
        desk.stop()


def test_delivery_runs_in_the_background_so_the_user_does_not_wait(support_db):
    desk = Helpdesk()
    try:
        started = time.monotonic()
        handoff.submit("s1", "q?", None, TRANSCRIPT, engine=support_db, settings=settings(desk.url))
        deadline = time.monotonic() + 10
        while not desk.received and time.monotonic() < deadline:
            time.sleep(0.02)
        assert desk.received
        while the_row(support_db).status != "delivered" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert the_row(support_db).status == "delivered"
        assert time.monotonic() - started < 10
    finally:
        desk.stop()


def test_transcript_from_tracker_events_marks_messages_that_got_a_safety_reply():
    events = [
        {"event": "action", "name": "action_listen", "timestamp": 1.0},
        {
            "event": "user",
            "text": "my legs went numb",
            "timestamp": 2.0,
            "parse_data": {"intent": {"name": "red_flag"}},
        },
        {
            "event": "bot",
            "text": "Please call 911 now.",
            "timestamp": 3.0,
            "data": {"custom": {"type": "safety", "level": "emergency"}},
        },
        {
            "event": "user",
            "text": "talk to a person",
            "timestamp": 4.0,
            "parse_data": {"intent": {"name": "request_human"}},
        },
        {"event": "bot", "text": "", "timestamp": 5.0, "data": {"custom": None}},
    ]
    transcript = handoff.transcript_from_events(events)
    assert transcript == [
        {"role": "user", "text": "my legs went numb", "timestamp": 2.0, "intent": "red_flag", "safety": True},
        {"role": "bot", "text": "Please call 911 now.", "timestamp": 3.0, "type": "safety"},
        {"role": "user", "text": "talk to a person", "timestamp": 4.0, "intent": "request_human"},
    ]
