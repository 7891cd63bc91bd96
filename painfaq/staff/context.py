"""What the inbox sync remembers of each conversation from one sync to the next.

A "not helpful" rating, a "did you mean" click or a hand-off button refers to an earlier turn, which may
have been read by an earlier sync. Each sync therefore stores, per conversation, the ids of the events it
would need then (the turn awaiting its reply, the last question, the last answer and its reply, the
"did you mean" awaiting its click) and the next sync starts from them. Only event ids and a hash of the
sender are stored: the texts stay in Rasa's `events` table (and go when the retention job deletes them).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from painfaq.stores import db

# A click or rating on an answer a day old is no longer read as referring to it; older rows are deleted.
KEEP_SECONDS = 86400.0
_CHUNK = 500

review_context = sa.Table(
    "painfaq_review_context",
    db.metadata,
    sa.Column("sender_key", sa.String(64), primary_key=True),  # SHA-256 of the sender id
    sa.Column("last_seen", sa.Float, nullable=False, index=True),  # the timestamp of its last event read
    sa.Column("pending", sa.Integer),  # user event awaiting its first reply
    sa.Column("last_question", sa.Integer),  # user event: the last message in the person's own words
    sa.Column("last_answered", sa.Integer),  # user event: the last question the article answered
    sa.Column("answer_reply", sa.Integer),  # bot event: that answer
    sa.Column("did_you_mean", sa.Integer),  # user event whose "did you mean" awaits the click
)

_REFS = ("pending", "last_question", "last_answered", "answer_reply", "did_you_mean")


@dataclass
class Refs:
    last_seen: float
    pending: Optional[int] = None
    last_question: Optional[int] = None
    last_answered: Optional[int] = None
    answer_reply: Optional[int] = None
    did_you_mean: Optional[int] = None

    def event_ids(self) -> List[int]:
        return [value for value in (getattr(self, name) for name in _REFS) if value is not None]

    def empty(self) -> bool:
        return not self.event_ids()


def sender_key(sender: str) -> str:
    return hashlib.sha256(sender.encode("utf-8")).hexdigest()


def load(conn: Connection, senders: Iterable[str]) -> Dict[str, Refs]:
    """The stored context of these senders (those that have one)."""
    keys = {sender_key(s): s for s in senders}
    out: Dict[str, Refs] = {}
    names = list(keys)
    c = review_context.c
    for start in range(0, len(names), _CHUNK):
        query = sa.select(review_context).where(c.sender_key.in_(names[start : start + _CHUNK]))
        for row in conn.execute(query):
            out[keys[row.sender_key]] = Refs(row.last_seen, *(getattr(row, name) for name in _REFS))
    return out


def save(conn: Connection, contexts: Dict[str, Refs]) -> None:
    """Replace the stored context of these senders; an empty one is deleted. Then forget old conversations."""
    if not contexts:
        return
    rows = {sender_key(s): refs for s, refs in contexts.items()}
    names = list(rows)
    for start in range(0, len(names), _CHUNK):
        conn.execute(review_context.delete().where(review_context.c.sender_key.in_(names[start : start + _CHUNK])))
    fresh = [
        {"sender_key": key, "last_seen": refs.last_seen, **{name: getattr(refs, name) for name in _REFS}}
        for key, refs in rows.items()
        if not refs.empty()
    ]
    if fresh:
        conn.execute(sa.insert(review_context), fresh)
    # Relative to the newest event read, not the clock: a sync of old data keeps its own last day.
    newest = max(refs.last_seen for refs in contexts.values())
    conn.execute(review_context.delete().where(review_context.c.last_seen < newest - KEEP_SECONDS))
