"""Faults, against the real servers: the action server down or hanging, the tracker database gone at start
and mid-run, a Rasa restart. The user always gets a reply, and nothing stored is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from painfaq.content.loader import load_content
from tests.harness.reliability_helpers import ACTION_TIMEOUT, API_TOKEN, Servers, rasa_command, write_endpoints
from tests.harness.stack import REPO_ROOT, child_env, current_model, free_port

pytestmark = pytest.mark.reliability

YOGA_DOI = "https://doi.org/10.1097/j.pain.0000000000002416"


@pytest.fixture
def servers(own_servers) -> Servers:
    return own_servers


def new_sender() -> str:
    return f"fault-{uuid.uuid4()}"


def assert_apology(reply, reason: str) -> None:
    content = load_content()
    assert reply.status == 200, reply.body[:300]
    assert reply.headers.get("x-painfaq-degraded") == reason, reply.headers
    text = reply.texts()
    assert content.messages["action_error"] in text
    assert content.support_email in text, "the apology must say how to reach a person"
    assert any(m.get("custom", {}).get("type") == "error" for m in reply.json())


def assert_yoga_sources(reply) -> None:
    assert reply.status == 200 and not reply.headers.get("x-painfaq-degraded"), reply.body[:300]
    assert YOGA_DOI in reply.texts()


def test_action_server_down_gets_an_apology_and_the_next_message_works_once_it_is_back(servers: Servers):
    sender = new_sender()
    assert "Yoga" in servers.say(sender, "does yoga help?").texts()
    servers.actions.stop()
    try:
        reply = servers.say(sender, "how long does it last?")
        assert_apology(reply, "action_failed")
        assert reply.seconds < 10
        # The next message fails the same way (never silence), then the server comes back.
        assert_apology(servers.say(sender, "can anxiety cause back pain?"), "action_failed")
    finally:
        servers.restart(servers.actions)
    # The conversation continues where it was: the last answered topic is still yoga.
    assert_yoga_sources(servers.say(sender, "what's the source for that?"))


def test_action_server_that_hangs_times_out_with_an_apology(servers: Servers):
    sender = new_sender()
    assert "Yoga" in servers.say(sender, "does yoga help?").texts()
    os.kill(servers.actions.process.pid, signal.SIGSTOP)  # accepts connections, never answers
    try:
        reply = servers.say(sender, "how long does it last?", timeout=30)
        assert_apology(reply, "action_failed")
        assert reply.seconds < ACTION_TIMEOUT + 5, f"the user waited {reply.seconds:.1f} s"
    finally:
        os.kill(servers.actions.process.pid, signal.SIGCONT)
    assert_yoga_sources(servers.say(sender, "what's the source for that?"))


def test_tracker_database_gone_mid_run_gets_an_apology_and_recovers_with_nothing_lost(servers: Servers):
    sender = new_sender()
    assert "Yoga" in servers.say(sender, "does yoga help?").texts()
    stored_before = len(servers.events(sender))
    db, moved = servers.db_path, servers.db_path.with_suffix(".away")
    db.rename(moved)
    db.mkdir()  # a directory where the database file was: every connection fails
    try:
        reply = servers.say(sender, "how long does it last?")
        assert_apology(reply, "tracker_store")
        assert reply.seconds < 10
    finally:
        db.rmdir()
        moved.rename(db)
    assert "tracker store unavailable" in servers.rasa.log_path.read_text(errors="replace")
    # Nothing was half-stored, the stored conversation is intact, and the next message uses its context.
    assert len(servers.events(sender)) == stored_before
    assert_yoga_sources(servers.say(sender, "what's the source for that?"))


def test_rasa_restart_loses_no_stored_conversation(servers: Servers):
    sender = new_sender()
    assert "Yoga" in servers.say(sender, "does yoga help?").texts()
    servers.say(sender, "tell me more")
    before = servers.events(sender)
    servers.restart(servers.rasa)
    assert servers.events(sender) == before
    assert_yoga_sources(servers.say(sender, "what's the source for that?"))
    after = servers.events(sender)
    assert after[: len(before)] == before and len(after) > len(before)


def test_http_api_when_enabled_requires_the_token(servers: Servers):
    import requests

    url = f"{servers.rasa.url}/conversations/someone/tracker"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, params={"token": "wrong"}, timeout=10).status_code == 401
    assert requests.post(f"{servers.rasa.url}/model/parse", json={"text": "hi"}, timeout=10).status_code == 401
    assert requests.get(url, params={"token": API_TOKEN}, timeout=10).status_code == 200


def test_unreachable_tracker_database_at_start_exits_with_a_clear_error(tmp_path):
    """Rasa's SQL tracker store would retry every 5 s forever; this one gives up and Rasa exits."""
    endpoints = write_endpoints(tmp_path, free_port(), tmp_path / "no-such-directory" / "tracker.db")
    env = child_env()
    env.update({"PAINFAQ_DB_CONNECT_ATTEMPTS": "2", "PAINFAQ_DB_CONNECT_RETRY_SECONDS": "1"})
    started = time.monotonic()
    result = subprocess.run(
        rasa_command(current_model(), free_port(), endpoints, "http://localhost:18080"),
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=180,
    )
    assert result.returncode != 0
    assert "cannot reach the tracker store database" in result.stdout, result.stdout[-3000:]
    assert "no-such-directory" in result.stdout
    assert time.monotonic() - started < 120


def test_preflight_check_reports_an_unreachable_tracker_database(tmp_path):
    endpoints = write_endpoints(tmp_path, free_port(), tmp_path / "no-such-directory" / "tracker.db")
    env = child_env()
    result = subprocess.run(
        [sys.executable, "-m", "painfaq.serving.preflight", "--endpoints", str(endpoints), "--attempts", "1"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stdout
    assert "cannot reach the tracker store database" in result.stdout
    ok = write_endpoints(tmp_path, free_port(), tmp_path / "tracker.db")
    result = subprocess.run(
        [sys.executable, "-m", "painfaq.serving.preflight", "--endpoints", str(ok)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout
