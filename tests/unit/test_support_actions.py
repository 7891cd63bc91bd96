"""Hand-off form, hand-off offer, cancel and "Was this helpful?" actions, run offline against JSON tracker
fixtures (tests/fixtures/trackers, made by tests/fixtures/make_support_fixtures.py)."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List

import pytest
import sqlalchemy as sa
import yaml
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq, ActionOutOfScope
from actions.feedback import ActionFeedback
from actions.handoff import ActionCancelHandoff, ActionSubmitHandoff, ValidateHandoffForm
from painfaq.content.loader import load_content
from painfaq.stores import db

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text())


def run_coroutine(coroutine):
    """asyncio.run in a thread of its own: the browser tests' Playwright keeps an event loop running in
    the main thread for the whole session, and asyncio.run refuses to start inside a running loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, tracker, DOMAIN)
    if asyncio.iscoroutine(result):
        result = run_coroutine(result)
    return dispatcher.messages, result


def texts(messages: List[Dict[str, Any]]) -> List[str]:
    return [m.get("text") or "" for m in messages]


def slot_events(events) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def rows(engine, table) -> List[Any]:
    with engine.connect() as connection:
        return list(connection.execute(sa.select(table).order_by(table.c.id)))


# ---------------------------------------------------------------- the form's validation


def test_question_in_own_words_is_accepted(tracker_fixture):
    messages, events = run(ValidateHandoffForm(), tracker_fixture("handoff_question_valid"))
    assert slot_events(events)["handoff_question"] == "Which painkiller is safe to take with my anxiety medication?"
    assert messages == []


@pytest.mark.parametrize("fixture", ["handoff_question_payload", "handoff_question_too_short"])
def test_button_payloads_and_bare_no_are_not_a_question(tracker_fixture, fixture):
    messages, events = run(ValidateHandoffForm(), tracker_fixture(fixture))
    assert slot_events(events)["handoff_question"] is None  # the form asks again
    assert texts(messages) == [load_content().messages["handoff_question_invalid"]]
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/cancel"]


def test_a_crisis_message_as_the_question_gets_the_safety_reply_and_is_kept(tracker_fixture):
    messages, events = run(ValidateHandoffForm(), tracker_fixture("handoff_question_crisis"))
    assert "988" in texts(messages)[0]
    assert slot_events(events)["handoff_question"].startswith("i don't want to live anymore")


def test_email_is_taken_out_of_the_sentence(tracker_fixture):
    messages, events = run(ValidateHandoffForm(), tracker_fixture("handoff_email_valid"))
    assert slot_events(events)["handoff_email"] == "Jane.Doe@Example.org"
    assert messages == []


def test_something_else_than_an_email_is_asked_again(tracker_fixture):
    messages, events = run(ValidateHandoffForm(), tracker_fixture("handoff_email_invalid"))
    assert slot_events(events)["handoff_email"] is None
    assert texts(messages) == [load_content().messages["handoff_email_invalid"]]
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/deny", "/cancel"]


@pytest.mark.parametrize("fixture", ["handoff_email_declined_words", "handoff_email_skip_button"])
def test_the_user_may_decline_to_give_an_email(tracker_fixture, fixture):
    messages, events = run(ValidateHandoffForm(), tracker_fixture(fixture))
    assert slot_events(events)["handoff_email"] == "none"
    assert messages == []


@pytest.mark.parametrize(
    "text, declined",
    [
        ("no", True),
        ("No thanks.", True),
        ("skip", True),
        ("I'd rather not", True),
        ("rather not say", True),
        ("I don't want to give my email", True),
        ("nope!", True),
        ("not now", True),
        ("tomorrow maybe", False),
        ("nobody knows", False),
        ("my address is on the form", False),
    ],
)
def test_decline_phrases(text, declined):
    from actions.handoff import DECLINE_EMAIL

    assert bool(DECLINE_EMAIL.search(text.strip(" .!"))) is declined


