"""The review inbox (painfaq/staff): what it reads from the events table, grouping, labels, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from painfaq.content.loader import load_content
from painfaq.staff import export, inbox
from painfaq.stores import db
from tests.harness.staff_seed import CONVERSATIONS, DAY, bot, store_events, user

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def engine(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    db.ensure_tables(engine, include_events=True)
    yield engine
    engine.dispose()


def test_inbox_groups_near_identical_wording_most_frequent_first(engine):
    store_events(engine)
    inbox.sync(engine)
    page = inbox.inbox(engine)
    counts = [g["count"] for g in page["groups"]]
    assert counts == sorted(counts, reverse=True) and counts[:2] == [2, 2]
    first = next(g for g in page["groups"] if g["key"] == "can a mattress help")
    assert first["count"] == 2 and first["outcomes"] == {"out_of_scope": 2}
    assert first["reply"] and first["guesses"][0]["intent"] == "out_of_scope"
    by_key = {g["key"]: g for g in page["groups"]}
    assert by_key["yoga"]["outcomes"] == {"did_you_mean": 1}
    assert by_key["yoga"]["clicked"] == {"/faq_yoga": 1}
    assert [g["intent"] for g in by_key["yoga"]["guesses"]] == ["faq_yoga", "faq_exercise"]
    assert by_key["does stretching help"]["outcomes"] == {"low_confidence": 1}
    assert by_key["is it serious"]["outcomes"] == {"not_helpful": 1}
    masked = next(g for g in page["groups"] if "help" in g["key"] and "email" in g["key"])
    assert masked["outcomes"] == {"out_of_scope": 1, "handoff": 1}
    assert "jane.doe" not in json.dumps(page) and "4567" not in json.dumps(page)
    # Safety turns are counted, never shown.
    assert page["safety_replies_not_shown"] == 1
    assert "end it all" not in json.dumps(page)
    assert page["total_groups"] == len(page["groups"]) == 6


def test_filters_by_outcome_and_date(engine):
    store_events(engine)
    store_events(
        engine,
        [("later", user("what about acupuncture", "out_of_scope", 0.9)), ("later", bot("out_of_scope"))],
        start=DAY + 10 * 86400,
    )
    inbox.sync(engine)
    from datetime import date

    dym = inbox.inbox(engine, outcomes=["did_you_mean"])
    assert [g["key"] for g in dym["groups"]] == ["yoga"]
    first_day = inbox.inbox(engine, start=date(2025, 12, 1), end=date(2025, 12, 1))
    assert "what about acupuncture" not in [g["key"] for g in first_day["groups"]]
    later = inbox.inbox(engine, start=date(2025, 12, 5))
    assert [g["key"] for g in later["groups"]] == ["what about acupuncture"]
    assert later["safety_replies_not_shown"] == 0
    paged = inbox.inbox(engine, per_page=2, page=2)
    assert len(paged["groups"]) == 2 and paged["total_groups"] == 7


def test_sync_is_incremental_and_waits_for_an_unfinished_turn(engine):
    import time

    now = time.time()  # a turn stored just now may still get its reply
    store_events(engine, CONVERSATIONS[:2] + [("late", user("can cupping help", "out_of_scope", 0.9))], start=now)
    inbox.sync(engine)
    assert [g["key"] for g in inbox.inbox(engine)["groups"]] == ["can a mattress help"]
    store_events(engine, [("late", bot("out_of_scope"))], start=now + 5)
    inbox.sync(engine)
    inbox.sync(engine)
    groups = inbox.inbox(engine)["groups"]
    assert sorted(g["key"] for g in groups) == ["can a mattress help", "can cupping help"]
    assert all(g["count"] == 1 for g in groups)


def test_labels_replace_the_reviewers_previous_one_and_can_be_undone(engine):
    store_events(engine)
    inbox.sync(engine)
    topics = list(load_content().topics)
    first = inbox.add_label(engine, "yoga", "topic", "yoga", "alice", topics)
    second = inbox.add_label(engine, "yoga", "out_of_scope", None, "alice", topics)
    assert [label["id"] for label in inbox.list_labels(engine)] == [second["id"]]
    assert inbox.undo_label(engine, second["id"]) is True
    assert inbox.undo_label(engine, second["id"]) is False
    assert inbox.list_labels(engine) == []
    assert {label["id"] for label in inbox.list_labels(engine, include_undone=True)} == {first["id"], second["id"]}
    with pytest.raises(inbox.LabelError):
        inbox.add_label(engine, "yoga", "topic", "not-a-topic", "alice", topics)
    with pytest.raises(inbox.LabelError):
        inbox.add_label(engine, "no such group", "ignore", None, "alice", topics)
    with pytest.raises(inbox.LabelError):
        inbox.add_label(engine, "yoga", "spam", None, "alice", topics)
    unlabelled = inbox.inbox(engine, include_labelled=False)
    inbox.add_label(engine, "yoga", "ignore", None, "bob", topics)
    assert "yoga" not in [g["key"] for g in inbox.inbox(engine, include_labelled=False)["groups"]]
    assert "yoga" in [g["key"] for g in unlabelled["groups"]]


def test_export_writes_valid_training_data_and_reports_conflicts(engine, tmp_path):
    store_events(engine)
    inbox.sync(engine)
    content = load_content()
    topics = list(content.topics)
    keys = [g["key"] for g in inbox.inbox(engine)["groups"]]
    for key in keys:
        if key == "does stretching help":
            inbox.add_label(engine, key, "topic", "exercise", "alice", topics)
        elif key == "yoga":
            inbox.add_label(engine, key, "topic", "yoga", "alice", topics)
            inbox.add_label(engine, key, "topic", "exercise", "bob", topics)  # a conflict
        elif key == "is it serious":
            inbox.add_label(engine, key, "needs_content", None, "alice", topics)
        else:
            inbox.add_label(engine, key, "out_of_scope", None, "alice", topics)
    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text())["intents"])
    out = tmp_path / "reviewed.yml"
    report = export.export(engine, content, intents, out)
    assert [c["group_key"] for c in report.conflicts] == ["yoga"]
    assert report.not_training == {"needs_content": 1}
    data = yaml.safe_load(out.read_text())
    written = {block["intent"]: block["examples"] for block in data["nlu"]}
    assert set(written) <= {"out_of_scope", content.topics["exercise"].intent}
    text = out.read_text()
    assert "yoga" not in text and "is it serious" not in text  # conflict, needs_content
    assert "jane.doe" not in text and "[" not in text  # masked, and no brackets Rasa would read as entities
    exported = [k for k in keys if k not in ("yoga", "is it serious")]
    held = [k for k in exported if export.is_held_back(k)]
    trained = [k for k in exported if not export.is_held_back(k)]
    assert report.held_back == len(held)
    assert sum(report.written.values()) == len(trained)
    if "img src x onerror document body dataset pwned 1 can a heating pad help" in trained:
        assert "onerror" in text  # hostile text is data: written as text, never interpreted
    # The held-back fifth: the same groups every time, with their expected intents, for make review-eval.
    expected_held = sorted(
        (t, content.topics["exercise"].intent if k == "does stretching help" else "out_of_scope")
        for k in held
        for t in inbox.group_texts(engine, [k])[k]
    )
    assert sorted(export.held_back(engine, content)) == expected_held
    # After measuring, everything can be learned: the held-back groups are written too.
    everything = export.export(engine, content, intents, out, include_held_back=True)
    assert everything.held_back == 0 and sum(everything.written.values()) == len(exported)


def test_retention_removes_old_inbox_messages_and_keeps_the_labels(engine):
    from painfaq.support.retention import prune

    store_events(engine)
    inbox.sync(engine)
    inbox.add_label(engine, "yoga", "ignore", None, "alice", list(load_content().topics))
    items = inbox.inbox(engine)["total_groups"]
    assert items > 0
    counts = prune(engine, days=30, now=DAY + 40 * 86400)
    assert counts["review_items"] >= items
    assert inbox.inbox(engine)["groups"] == []
    assert len(inbox.list_labels(engine)) == 1


def test_content_requests_reach_the_deflection_report(engine):
    from datetime import date

    from painfaq.support.report import summarise

    store_events(engine)
    inbox.sync(engine)
    topics = list(load_content().topics)
    inbox.add_label(engine, "is it serious", "needs_content", None, "alice", topics)
    inbox.add_label(engine, "yoga", "ignore", None, "alice", topics)
    today = date.today()
    summary = summarise(engine, today, today)
    assert summary["content_requests"]["count"] == 1
    assert summary["content_requests"]["items"][0]["text"] == "is it serious"


def test_a_message_that_never_got_a_reply_does_not_hold_the_cursor_back(engine):
    store_events(engine, [("gone", user("hello?", "greet", 0.9))], start=DAY)
    store_events(engine, CONVERSATIONS[:2], start=DAY + 3600)
    assert inbox.sync(engine) == 3
    assert inbox.sync(engine) == 0  # nothing new is read again


def test_review_eval_counts_outcomes_like_the_pipeline():
    from scripts.review_eval import outcome

    def parsed(*ranking):
        return {"intent_ranking": [{"name": n, "confidence": c} for n, c in ranking]}

    assert outcome(parsed(("faq_yoga", 0.9), ("faq_sleep", 0.05)), "faq_yoga", 0.4, 0.05) == "right"
    assert outcome(parsed(("faq_sleep", 0.9), ("faq_yoga", 0.05)), "faq_yoga", 0.4, 0.05) == "wrong"
    assert outcome(parsed(("faq_yoga", 0.35), ("faq_sleep", 0.3)), "faq_yoga", 0.4, 0.05) == "did_you_mean"
    assert outcome(parsed(("faq_yoga", 0.5), ("faq_sleep", 0.48)), "faq_yoga", 0.4, 0.05) == "did_you_mean"
    assert outcome(parsed(("faq_yoga", 0.38), ("out_of_scope", 0.35)), "faq_yoga", 0.4, 0.05) == "declined"
    assert outcome(parsed(("faq_yoga", 0.38), ("out_of_scope", 0.35)), "out_of_scope", 0.4, 0.05) == "right"
    assert outcome(parsed(("out_of_scope", 0.8), ("faq_yoga", 0.1)), "faq_yoga", 0.4, 0.05) == "declined"
    assert outcome(parsed(("out_of_scope", 0.8), ("faq_yoga", 0.1)), "out_of_scope", 0.4, 0.05) == "right"
    assert outcome(parsed(("nlu_fallback", 0.4), ("faq_yoga", 0.6), ("x", 0.1)), "faq_yoga", 0.4, 0.05) == "right"


# A conversation's turns split over two syncs: the later rating, click and hand-off refer to turns read before.
FIRST_SYNC = [
    ("a", user("is it serious", "faq_duration", 0.95)),
    ("a", bot("answer", "It usually passes...")),
    ("b", user("yoga??", "faq_yoga", 0.35, [("faq_yoga", 0.35), ("faq_exercise", 0.3)])),
    ("b", bot("did_you_mean", "Did you mean...")),
    ("c", user("can cupping help", "out_of_scope", 0.9)),
    ("c", bot("out_of_scope")),
    ("d", user("what about magnets", "out_of_scope", 0.9)),  # its reply comes later
]
SECOND_SYNC = [
    ("a", user("/feedback_not_helpful", "feedback_not_helpful", 1.0)),
    ("b", user("/faq_yoga", "faq_yoga", 1.0)),
    ("b", bot("answer")),
    ("c", user("/request_human", "request_human", 1.0)),
    ("d", bot("out_of_scope")),
    ("e", user("does worry cause it", "faq_anxiety", 0.9)),
    ("e", bot("answer", "Anxiety can...")),
]


def check_later_sync(engine) -> None:
    store_events(engine, FIRST_SYNC, start=DAY)
    inbox.sync(engine)
    store_events(engine, SECOND_SYNC, start=DAY + 60)
    inbox.sync(engine)
    groups = {g["key"]: g for g in inbox.inbox(engine)["groups"]}
    assert groups["is it serious"]["outcomes"] == {"not_helpful": 1}
    assert groups["is it serious"]["reply"] == "It usually passes..."
    assert groups["yoga"]["outcomes"] == {"did_you_mean": 1} and groups["yoga"]["clicked"] == {"/faq_yoga": 1}
    assert groups["can cupping help"]["outcomes"] == {"out_of_scope": 1, "handoff": 1}
    assert groups["what about magnets"]["outcomes"] == {"out_of_scope": 1}
    # A third sync: the typed rating refers to the answer e got (read in the second sync).
    store_events(engine, [("e", user("that was not helpful", "feedback_not_helpful", 0.9))], start=DAY + 120)
    inbox.sync(engine)
    assert inbox.inbox(engine, outcomes=["not_helpful"])["total_groups"] == 2


def test_a_rating_click_or_hand_off_in_a_later_sync_counts(engine):
    check_later_sync(engine)
    # What is kept between syncs is event ids and a hash of the sender, never a text.
    from painfaq.staff.context import review_context

    with engine.connect() as conn:
        stored = [dict(row._mapping) for row in conn.execute(review_context.select())]
    assert stored and all(
        isinstance(v, (int, float, type(None))) for row in stored for k, v in row.items() if k != "sender_key"
    )
    assert not any(row["sender_key"] in ("a", "b", "c", "d", "e") for row in stored)


def test_the_context_of_a_quiet_conversation_is_forgotten_after_a_day(engine):
    from painfaq.staff.context import KEEP_SECONDS, review_context

    store_events(engine, FIRST_SYNC[:2], start=DAY)
    inbox.sync(engine)
    store_events(engine, [("z", user("can a mattress help", "out_of_scope", 0.8))], start=DAY + KEEP_SECONDS + 60)
    inbox.sync(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(review_context)).scalar() == 1  # z only


def test_a_sync_that_lost_a_race_stores_nothing_twice(engine):
    from painfaq.staff import tables

    tables.ensure(engine)
    store_events(engine)
    stale, read, last_id = inbox._read(engine, 0, 1000)  # a sync has read the events, but not stored them...
    assert read == len(CONVERSATIONS)
    assert inbox.sync(engine) == read  # ...when another one reads and stores the same events
    assert inbox._write(engine, 0, stale, last_id) is False
    page = inbox.inbox(engine)
    assert page["safety_replies_not_shown"] == 1 and page["total_groups"] == 6
    assert inbox.sync(engine) == 0
