"""Retention: delete conversations older than N days from the tracker store and the project's tables.

* A conversation (one Rasa session) is deleted when its last event is older than N days: all events of
  users whose last event is that old, and, for users who came back since, the sessions that ended before
  the cutoff (Rasa only ever loads a user's latest session, so the current one is never touched).
* Hand-off requests and feedback rows created more than N days ago are deleted.

Run it daily: `make prune DAYS=90` or `RETENTION_DAYS=90 python -m scripts.prune` (docs/support-staff.md).
"""

from __future__ import annotations

import logging
import time
from typing import Dict, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from painfaq.stores import db

logger = logging.getLogger(__name__)
DAY = 86_400


def _delete_old_sessions(connection: Connection, cutoff: float) -> int:
    e = db.events
    deleted = 0
    # 1. Users whose whole history is older than the cutoff.
    stale = sa.select(e.c.sender_id).group_by(e.c.sender_id).having(sa.func.max(e.c.timestamp) < cutoff)
    deleted += connection.execute(e.delete().where(e.c.sender_id.in_(stale))).rowcount or 0
    # 2. Users with old and recent events: drop the sessions before the one that has the first recent event.
    mixed = connection.execute(sa.select(e.c.sender_id).where(e.c.timestamp < cutoff).distinct()).scalars().all()
    for sender in mixed:
        first_recent = connection.execute(
            sa.select(sa.func.min(e.c.id)).where(e.c.sender_id == sender, e.c.timestamp >= cutoff)
        ).scalar()
        if first_recent is None:
            continue
        session_start = connection.execute(
            sa.select(sa.func.max(e.c.id)).where(
                e.c.sender_id == sender,
                e.c.id <= first_recent,
                e.c.type_name == "action",
                e.c.action_name == "action_session_start",
            )
        ).scalar()
        if session_start is None:
            continue  # one long session that is still going on: keep it whole
        deleted += connection.execute(e.delete().where(e.c.sender_id == sender, e.c.id < session_start)).rowcount or 0
    return deleted


def prune(engine: Engine, days: int, now: Optional[float] = None, dry_run: bool = False) -> Dict[str, int]:
    """Delete what is older than `days` days; returns the number of rows deleted per table."""
    if days < 1:
        raise ValueError("retention must be at least 1 day")
    cutoff = (now if now is not None else time.time()) - days * DAY
    tables = set(sa.inspect(engine).get_table_names())
    counts = {"events": 0, "handoff_requests": 0, "feedback": 0, "review_items": 0}
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            if db.events.name in tables:
                counts["events"] = _delete_old_sessions(connection, cutoff)
            if db.handoff_requests.name in tables:
                h = db.handoff_requests
                counts["handoff_requests"] = connection.execute(h.delete().where(h.c.created_at < cutoff)).rowcount or 0
            if db.feedback.name in tables:
                f = db.feedback
                counts["feedback"] = connection.execute(f.delete().where(f.c.created_at < cutoff)).rowcount or 0
            if db.review_items.name in tables:
                # The review inbox keeps (masked) user messages: they go with the conversations. The labels
                # stay: they are the staff's decisions, and the exported training data depends on them.
                r = db.review_items
                counts["review_items"] = connection.execute(r.delete().where(r.c.timestamp < cutoff)).rowcount or 0
        except Exception:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    logger.info("retention %d days%s: deleted %s", days, " (dry run)" if dry_run else "", counts)
    return counts
