"""The replies stored after a user message, as a retried request gets them (painfaq.rasa_patches.repeated_turns)."""

from __future__ import annotations

from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from painfaq.rasa_patches.repeated_turns import stored_replies


def conversation() -> list:
    return [
        UserUttered("hi", message_id="m1"),
        ActionExecuted("utter_greet"),
        BotUttered("Hello!"),
        ActionExecuted("action_listen"),
        UserUttered("does yoga help?", message_id="m2"),
        ActionExecuted("action_answer"),
        BotUttered("Yoga helps.", data={"buttons": [{"title": "More", "payload": "/tell_more"}]}),
        BotUttered(None, data={"custom": {"type": "answer", "topic": "yoga"}}),
        ActionExecuted("action_listen"),
        UserUttered("thanks", message_id="m3"),
        BotUttered("You're welcome."),
    ]


def test_replies_after_the_message_up_to_the_next_one_as_rasa_sends_them():
    assert stored_replies(conversation(), "m2") == [
        {"text": "Yoga helps.", "buttons": [{"title": "More", "payload": "/tell_more"}]},
        {"custom": {"type": "answer", "topic": "yoga"}},
    ]
    assert stored_replies(conversation(), "m3") == [{"text": "You're welcome."}]


def test_an_unknown_id_is_a_new_message():
    assert stored_replies(conversation(), "m9") is None


def test_a_message_stored_without_replies_has_none():
    assert stored_replies([UserUttered("hello", message_id="m1"), ActionExecuted("action_listen")], "m1") == []
