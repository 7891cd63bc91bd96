"""The review inbox's storage on a throwaway PostgreSQL: sync, grouping, labels, export, accounts."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import yaml

from painfaq.content.loader import load_content
from painfaq.staff import accounts, export, inbox
from painfaq.stores import db
from tests.harness.staff_seed import store_events

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pg_engine(postgres_server) -> Iterator[object]:
    env = postgres_server.database("painfaq_staff").env()
    engine = db.make_engine(
        f"postgresql://{env['DB_USER']}:{env['DB_PASSWORD']}@{env['DB_HOST']}:{env['DB_PORT']}/{env['DB_NAME']}"
    )
    db.ensure_tables(engine, include_events=True)
    try:
        yield engine
    finally:
        engine.dispose()


def test_inbox_labels_and_export_on_postgresql(pg_engine, tmp_path):
    store_events(pg_engine)
    assert inbox.sync(pg_engine) > 0
    page = inbox.inbox(pg_engine)
    assert page["total_groups"] == 6 and page["safety_replies_not_shown"] == 1
    assert {g["key"]: g["count"] for g in page["groups"]}["can a mattress help"] == 2
    content = load_content()
    label = inbox.add_label(pg_engine, "can a mattress help", "out_of_scope", None, "alice", list(content.topics))
    assert inbox.list_labels(pg_engine)[0]["id"] == label["id"]
    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text())["intents"])
    report = export.export(pg_engine, content, intents, tmp_path / "reviewed.yml")
    assert report.conflicts == []
    assert sum(report.written.values()) + report.held_back == 1
    assert inbox.undo_label(pg_engine, label["id"]) is True
    accounts.create_user(pg_engine, "alice", "correct horse battery staple")
    token, session = accounts.start_session(pg_engine, "alice")
    assert accounts.find_session(pg_engine, token) == session


def test_context_between_syncs_on_postgresql(pg_engine):
    from painfaq.staff.context import review_context
    from tests.unit.test_staff_inbox import check_later_sync

    with pg_engine.begin() as conn:  # a database of its own: the test above stored other conversations
        for table in (db.events, db.review_items, db.review_state, db.review_labels):
            conn.execute(table.delete())
    inbox.sync(pg_engine)  # creates the context table
    with pg_engine.begin() as conn:
        conn.execute(review_context.delete())
    check_later_sync(pg_engine)
