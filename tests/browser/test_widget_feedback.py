"""The "Was this helpful?" prompt in the widget (stub Rasa): a small row under the answer it rates, not a
bubble of its own; a click sends /feedback_helpful or /feedback_not_helpful once; it survives a reload."""

from __future__ import annotations

import re

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

FEEDBACK_BUTTONS = [
    {"title": "Yes", "payload": "/feedback_helpful"},
    {"title": "No", "payload": "/feedback_not_helpful"},
]


def answer_with_prompt(make_answer, sender):
    citations = [
        {
            "label": "Hinge Health: Can Anxiety Cause Back Pain?",
            "url": "https://www.hingehealth.com/resources/articles/can-anxiety-cause-back-pain/",
        }
    ]
    suggestions = [{"title": "Does yoga help?", "payload": "/faq_yoga"}]
    return make_answer(
        sender, "Can anxiety cause back pain?", "The answer is yes.", citations, suggestions, topic="can_anxiety"
    ) + [
        {"recipient_id": sender, "text": "Was this helpful?", "buttons": FEEDBACK_BUTTONS},
        {
            "recipient_id": sender,
            "custom": {"type": "feedback_prompt", "topic": "can_anxiety", "buttons": FEEDBACK_BUTTONS},
        },
    ]


def test_feedback_prompt_sits_under_the_answer_and_is_sent_once(stub_rasa, demo, new_page, widget_for, make_answer):
    stub_rasa.replies["anxiety?"] = lambda s, m: answer_with_prompt(make_answer, s)
    stub_rasa.replies["/feedback_helpful"] = lambda s, m: [{"recipient_id": s, "text": "Thanks for letting me know!"}]
    session = new_page(demo(stub_rasa.url))
    widget = widget_for(session.page)
    widget.open()
    widget.ask("anxiety?")

    expect(widget.bot_messages()).to_have_count(2)  # greeting + the answer: no separate "Was this helpful?" bubble
    answer = widget.last_bot()
    expect(answer).to_have_class(re.compile("pfw-msg--answer"))
    feedback = answer.get_by_role("group", name="Was this helpful?")
    expect(feedback.get_by_role("button")).to_have_text(["Yes", "No"])
    expect(answer.get_by_role("group", name="Suggested questions").get_by_role("button")).to_have_text(
        ["Does yoga help?"]
    )

    feedback.get_by_role("button", name="Yes").click()
    widget.wait_for_reply(2)
    assert stub_rasa.messages()[-1] == "/feedback_helpful"
    expect(widget.user_messages().last).to_have_text(re.compile(r"Was this helpful\? Yes$"))
    for button in feedback.get_by_role("button").all():
        expect(button).to_be_disabled()
    expect(widget.last_bot()).to_contain_text("Thanks for letting me know!")

    # After a reload the rating is still shown as given and cannot be sent again.
    session.page.reload()
    widget = widget_for(session.page)
    feedback = widget.bot_messages().nth(1).get_by_role("group", name="Was this helpful?")
    expect(feedback.get_by_role("button", name="Yes")).to_be_disabled()
    expect(feedback.get_by_role("button", name="Yes")).to_have_class(re.compile("pfw-chosen"))
    assert session.page_errors == [] and session.csp_violations() == []


def test_a_prompt_without_an_answer_before_it_is_an_ordinary_message(stub_rasa, demo, new_page, widget_for):
    stub_rasa.replies["hm"] = lambda s, m: [
        {"recipient_id": s, "text": "Was this helpful?", "buttons": FEEDBACK_BUTTONS},
        {"recipient_id": s, "custom": {"type": "feedback_prompt", "topic": "x", "buttons": FEEDBACK_BUTTONS}},
    ]
    session = new_page(demo(stub_rasa.url))
    widget = widget_for(session.page)
    widget.open()
    widget.ask("hm")
    expect(widget.last_bot()).to_contain_text("Was this helpful?")
    expect(widget.last_bot().get_by_role("button")).to_have_count(2)


def test_a_warning_note_between_the_answer_and_the_prompt_keeps_the_prompt_under_the_answer(
    stub_rasa, demo, new_page, widget_for, make_answer
):
    note = "In case it applies to you: call 911 or go to the emergency department if you have chest pain."

    def reply(s, m):
        answer = answer_with_prompt(make_answer, s)
        prompt = answer[-2:]
        return (
            answer[:-2]
            + [
                {"recipient_id": s, "text": note},
                {"recipient_id": s, "custom": {"type": "warning_note"}},
            ]
            + prompt
        )

    stub_rasa.replies["anxiety?"] = reply
    session = new_page(demo(stub_rasa.url))
    widget = widget_for(session.page)
    widget.open()
    widget.ask("anxiety?")
    expect(widget.bot_messages()).to_have_count(3)  # greeting, the answer (with its prompt), the note
    answer = widget.bot_messages().nth(1)
    expect(answer).to_have_class(re.compile("pfw-msg--answer"))
    expect(answer.get_by_role("group", name="Was this helpful?").get_by_role("button")).to_have_text(["Yes", "No"])
    expect(widget.last_bot()).to_contain_text(note)
    assert session.page_errors == [] and session.csp_violations() == []
