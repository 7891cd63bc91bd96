"""End to end: the real action server and Rasa server, talked to over the REST channel."""

from __future__ import annotations

import uuid

import pytest
import requests

from painfaq.content.loader import load_content

pytestmark = pytest.mark.e2e


def new_sender() -> str:
    return f"e2e-{uuid.uuid4()}"


def texts(messages: list) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def custom_payloads(messages: list) -> list:
    return [m["custom"] for m in messages if "custom" in m]


def assert_answer(messages: list, topic_id: str) -> None:
    content = load_content()
    topic = content.topics[topic_id]
    text = texts(messages)
    assert topic.passage[0].text in text, f"expected {topic_id}, got: {text[:300]}"
    assert "Sources:" in text and content.article.url in text
    assert content.disclaimer in text
    payloads = custom_payloads(messages)
    assert payloads and payloads[0]["type"] == "answer" and payloads[0]["topic"] == topic_id


def test_answers_the_headline_question_with_sources_and_disclaimer(live_servers):
    messages = live_servers.send(new_sender(), "can anxiety cause back pain?")
    assert_answer(messages, "can_anxiety_cause_back_pain")
    assert "https://doi.org/10.1016/j.pain.2007.01.022" in texts(messages)
    assert any(m.get("buttons") for m in messages), "follow-up suggestions expected"


def test_follow_ups_use_the_last_topic(live_servers):
    sender = new_sender()
    assert_answer(live_servers.send(sender, "does yoga help?"), "yoga")
    sources = live_servers.send(sender, "what's the source for that?")
    assert "https://doi.org/10.1097/j.pain.0000000000002416" in texts(sources)
    assert "Yoga encourages you" not in texts(sources)
    assert_answer(live_servers.send(sender, "and how long does it last?"), "how_long")


def test_tell_me_more_continues_the_topic(live_servers):
    sender = new_sender()
    assert_answer(live_servers.send(sender, "how can i tell if my back pain is from anxiety"), "signs")
    more = texts(live_servers.send(sender, "tell me more"))
    assert load_content().topics["signs"].more[0].text in more


@pytest.mark.parametrize(
    "question, decline",
    [
        ("can anxiety cause chest pain?", "out_of_scope"),
        ("what dose of ibuprofen should I take?", "out_of_scope_medicine"),
    ],
)
def test_out_of_scope_gets_no_article_content(live_servers, question, decline):
    messages = live_servers.send(new_sender(), question)
    text = texts(messages)
    # A question how to take a medicine is told to ask a pharmacist or a doctor: the reason travels from the NLU
    # pipeline's parse output to the action server.
    assert load_content().messages[decline] in text
    assert "Sources:" not in text
    buttons = [b for m in messages for b in m.get("buttons", [])]
    assert any(b["payload"] == "/request_human" for b in buttons)
    assert len(buttons) >= 3


def test_button_payloads_work(live_servers):
    assert_answer(live_servers.send(new_sender(), "/faq_bridge_and_breathe"), "bridge_and_breathe")


@pytest.mark.parametrize(
    "bad_input",
    [
        "",
        "   ",
        "x" * 10_000,
        "🙂🙂🙂🙂",
        "?!?!...",
        "背中の痛みは不安から来ますか",
        "<script>alert(1)</script>",
        "<b>does yoga help?</b>",
    ],
)
def test_bad_input_gets_a_reply_never_an_error(live_servers, bad_input):
    response = requests.post(live_servers.webhook, json={"sender": new_sender(), "message": bad_input}, timeout=60)
    assert response.status_code == 200
    messages = response.json()
    assert messages and all(m.get("text") or m.get("custom") for m in messages)


def test_red_flag_gets_urgent_care_guidance_and_no_article(live_servers):
    messages = live_servers.send(new_sender(), "my back hurts and since this morning I can't control my bladder")
    text = texts(messages)
    assert "911" in text and "Sources:" not in text
    assert any(p.get("type") == "safety" for p in custom_payloads(messages))
    assert not any(m.get("buttons") for m in messages)


def test_crisis_language_gets_crisis_resources(live_servers):
    messages = live_servers.send(new_sender(), "the pain is so bad i don't want to live anymore")
    text = texts(messages)
    assert "988" in text and "Sources:" not in text


def test_a_retried_message_is_answered_from_the_store_not_handled_twice(live_servers):
    """A proxy or client that resends a request (same X-Request-ID) after a lost reply gets the stored replies."""
    import sqlite3
    from pathlib import Path

    sender, request_id = new_sender(), uuid.uuid4().hex

    def post(message: str, **headers: str) -> list:
        reply = requests.post(live_servers.webhook, json={"sender": sender, "message": message}, headers=headers)
        reply.raise_for_status()
        return reply.json()

    first = post("does yoga help?", **{"X-Request-ID": request_id})
    assert_answer(first, "yoga")
    assert post("does yoga help?", **{"X-Request-ID": request_id}) == first
    # The same words without an id, or with another id, are a new message.
    assert_answer(post("does yoga help?"), "yoga")
    assert_answer(post("does yoga help?", **{"X-Request-ID": uuid.uuid4().hex}), "yoga")
    with sqlite3.connect(Path(live_servers.workdir) / "tracker.db") as db:
        stored = db.execute(
            "SELECT COUNT(*) FROM events WHERE sender_id = ? AND type_name = 'user'", (sender,)
        ).fetchone()[0]
    assert stored == 3


# A forum-length post written for this test (not a real one): a story first, the question last, over 2,000 characters.
_STORY = (
    "Sorry in advance, this is going to be a long one. I'm 41 and I work as an accountant, which means tax season is "
    "brutal every single year. From January to April I basically live at my desk, eat lunch in front of the screen and "
    "get home after the kids are asleep. My partner keeps telling me I look exhausted and honestly I feel it. "
    "Last year I started noticing an ache across my lower back around February. I figured it was the chair, so I bought "
    "a new one with lumbar support, then a standing desk converter, then a cushion. None of it made much difference. "
    "In the summer, when work calmed down, the ache mostly faded and I forgot about it. I went hiking with my family, "
    "played with the kids in the garden and felt more or less normal. Then this January it came right back, almost to "
    "the week, and it has been creeping up into my shoulders as well. I catch myself with my shoulders up near my ears "
    "when I'm going through spreadsheets, and my jaw is clenched by the end of the day. I sleep badly in the busy months, "
    "I lie awake going through lists in my head, and the mornings after a bad night are the worst for my back. "
    "I saw my GP in the spring and she examined me, said my back looked fine and suggested I keep moving. "
    "I've tried heat packs, a foam roller and a few videos of stretches, and they help for an hour or so. "
    "My brother thinks it's just age and my mum thinks I need a new mattress. "
)


def test_a_long_story_that_asks_last_is_read_and_answered(live_servers):
    """Real people tell the story first: a 2,900-character post is read whole, and its last question is answered."""
    post = _STORY * 2 + "Is my back pain from stress?"
    assert len(post) > 2000
    assert_answer(live_servers.send(new_sender(), post), "can_anxiety_cause_back_pain")


def test_a_message_too_long_to_read_names_the_crisis_and_emergency_numbers(live_servers):
    from painfaq.safety.rules import load_safety_content

    numbers = load_safety_content()["numbers"]
    messages = live_servers.send(new_sender(), _STORY * 8 + "I can't go on.")
    assert custom_payloads(messages) == [{"type": "error", "reason": "message_too_long", "max_chars": 8000}]
    text = texts(messages)
    assert str(numbers["crisis_number"]) in text and str(numbers["emergency_number"]) in text