@pytest.mark.parametrize(
    "text, attempt",
    [
        ("not-an-email", True),
        ("jane.doe(at)mail", True),
        ("jane@", True),
        ("jane2024", True),
        ("no", False),
        ("not giving it", False),
        ("nope", False),
        ("I'd rather not", False),
    ],
)
def test_mistyped_addresses_are_told_apart_from_a_no(text, attempt):
    from actions.handoff import ADDRESS_ATTEMPT

    assert bool(ADDRESS_ATTEMPT.match(text)) is attempt


# ---------------------------------------------------------------- submit and cancel


def test_submit_stores_the_request_with_the_transcript(tracker_fixture, support_db, caplog):
    caplog.set_level("INFO")
    messages, events = run(ActionSubmitHandoff(), tracker_fixture("handoff_submit"))
    content = load_content()
    assert texts(messages) == [content.messages["handoff_submitted_email"].format(email="jane.doe@example.org")]
    assert messages[0]["custom"] == {"type": "handoff", "stored": True}
    assert slot_events(events) == {"handoff_question": None, "handoff_email": None}  # a new request starts afresh

    [row] = rows(support_db, db.handoff_requests)
    assert row.sender_id == "fixture-handoff_submit"
    assert row.question == "Which painkiller is safe with my anxiety medication?"
    assert row.email == "jane.doe@example.org"
    assert row.status == "not_configured" and row.attempts == 0
    transcript = json.loads(row.transcript)
    assert [e["role"] for e in transcript][:3] == ["user", "bot", "bot"]
    assert transcript[0] == {"role": "user", "text": "does yoga help?", "timestamp": 1767261604.0, "intent": "faq_yoga"}
    assert transcript[2]["type"] == "feedback_prompt"
    red_flag = next(e for e in transcript if e["text"] == "my legs went numb since this morning")
    assert red_flag["safety"] is True
    assert transcript[-1]["text"] == "jane.doe@example.org"
    # The log says what happened without the email address in clear text.
    assert "jane.doe@example.org" not in caplog.text
    assert "j***@e***.org" in caplog.text


def test_submit_without_email_says_how_to_reach_support(tracker_fixture, support_db):
    messages, _ = run(ActionSubmitHandoff(), tracker_fixture("handoff_submit_no_email"))
    content = load_content()
    assert texts(messages) == [
        content.messages["handoff_submitted_no_email"].format(support_email=content.support_email)
    ]
    [row] = rows(support_db, db.handoff_requests)
    assert row.email is None and row.question == "can someone call me"


