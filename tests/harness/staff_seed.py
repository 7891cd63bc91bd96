"""Synthetic conversations for the review inbox's tests: the event shapes Rasa stores, written straight
into the events table (no servers needed), and a staff user."""

from __future__ import annotations

import json
from typing import List, Optional, Tuple

import sqlalchemy as sa

from painfaq.staff import accounts
from painfaq.stores import db

DAY = 1_764_547_200.0  # 2025-12-01 00:00 UTC
XSS = '<img src=x onerror="document.body.dataset.pwned=1">can a heating pad help'


def user(text: str, intent: str, confidence: float, ranking: Optional[List[Tuple[str, float]]] = None) -> dict:
    ranking = ranking or [(intent, confidence)]
    return {
        "event": "user",
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        },
    }


def bot(kind: str, text: str = "reply") -> dict:
    return {"event": "bot", "text": text, "data": {"custom": {"type": kind}}}


# (sender, event) in the order Rasa stores them.
CONVERSATIONS = [
    ("s1", user("Can a mattress help?", "out_of_scope", 0.8)),
    ("s1", bot("out_of_scope", "I can only answer questions about the article.")),
    ("s2", user("can a MATTRESS help", "out_of_scope", 0.7)),
    ("s2", bot("out_of_scope")),
    ("s3", user("yoga??", "faq_yoga", 0.35, [("faq_yoga", 0.35), ("faq_exercise", 0.3)])),
    ("s3", bot("did_you_mean", "Did you mean...")),
    ("s3", user("/faq_yoga", "faq_yoga", 1.0)),
    ("s3", bot("answer")),
    ("s4", user("does stretching help", "faq_exercise", 0.5)),
    ("s4", bot("answer", "Exercise helps...")),
    ("s5", user("is it serious", "faq_duration", 0.95)),
    ("s5", bot("answer", "It usually passes...")),
    ("s5", user("/feedback_not_helpful", "feedback_not_helpful", 1.0)),
    ("s6", user("I want to end it all", "crisis", 0.99)),
    ("s6", bot("safety", "Please call 988")),
    ("s7", user("my email is jane.doe@example.com and phone 555-123-4567, help", "out_of_scope", 0.6)),
    ("s7", bot("out_of_scope")),
    ("s7", user("/request_human", "request_human", 1.0)),
    ("s8", user(XSS, "out_of_scope", 0.9)),
    ("s8", bot("out_of_scope")),
]


def store_events(engine: sa.engine.Engine, conversations=CONVERSATIONS, start: float = DAY + 3600) -> None:
    rows = []
    for offset, (sender, event) in enumerate(conversations):
        event = dict(event, timestamp=start + offset)
        rows.append(
            {
                "sender_id": sender,
                "type_name": event["event"],
                "timestamp": event["timestamp"],
                "intent_name": (event.get("parse_data") or {}).get("intent", {}).get("name"),
                "action_name": None,
                "data": json.dumps(event),
            }
        )
    with engine.begin() as conn:
        conn.execute(sa.insert(db.events), rows)


STAFF_PASSWORD = "correct horse battery staple"


def staff_database(url: str, username: str = "alice") -> sa.engine.Engine:
    """The project's tables and the events table at `url`, CONVERSATIONS stored, one staff user."""
    engine = db.get_engine(url)
    db.ensure_tables(engine, include_events=True)
    store_events(engine)
    accounts.create_user(engine, username, STAFF_PASSWORD)
    return engine
