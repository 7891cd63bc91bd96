"""Retention (painfaq/support/retention.py, scripts/prune.py): old conversations and their hand-off and feedback
rows go, recent ones and the current session of a returning user stay intact."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from painfaq.stores import db
from painfaq.support.retention import DAY, prune

ROOT = Path(__file__).resolve().parents[2]
NOW = float(int(time.time()))  # the real clock: the CLI test runs prune.py against it
OLD = NOW - 100 * DAY
RECENT = NOW - 2 * DAY


def session(sender: str, start: float, turns: int = 2):
    rows, t = [], start
    for type_name, action in [
        ("action", "action_session_start"),
        ("session_started", None),
        ("action", "action_listen"),
    ]:
        rows.append((sender, type_name, t, None, action))
        t += 1
    for _ in range(turns):
        rows += [
            (sender, "user", t, "greet", None),
            (sender, "action", t + 1, None, "utter_greet"),
            (sender, "bot", t + 2, None, None),
            (sender, "action", t + 3, None, "action_listen"),
        ]
        t += 10
    return rows


def fill(engine) -> None:
    db.ensure_tables(engine, include_events=True)
    rows = (
        session("gone", OLD)
        + session("gone", OLD + 2 * DAY)  # every session old: all deleted
        + session("back", OLD)
        + session("back", RECENT)  # old session deleted, recent one kept
        + session("new", RECENT)  # kept
        + [
            ("legacy", "user", OLD, "greet", None),
            ("legacy", "user", RECENT, "greet", None),
        ]  # no session start: kept whole
    )
    with engine.begin() as connection:
        connection.execute(
            db.events.insert(),
            [
                {
                    "sender_id": s,
                    "type_name": ty,
                    "timestamp": t,
                    "intent_name": i,
                    "action_name": a,
                    "data": json.dumps(
                        {
                            "event": ty,
                            "timestamp": t,
                            **({"name": a} if a else {}),
                            **({"text": "hi", "parse_data": {"intent": {"name": "greet"}}} if ty == "user" else {}),
                        }
                    ),
                }
                for s, ty, t, i, a in rows
            ],
        )
        connection.execute(
            db.handoff_requests.insert(),
            [
                {
                    "sender_id": "gone",
                    "created_at": OLD,
                    "question": "q",
                    "email": "a@example.org",
                    "transcript": "[]",
                    "status": "delivered",
                    "attempts": 1,
                    "last_error": None,
                },
                {
                    "sender_id": "new",
                    "created_at": RECENT,
                    "question": "q",
                    "email": None,
                    "transcript": "[]",
                    "status": "pending",
                    "attempts": 3,
                    "last_error": "ConnectionError",
                },
            ],
        )
        connection.execute(
            db.feedback.insert(),
            [
                {"sender_id": "gone", "created_at": OLD, "topic": "yoga", "helpful": True, "prompt_at": OLD},
                {"sender_id": "back", "created_at": RECENT, "topic": "sleep", "helpful": False, "prompt_at": RECENT},
            ],
        )


def senders(engine):
    with engine.connect() as connection:
        return dict(
            connection.execute(sa.select(db.events.c.sender_id, sa.func.count()).group_by(db.events.c.sender_id)).all()
        )


@pytest.fixture
def engine(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    fill(engine)
    yield engine
    engine.dispose()


def test_prune_deletes_old_conversations_and_their_rows(engine):
    before = senders(engine)
    assert before == {"gone": 22, "back": 22, "new": 11, "legacy": 2}
    dry = prune(engine, days=30, now=NOW, dry_run=True)
    assert dry == {"events": 33, "handoff_requests": 1, "feedback": 1, "review_items": 0}
    assert senders(engine) == before  # a dry run deletes nothing

    assert prune(engine, days=30, now=NOW) == {"events": 33, "handoff_requests": 1, "feedback": 1, "review_items": 0}
    assert senders(engine) == {"back": 11, "new": 11, "legacy": 2}
    with engine.connect() as connection:
        back = (
            connection.execute(sa.select(db.events.c.timestamp).where(db.events.c.sender_id == "back")).scalars().all()
        )
        assert min(back) == RECENT
        assert connection.execute(sa.select(db.handoff_requests.c.sender_id)).scalars().all() == ["new"]
        assert connection.execute(sa.select(db.feedback.c.sender_id)).scalars().all() == ["back"]
    assert prune(engine, days=30, now=NOW) == {
        "events": 0,
        "handoff_requests": 0,
        "feedback": 0,
        "review_items": 0,
    }  # idempotent


def test_rasa_still_loads_the_returning_users_current_session(engine, tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    prune(engine, days=30, now=NOW)
    store = SQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    # In a thread of its own: Playwright (browser tests) may keep an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        tracker = pool.submit(asyncio.run, store.retrieve("back")).result()
    assert tracker is not None
    assert [e.timestamp for e in tracker.events][0] == RECENT + 1  # Rasa starts at the session_started event
    assert sum(1 for e in tracker.events if e.type_name == "user") == 2


def test_prune_cli_reads_retention_days(engine, tmp_path):
    script = [sys.executable, str(ROOT / "scripts" / "prune.py"), "--db-url", str(engine.url)]
    env = {k: v for k, v in os.environ.items() if k != "RETENTION_DAYS"}
    missing = subprocess.run(script, capture_output=True, text=True, env=env, timeout=60)
    assert missing.returncode == 2 and "RETENTION_DAYS" in missing.stderr
    # Against the real clock: keeping 100000 days deletes nothing, keeping 1 day deletes everything.
    kept = subprocess.run(script, capture_output=True, text=True, env={**env, "RETENTION_DAYS": "100000"}, timeout=60)
    assert kept.returncode == 0, kept.stderr
    assert "deleted: 0 events, 0 hand-off requests, 0 feedback rows" in kept.stdout
    dry = subprocess.run(script + ["--days", "1", "--dry-run"], capture_output=True, text=True, env=env, timeout=60)
    assert dry.returncode == 0 and "would delete: 57 events, 2 hand-off requests, 2 feedback rows" in dry.stdout
    assert senders(engine)["gone"] == 22
    gone = subprocess.run(script + ["--days", "1"], capture_output=True, text=True, env=env, timeout=60)
    assert gone.returncode == 0 and "deleted: 57 events" in gone.stdout
    assert senders(engine) == {}
