"""Follow-ups that point at what the assistant just said, the warning-sign note and the warning-signs topic,
run offline against tracker fixtures (tests/fixtures/make_support_fixtures.py writes them)."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq, ActionOtherOptions, ActionPickOffered, ActionSourcesForLast, position_in
from painfaq.content.loader import load_content
from painfaq.safety.rules import load_default_safety_net


def run(action, tracker) -> tuple:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, domain={})
    return dispatcher.messages, events


def kinds(messages: List[Dict[str, Any]]) -> List[str]:
    return [(m.get("custom") or {}).get("type", "") for m in messages]


def test_positions_people_use_for_buttons():
    assert position_in("the second one") == 1
    assert position_in("number 2 please") == 1
    assert position_in("3") == 2
    assert position_in("the last one") == -1
    assert position_in("option one") == 0
    assert position_in("the yoga one") is None  # "one" alone is not a position
    assert position_in("more on the breathing one") is None


def test_the_second_one_is_the_second_topic_just_offered(tracker_fixture):
    messages, events = run(ActionPickOffered(), tracker_fixture("pick_second_after_overview"))
    assert messages[0]["custom"]["topic"] == "exercise"
    assert SlotSet("last_topic", "exercise") in events


def test_the_yoga_one_is_the_remedy_named(tracker_fixture):
    messages, _ = run(ActionPickOffered(), tracker_fixture("pick_yoga_one_after_overview"))
    assert messages[0]["custom"]["topic"] == "yoga"


def test_an_unclear_pick_asks_which_one_with_the_offered_topics(tracker_fixture):
    content = load_content()
    messages, events = run(ActionPickOffered(), tracker_fixture("pick_unclear_after_overview"))
    assert messages[0]["text"] == content.messages["which_one"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads == [f"/faq_{t}" for t in content.topics["relief_overview"].suggestions]
    assert events == []


def test_other_options_after_one_remedy_are_the_remedies_not_shown_yet(tracker_fixture):
    content = load_content()
    messages, events = run(ActionOtherOptions(), tracker_fixture("other_options_after_yoga"))
    answer = messages[0]
    assert answer["custom"]["type"] == "answer" and answer["custom"]["topic"] == "relief_overview"
    assert answer["text"].startswith(content.messages["other_options_lead"])
    assert (
        "• Yoga." not in answer["text"]
        and "• Physical therapy." in answer["text"]
        and "• Consider therapy." in answer["text"]
    )
    assert [b["payload"] for b in answer["buttons"]] == [
        "/faq_physical_therapy",
        "/faq_exercise",
        "/faq_breathing",
        "/faq_therapy",
    ]
    assert answer["text"].endswith(content.disclaimer)
    assert SlotSet("last_topic", "relief_overview") in events


def test_other_options_as_a_first_question_is_held_to_its_premises(tracker_fixture):
    def first(text: str):
        message = {"text": text, "intent": {"name": "other_options", "confidence": 0.7}, "entities": []}
        return tracker_fixture("faq_yoga", latest_message=message, slots={"last_topic": None, "more_shown": False})

    declined, _ = run(ActionOtherOptions(), first("Are there any anxiety medications that help in the moment?"))
    assert declined[0]["custom"]["type"] == "out_of_scope"
    answered, _ = run(ActionOtherOptions(), first("what other options are there for my back pain?"))
    assert answered[0]["custom"]["type"] == "answer" and answered[0]["custom"]["topic"] == "relief_overview"


def test_other_options_when_every_remedy_was_shown_says_so(tracker_fixture):
    content = load_content()
    messages, _ = run(ActionOtherOptions(), tracker_fixture("other_options_after_every_remedy"))
    assert messages[0]["text"] == content.messages["no_other_options"]
    assert len(messages[0]["buttons"]) == len(content.topics["relief_overview"].suggestions)


def test_says_who_after_did_you_mean_claims_no_sources(tracker_fixture):
    content = load_content()
    messages, _ = run(ActionSourcesForLast(), tracker_fixture("source_after_did_you_mean"))
    assert messages[0]["text"] == content.messages["not_answered_yet"]
    assert "Sources:" not in messages[0]["text"]
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/faq_nervous_system", "/faq_sleep"]


def test_a_suspected_red_flag_adds_the_warning_note_under_the_answer(tracker_fixture):
    messages, _ = run(ActionAnswerFaq(), tracker_fixture("faq_yoga_with_suspected_red_flag"))
    assert kinds(messages) == ["answer", "warning_note", "feedback_prompt"]
    assert messages[0]["custom"]["topic"] == "yoga"
    note = messages[1]["text"]
    numbers = load_default_safety_net().content["numbers"]
    assert numbers["emergency_number"] in note and "bladder" in note and "fever" in note
    assert "\n\n" not in note


def test_no_warning_note_without_a_suspicion(tracker_fixture):
    messages, _ = run(ActionAnswerFaq(), tracker_fixture("faq_yoga"))
    assert kinds(messages) == ["answer", "feedback_prompt"]


def test_warning_signs_question_gets_the_list_with_disclaimer_not_an_alarm(tracker_fixture):
    content = load_content()
    safety = load_default_safety_net().content
    messages, events = run(ActionAnswerFaq(), tracker_fixture("faq_warning_signs"))
    answer = messages[0]
    assert answer["custom"]["type"] == "answer" and answer["custom"]["topic"] == "warning_signs"
    for sign in safety["warning_signs"]["emergency"] + safety["warning_signs"]["same_day"]:
        assert sign[1:] in answer["text"]
    assert safety["warning_signs"]["source"]["url"] in answer["text"]
    assert content.article.url not in answer["text"]  # not from the article, so not cited as it
    assert answer["text"].endswith(content.disclaimer)
    assert SlotSet("last_topic", "warning_signs") in events