def test_submit_when_the_database_is_down_still_tells_the_user_what_to_do(tracker_fixture, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("database unreachable; parameters: jane.doe@example.org")

    monkeypatch.setattr("painfaq.support.handoff.submit", broken)
    messages, events = run(ActionSubmitHandoff(), tracker_fixture("handoff_submit"))
    content = load_content()
    assert texts(messages) == [content.messages["human_handoff"].format(support_email=content.support_email)]
    assert messages[0]["custom"]["stored"] is False
    assert "jane.doe@example.org" not in caplog.text and "RuntimeError" in caplog.text


def test_cancel_in_the_form_drops_the_request(tracker_fixture, support_db):
    messages, events = run(ActionCancelHandoff(), tracker_fixture("handoff_cancel_in_form"))
    assert texts(messages) == [load_content().messages["handoff_cancelled"]]
    assert slot_events(events) == {"handoff_question": None, "handoff_email": None}
    assert rows(support_db, db.handoff_requests) == []


def test_cancel_with_nothing_going_on(tracker_fixture):
    messages, _ = run(ActionCancelHandoff(), tracker_fixture("cancel_outside_form"))
    assert texts(messages) == [load_content().messages["cancel_nothing"]]


# ---------------------------------------------------------------- offering a person after two failures


def test_second_unanswered_question_in_a_row_offers_a_person(tracker_fixture):
    content = load_content()
    messages, events = run(ActionOutOfScope(), tracker_fixture("out_of_scope_second_in_a_row"))
    assert texts(messages) == [content.messages["out_of_scope"], content.messages["handoff_offer"]]
    assert "/request_human" not in [b["payload"] for b in messages[0]["buttons"]]  # the offer carries it
    assert [b["payload"] for b in messages[1]["buttons"]] == ["/request_human", "/deny"]
    assert events == [SlotSet("handoff_offered", True)]


@pytest.mark.parametrize(
    "fixture", ["out_of_scope_after_an_answer", "out_of_scope_third_in_a_row", "out_of_scope_ibuprofen"]
)
def test_no_offer_after_an_answer_or_right_after_an_offer(tracker_fixture, fixture):
    messages, events = run(ActionOutOfScope(), tracker_fixture(fixture))
    assert texts(messages) == [load_content().messages["out_of_scope"]]
    assert messages[0]["buttons"][-1]["payload"] == "/request_human"
    assert events == [SlotSet("handoff_offered", False)]


# ---------------------------------------------------------------- "Was this helpful?"


def test_every_answer_is_followed_by_the_feedback_prompt(tracker_fixture):
    messages, _ = run(ActionAnswerFaq(), tracker_fixture("faq_yoga"))
    assert [m["custom"]["type"] for m in messages] == ["answer", "feedback_prompt"]
    prompt = messages[1]
    assert prompt["text"] == load_content().messages["feedback_prompt"]
    assert prompt["custom"]["topic"] == "yoga"
    assert [b["payload"] for b in prompt["buttons"]] == ["/feedback_helpful", "/feedback_not_helpful"]


def test_yes_right_after_an_answer_is_stored_as_helpful(tracker_fixture, support_db):
    messages, _ = run(ActionFeedback(), tracker_fixture("feedback_yes_after_answer"))
    assert texts(messages) == [load_content().messages["feedback_thanks_helpful"]]
    [row] = rows(support_db, db.feedback)
    assert (row.sender_id, row.topic, row.helpful) == ("fixture-feedback_yes_after_answer", "yoga", True)
    assert row.prompt_at == 1767261607.0  # the prompt it answers


def test_rating_the_same_answer_twice_keeps_the_last_rating(tracker_fixture, support_db):
    run(ActionFeedback(), tracker_fixture("feedback_yes_after_answer"))
    run(
        ActionFeedback(),
        tracker_fixture(
            "feedback_yes_after_answer",
            latest_message={
                "text": "/feedback_not_helpful",
                "intent": {"name": "feedback_not_helpful"},
                "entities": [],
            },
        ),
    )
    assert [(r.topic, r.helpful) for r in rows(support_db, db.feedback)] == [("yoga", False)]


def test_not_helpful_in_words_offers_a_person(tracker_fixture, support_db):
    messages, _ = run(ActionFeedback(), tracker_fixture("feedback_not_helpful_words"))
    assert texts(messages) == [load_content().messages["feedback_thanks_not_helpful"]]
    assert messages[0]["buttons"][0]["payload"] == "/request_human"
    assert [(r.topic, r.helpful) for r in rows(support_db, db.feedback)] == [("sleep", False)]


def test_a_feedback_button_still_counts_after_another_message(tracker_fixture, support_db):
    run(ActionFeedback(), tracker_fixture("feedback_button_after_other_message"))
    assert [(r.topic, r.helpful) for r in rows(support_db, db.feedback)] == [("yoga", True)]


def test_yes_that_does_not_answer_the_prompt_is_a_plain_acknowledgement(tracker_fixture, support_db):
    messages, _ = run(ActionFeedback(), tracker_fixture("affirm_without_prompt"))
    assert messages[0]["response"] == "utter_affirm_ack"
    assert rows(support_db, db.feedback) == []


def test_feedback_storage_failure_still_thanks_the_user(tracker_fixture, monkeypatch):
    monkeypatch.setenv("PAINFAQ_DB_URL", "postgresql://nobody@127.0.0.1:1/none")
    db.dispose_engines()
    messages, _ = run(ActionFeedback(), tracker_fixture("feedback_yes_after_answer"))
    assert texts(messages) == [load_content().messages["feedback_thanks_helpful"]]
    db.dispose_engines()
