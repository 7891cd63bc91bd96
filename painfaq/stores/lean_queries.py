"""Leaner reads and counts for Rasa's SQL tracker store, as methods of the project's subclass (no patch).

Each turn, Rasa's SQLTrackerStore reads the conversation (events since the latest session start) and, to
save, counts the stored events of that session, both through ORM queries that build an SQLEvent object
per row; SQLAlchemy's Python overhead was 22 % of a Rasa worker's CPU with PostgreSQL. `LeanQueries`
sends the same SQL conditions as Core statements that read only the `data` column / a `count(*)`: same
rows, same order, same count (tests/production/test_speedups.py compares it with Rasa's store on SQLite
and PostgreSQL). The count is skipped when the tracker being saved is the one read this turn: Rasa holds
the conversation's lock from the read to the save, so the database still holds exactly the events read,
plus those saved since by this process.

`PAINFAQ_SPEEDUPS=off` uses Rasa's own methods.
"""

from __future__ import annotations

import itertools
import json
from typing import Any, Iterator, Optional

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

from painfaq import settings

# What the last read of a tracker saw: (id of the store that read it, number of events stored then).
STORED_COUNT = "_painfaq_stored_count"


def _conversation_filter(sender_id: str, fetch_events_from_all_sessions: bool) -> Any:
    """SQLTrackerStore._event_query's WHERE: this sender, from the latest session start (if any) on."""
    table = SQLTrackerStore.SQLEvent.__table__
    condition = table.c.sender_id == sender_id
    if fetch_events_from_all_sessions:
        return condition
    session_start = (
        sa.select(sa.func.max(table.c.timestamp))
        .where(table.c.sender_id == sender_id, table.c.type_name == SessionStarted.type_name)
        .scalar_subquery()
    )
    return sa.and_(condition, sa.or_(table.c.timestamp >= session_start, session_start.is_(None)))


class LeanQueries(SQLTrackerStore):
    """SQLTrackerStore with the two per-turn queries as Core statements (see the module docstring)."""

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        if not settings.SPEEDUPS.switch():
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        table = SQLTrackerStore.SQLEvent.__table__
        with self.session_scope() as session:
            rows = (
                session.execute(
                    sa.select(table.c.data)
                    .where(_conversation_filter(sender_id, fetch_events_from_all_sessions))
                    .order_by(table.c.id)
                )
                .scalars()
                .all()
            )
        events = [json.loads(data) for data in rows]
        if not self.domain or not events:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        if not fetch_events_from_all_sessions:
            setattr(tracker, STORED_COUNT, (id(self), len(events)))
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        if not settings.SPEEDUPS.switch():
            return super()._additional_events(session, tracker)
        known = getattr(tracker, STORED_COUNT, None)
        if known is not None and known[0] == id(self) and known[1] <= len(tracker.events):
            stored = known[1]
        else:
            table = SQLTrackerStore.SQLEvent.__table__
            stored = session.execute(
                sa.select(sa.func.count()).select_from(table).where(_conversation_filter(tracker.sender_id, False))
            ).scalar_one()
        new = list(itertools.islice(tracker.events, stored, len(tracker.events)))
        if any(isinstance(event, SessionStarted) for event in new):
            # After a new session is stored, the count covers only that session: ask the database next time.
            tracker.__dict__.pop(STORED_COUNT, None)
        else:
            setattr(tracker, STORED_COUNT, (id(self), len(tracker.events)))
        return iter(new)
