"""End to end over the REST channel: a hand-off (offered after two unanswered questions, accepted with
"yes", question + email) delivered to a local helpdesk webhook, "Was this helpful?" feedback, a cancelled
hand-off, then the deflection report on the very database Rasa wrote to.

The real action server and Rasa server are started with tests.harness.stack's helpers, sharing one SQLite
database: Rasa's tracker store, and (through PAINFAQ_ENDPOINTS) the action server's hand-off and
feedback tables, exactly as `make run` shares endpoints.yml.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
import yaml

from painfaq.content.loader import load_content
from painfaq.stores import db
from painfaq.support.report import summarise
from tests.harness.stack import (
    child_env,
    current_model,
    free_port,
    start_action_server,
    start_rasa_server,
    wait_until_ready,
)
from tests.unit.test_handoff_storage import Helpdesk

pytestmark = pytest.mark.e2e


class SupportStack:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.helpdesk = Helpdesk()
        self.db_path = workdir / "tracker.db"
        action_port = free_port()
        endpoints = workdir / "endpoints.yml"
        endpoints.write_text(
            yaml.safe_dump(
                {
                    "action_endpoint": {"url": f"http://127.0.0.1:{action_port}/webhook"},
                    "tracker_store": {
                        "type": "painfaq.stores.tracker_store.MaskingSQLTrackerStore",
                        "dialect": "sqlite",
                        "db": str(self.db_path),
                    },
                    "lock_store": {"type": "in_memory"},
                }
            )
        )
        env = child_env()
        env.update(
            PAINFAQ_ENDPOINTS=str(endpoints), HANDOFF_WEBHOOK_URL=self.helpdesk.url, HANDOFF_WEBHOOK_BACKOFF="0.1"
        )
        env.pop("PAINFAQ_DB_URL", None)
        self.actions = start_action_server(env, port=action_port, workdir=workdir, lean=False)
        self.rasa = start_rasa_server(current_model(), endpoints, env, workdir=workdir, lean=False)
        try:
            wait_until_ready([self.actions, self.rasa])
        except BaseException:
            self.stop()
            raise

    def send(self, sender: str, message: str) -> list:
        import requests

        response = requests.post(
            f"{self.rasa.url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60
        )
        response.raise_for_status()
        return response.json()

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.workdir.glob("*.log"))

    def stop(self) -> None:
        for server in (self.rasa, self.actions):
            server.stop()
        self.helpdesk.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[SupportStack]:
    started = SupportStack(tmp_path_factory.mktemp("support-stack"))
    yield started
    started.stop()


def texts(messages: list) -> list:
    return [m["text"] for m in messages if m.get("text")]


def types(messages: list) -> list:
    return [m["custom"].get("type") for m in messages if "custom" in m]


def test_handoff_feedback_and_report_over_rest(stack):
    content = load_content()
    messages = content.messages
    alice, bob = f"e2e-{uuid.uuid4()}", f"e2e-{uuid.uuid4()}"

    # An answer, then "Was this helpful?" with two buttons; the Yes button is stored with the topic.
    reply = stack.send(alice, "does yoga help?")
    assert types(reply) == ["answer", "feedback_prompt"]
    prompt = next(m for m in reply if m.get("text") == messages["feedback_prompt"])
    assert [b["payload"] for b in prompt["buttons"]] == ["/feedback_helpful", "/feedback_not_helpful"]
    assert texts(stack.send(alice, "/feedback_helpful")) == [messages["feedback_thanks_helpful"]]

    # Two unanswered questions in a row: the second reply offers a person; "yes" starts the form.
    assert types(stack.send(alice, "what dose of ibuprofen should I take?")) == ["out_of_scope"]
    reply = stack.send(alice, "can anxiety cause chest pain?")
    assert types(reply) == ["out_of_scope", "handoff_offer"] and messages["handoff_offer"] in texts(reply)
    assert texts(stack.send(alice, "yes")) == [messages["handoff_ask_question"]]
    assert texts(stack.send(alice, "Which painkiller is safe with my anxiety medication?")) == [
        messages["handoff_ask_email"]
    ]
    reply = stack.send(alice, "not-an-email")
    assert texts(reply) == [messages["handoff_email_invalid"], messages["handoff_ask_email"]]
    reply = stack.send(alice, "jane.doe@example.org")
    assert texts(reply) == [messages["handoff_submitted_email"].format(email="jane.doe@example.org")]

    # The helpdesk webhook receives the request with the transcript.
    deadline = time.monotonic() + 30
    while not stack.helpdesk.received and time.monotonic() < deadline:
        time.sleep(0.1)
    [payload] = stack.helpdesk.received
    assert payload["sender_id"] == alice and payload["email"] == "jane.doe@example.org"
    assert payload["question"] == "Which painkiller is safe with my anxiety medication?"
    said = [e["text"] for e in payload["transcript"] if e["role"] == "user"]
    assert said[:3] == ["does yoga help?", "/feedback_helpful", "what dose of ibuprofen should I take?"]
    assert said[-1] == "jane.doe@example.org"

    # Bob asks for a person and changes his mind; nothing of the form is asked again.
    assert texts(stack.send(bob, "I want to talk to a person")) == [messages["handoff_ask_question"]]
    assert texts(stack.send(bob, "never mind")) == [messages["handoff_cancelled"]]
    reply = stack.send(bob, "how long does it last?")
    assert types(reply) == ["answer", "feedback_prompt"]
    assert texts(stack.send(bob, "not helpful")) == [messages["feedback_thanks_not_helpful"]]

    engine = db.make_engine(f"sqlite:///{stack.db_path}")
    with engine.connect() as connection:
        [row] = connection.execute(sa.select(db.handoff_requests)).all()
        feedback = connection.execute(
            sa.select(db.feedback.c.sender_id, db.feedback.c.topic, db.feedback.c.helpful).order_by(db.feedback.c.id)
        ).all()
    assert (row.sender_id, row.status, row.attempts) == (alice, "delivered", 1)
    assert [tuple(f) for f in feedback] == [(alice, "yoga", True), (bob, "how_long", False)]

    # The report on the same database.
    today = datetime.now(timezone.utc).date()
    summary = summarise(engine, today, today)
    assert summary["conversations"] == 2
    assert summary["outcomes"]["handoff"] == 2  # both asked for a person (Bob cancelled)
    assert {r["topic"]: r["answers"] for r in summary["answers_per_topic"] if r["answers"]} == {
        "yoga": 1,
        "how_long": 1,
    }
    assert [(g["normalised"], g["count"]) for g in summary["content_gaps"]["top"]] == [
        ("can anxiety cause chest pain", 1),
        ("what dose of ibuprofen should i take", 1),
    ]
    assert (summary["handoffs"]["submitted"], summary["handoffs"]["cancelled"]) == (1, 1)
    assert summary["handoffs"]["delivery"] == {"delivered": 1}
    assert summary["feedback_totals"] == {"helpful": 1, "not_helpful": 1}
    engine.dispose()

    # Logs: the hand-off is visible, the email address is not.
    logs = stack.logs()
    assert "hand-off request 1 stored" in logs and "delivered to the webhook" in logs
    assert "jane.doe@example.org" not in logs
