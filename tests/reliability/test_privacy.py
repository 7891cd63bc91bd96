"""Privacy, against the real servers: identifiers masked in the tracker store, no user text in INFO logs, and
the hand-off still receives the e-mail address the user gave it."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest
import requests

from tests.harness.reliability_helpers import Servers, say

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

EMAIL = "jane.doe+back@example.org"
PHONE = "+1 (555) 123-4567"


def stored(db: Path, sender: str) -> str:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()
    assert rows, f"nothing stored for {sender}"
    return "\n".join(row[0] for row in rows)


def test_identifiers_are_masked_in_the_tracker_store(live_servers, tracker_db):
    sender = f"privacy-{uuid.uuid4()}"
    reply = say(
        live_servers.webhook, sender, f"does yoga help? write to {EMAIL} or call {PHONE}, card 4111 1111 1111 1111"
    )
    assert reply.status == 200 and "x-painfaq-degraded" not in reply.headers and reply.texts()
    data = stored(tracker_db, sender)
    # Whole fragments only: a bare "555" or "4111" also turns up inside timestamps and confidences.
    for secret in ("jane.doe", "example.org", "(555)", "555) 123", "123-4567", "4111 1111"):
        assert secret not in data, secret
    user_events = [json.loads(line) for line in data.splitlines() if json.loads(line)["event"] == "user"]
    assert user_events[-1]["text"] == "does yoga help? write to [email] or call [phone], card [card]"
    assert user_events[-1]["parse_data"]["text"] == user_events[-1]["text"]


def test_no_user_text_in_info_logs(live_servers):
    marker = "quokka" + uuid.uuid4().hex[:8].translate(str.maketrans("0123456789", "ghijklmnop"))
    messages = [
        f"does {marker} help my back?",
        f"{marker} {EMAIL}",
        f'/faq_yoga{{"remedy": "{marker}"}}',
        "x" * 3000 + marker,
        # Typed text that starts with "/": Rasa would parse it as a button payload and quote it in a warning.
        f"/my email is {EMAIL} phone {PHONE} {marker}",
        f"/{marker}",
        f"/faq_yoga {marker}",
        f"//out_of_scope@0.9 {marker}",
    ]
    sender = f"privacy-{uuid.uuid4()}"
    for message in messages:
        assert say(live_servers.webhook, sender, message).status == 200
    # Query strings reach no access log either (Rasa's and the action server's Sanic apps).
    for url in (f"{live_servers.rasa_url}/webhooks/rest/webhook", f"{live_servers.action_url}/health"):
        requests.get(url, params={"email": EMAIL, "q": marker}, timeout=10)
    logs = live_servers.log_tail(10_000_000)
    assert " INFO " in logs, "the servers should log at INFO (the level this test is about)"
    assert marker not in logs
    assert EMAIL not in logs
    assert "123-4567" not in logs


def test_handoff_keeps_the_email_while_the_tracker_store_masks_it(own_servers: Servers):
    sender = f"privacy-{uuid.uuid4()}"
    assert "What would you like to ask" in own_servers.say(sender, "I want to talk to a person").texts()
    asked = own_servers.say(sender, "Can someone phone me on 07700 900123 about my sciatica and anxiety?").texts()
    assert "email" in asked.lower()
    done = own_servers.say(sender, f"sure, it's {EMAIL}")
    assert EMAIL in done.texts(), "the user is told where the reply will go"
    events = "\n".join(row[2] for row in own_servers.events(sender))
    assert EMAIL not in events and "07700 900123" not in events
    assert "[email]" in events and "[phone]" in events
    with sqlite3.connect(own_servers.db_path) as conn:
        email, question = conn.execute(
            "SELECT email, question FROM painfaq_handoff_requests WHERE sender_id = ?", (sender,)
        ).fetchone()
    assert email == EMAIL, "the hand-off table keeps the address the user gave for the reply"
    # The question is read back from the (masked) tracker store on the e-mail turn: identifiers in it are masked.
    assert "sciatica" in question and "[phone]" in question and "07700" not in question
