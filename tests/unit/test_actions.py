"""Custom actions run offline against JSON tracker fixtures (tests/fixtures/trackers)."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq, ActionDidYouMean, ActionOutOfScope, ActionSourcesForLast, ActionTellMore
from actions.safety import ActionSafetyReply
from painfaq.content.loader import load_content


def run(action, tracker) -> tuple:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, domain={})
    return dispatcher.messages, events


def text_of(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def test_answer_is_composed_and_remembered(tracker_fixture):
    content = load_content()
    messages, events = run(ActionAnswerFaq(), tracker_fixture("faq_yoga"))
    assert len(messages) == 2  # the answer, then "Was this helpful?" (tests/unit/test_support_actions.py)
    message = messages[0]
    assert message["text"].startswith(content.topics["yoga"].passage[0].text)
    assert "https://doi.org/10.1097/j.pain.0000000000002416" in message["text"]
    assert message["text"].endswith(content.disclaimer)
    assert message["custom"]["type"] == "answer" and message["custom"]["topic"] == "yoga"
    assert [b["payload"] for b in message["buttons"]] == ["/faq_breathing", "/faq_exercise"]
    assert SlotSet("last_topic", "yoga") in events and SlotSet("more_shown", False) in events


def test_red_flag_in_an_faq_message_gets_the_safety_reply_instead(tracker_fixture):
    messages, events = run(ActionAnswerFaq(), tracker_fixture("faq_yoga_with_red_flag"))
    text = text_of(messages)
    assert "911" in text
    assert "Yoga encourages" not in text and "Sources:" not in text
    assert messages[0]["custom"]["type"] == "safety"
    assert not messages[0]["buttons"]
    assert events == []


def test_source_for_that_lists_the_last_topics_studies(tracker_fixture):
    messages, _ = run(ActionSourcesForLast(), tracker_fixture("source_after_yoga"))
    text = text_of(messages[:1])  # messages[1] is "Was this helpful?"
    assert "Anheyer et al. (2021)" in text and "Yoga encourages" not in text
    assert text.endswith(load_content().disclaimer)


def test_source_without_a_previous_answer_lists_all_sources(tracker_fixture):
    messages, _ = run(ActionSourcesForLast(), tracker_fixture("source_without_topic"))
    assert messages[0]["custom"]["topic"] == "sources"
    assert len(messages[0]["custom"]["citations"]) == 1 + len(load_content().references)


def test_tell_more_gives_the_rest_of_the_topic_once(tracker_fixture):
    content = load_content()
    messages, events = run(ActionTellMore(), tracker_fixture("more_after_signs"))
    assert content.topics["signs"].more[0].text in text_of(messages)
    assert events == [SlotSet("more_shown", True)]
    messages, events = run(ActionTellMore(), tracker_fixture("more_after_signs_again"))
    assert text_of(messages) == content.messages["no_more"]
    assert {b["payload"] for b in messages[0]["buttons"]} == {"/faq_relief_overview", "/faq_how_long"}


def test_tell_more_about_a_named_remedy_answers_that_topic(tracker_fixture):
    messages, events = run(ActionTellMore(), tracker_fixture("more_about_physio"))
    assert messages[0]["custom"]["topic"] == "physical_therapy"
    assert SlotSet("last_topic", "physical_therapy") in events


def test_tell_more_without_a_topic_offers_examples(tracker_fixture):
    messages, _ = run(ActionTellMore(), tracker_fixture("more_without_topic"))
    assert text_of(messages) == load_content().messages["no_previous_topic"]
    assert messages[0]["buttons"]


def test_did_you_mean_offers_the_top_two_topics(tracker_fixture):
    messages, _ = run(ActionDidYouMean(), tracker_fixture("fallback_breathing_or_tension"))
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/faq_breathing", "/faq_muscle_tension", "/out_of_scope"]
    assert "Sources:" not in text_of(messages)


def test_did_you_mean_declines_when_the_model_leans_out_of_scope(tracker_fixture):
    messages, _ = run(ActionDidYouMean(), tracker_fixture("fallback_leaning_out_of_scope"))
    assert text_of(messages) == load_content().messages["out_of_scope"]


def test_did_you_mean_declines_when_out_of_scope_is_the_runner_up(tracker_fixture):
    messages, _ = run(ActionDidYouMean(), tracker_fixture("fallback_topic_or_out_of_scope"))
    assert text_of(messages) == load_content().messages["out_of_scope"]


def test_did_you_mean_declines_a_first_question_whose_candidates_all_lack_its_premise(tracker_fixture):
    unsure = {"name": "nlu_fallback", "confidence": 0.5}
    ranking = [
        unsure,
        {"name": "faq_how_long", "confidence": 0.35},
        {"name": "faq_relief_overview", "confidence": 0.33},
    ]

    def asked(text: str, last_topic=None):
        message = {"text": text, "intent": unsure, "intent_ranking": ranking, "entities": []}
        return tracker_fixture(
            "fallback_breathing_or_tension", latest_message=message, slots={"last_topic": last_topic}
        )

    # The neck alone, no word of stress: neither answer would be given, so neither is offered.
    messages, _ = run(ActionDidYouMean(), asked("Stiff neck. I have a stiff neck that will not go away."))
    assert text_of(messages) == load_content().messages["out_of_scope"]
    # With stress named, or after an answer (a follow-up leans on it), the two topics are offered.
    for tracker in (asked("my neck is stiff from stress and will not go away"), asked("stiff neck", last_topic="yoga")):
        messages, _ = run(ActionDidYouMean(), tracker)
        assert [b["payload"] for b in messages[0]["buttons"]][:2] == ["/faq_how_long", "/faq_relief_overview"]


def test_out_of_scope_declines_with_examples_and_a_person(tracker_fixture):
    content = load_content()
    messages, _ = run(ActionOutOfScope(), tracker_fixture("out_of_scope_ibuprofen"))
    assert text_of(messages) == content.messages["out_of_scope"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[-1] == "/request_human"
    assert payloads[:-1] == [f"/{content.topics[t].intent}" for t in content.example_topics]


def test_a_question_how_to_take_a_medicine_is_told_where_to_ask(tracker_fixture):
    content = load_content()
    message = {
        "text": "how much naproxen can i take for my stress backache",
        "intent": {"name": "out_of_scope", "confidence": 0.9},
        "intent_ranking": [{"name": "out_of_scope", "confidence": 0.9}],
        "entities": [],
        "declined_for": "medicine",
    }
    messages, _ = run(ActionOutOfScope(), tracker_fixture("out_of_scope_ibuprofen", latest_message=message))
    assert text_of(messages) == content.messages["out_of_scope_medicine"]
    assert "pharmacist" in text_of(messages)
    assert messages[0]["custom"] == {"type": "out_of_scope", "reason": "medicine"}
    assert [b["payload"] for b in messages[0]["buttons"]][-1] == "/request_human"


def test_safety_reply_when_only_the_nlu_model_flagged_it(tracker_fixture):
    messages, _ = run(ActionSafetyReply(), tracker_fixture("red_flag_nlu_only"))
    assert "911" in text_of(messages) and "warning signs" in text_of(messages)
    assert messages[0]["custom"]["type"] == "safety"
    assert messages[0]["custom"]["level"] == "check"


def test_crisis_reply_gives_988_and_nothing_else(tracker_fixture):
    messages, _ = run(ActionSafetyReply(), tracker_fixture("crisis_text"))
    assert len(messages) == 1
    assert "988" in messages[0]["text"]
    assert messages[0]["custom"]["level"] == "crisis"


def test_an_action_that_fails_still_replies(tracker_fixture, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("content store unavailable")

    monkeypatch.setattr("actions.faq.compose_answer", broken)
    messages, events = run(ActionAnswerFaq(), tracker_fixture("faq_yoga"))
    assert text_of(messages) == load_content().messages["action_error"]
    assert events == []


def first_question(tracker_fixture, text: str, intent: str, last_topic=None):
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    message["intent_ranking"] = [message["intent"]]
    return tracker_fixture("faq_yoga", latest_message=message, slots={"last_topic": last_topic, "more_shown": False})


def test_a_first_question_about_anxiety_alone_or_told_a_mechanism_it_never_asked_about_is_declined(tracker_fixture):
    for text, intent in (
        ("how do I calm my anxiety?", "faq_relief_overview"),
        ("what are the symptoms of anxiety", "faq_signs"),
        ("how long does a panic attack last", "faq_how_long"),
        # No stress named: not told how anxiety tenses muscles (PremiseGate does the same for long messages).
        ("why does my back hurt", "faq_how_anxiety_causes_back_pain"),
        ("muscle knots in back", "faq_muscle_tension"),
        # A verb's tense or a liquid's surface tension is neither stress nor a body complaint.
        ("past tense of plead", "faq_muscle_tension"),
        ("What is surface tension?", "faq_muscle_tension"),
        # A search-box question naming nothing of the article shares a word with a topic at most.
        ("How many verb tense in English ?", "faq_how_long"),
        ("when did the rams go back to la", "faq_warning_signs"),
        # Another cause named: whether Covid or a mattress causes back pain, the article does not say.
        ("Does Covid cause back and neck pain?", "faq_can_anxiety_cause_back_pain"),
        ("can a bad mattress give you back pain?", "faq_can_anxiety_cause_back_pain"),
        ("can sleeping pills cause back pain", "faq_sleep"),
        # The article's own question with no stress and no strain of life named: a search for what the ache is.
        ("low back pain causes", "faq_can_anxiety_cause_back_pain"),
        ("Lower back soreness or pain?", "faq_can_anxiety_cause_back_pain"),
        # Another condition named, with no word of stress: sciatica, pregnancy.
        ("what is the fastest way to relieve sciatica", "faq_relief_overview"),
        ("back pain relief during pregnancy", "faq_relief_overview"),
        # The neck or shoulders alone, with no word of stress: the article's remedies and course are for back pain.
        ("What is the best treatment for neck and shoulder pain?", "faq_relief_overview"),
        ("How should I sleep with shoulder pain?", "faq_sleep"),
        ("I always have a stiff neck. Can't get it to go away.", "faq_how_long"),
        # Why the back hurts, with no word of stress: a diagnosis question, whatever topic its words are nearest to.
        ("Why does my back hurt when I breathe or bend over?", "faq_breathing"),
        # "that" as a relative pronoun points at no complaint.
        ("Are there any anxiety medications that help in the moment?", "faq_relief_overview"),
        # Knots and tightness of another organ are not the body complaint the article is about.
        ("my stomach is in knots from anxiety all day, what helps?", "faq_relief_overview"),
        # An ache told, nothing asked, nothing the article links it to: what the person wants is unknown.
        ("Working makes my back hurt.", "faq_can_anxiety_cause_back_pain"),
        ("my extreme lower back pain", "faq_relief_overview"),
        # Which medicine to take: the article names none.
        ("What supplements help with the muscle tension in my neck caused by stress?", "faq_muscle_tension"),
        ("my back aches from stress all the time. can medication help?", "faq_relief_overview"),
        # Poor sleep alone, or what to sleep on, with no back ache and stress told together: the sleep topic's cycle is not
        # in the question.
        ("How do you guys fight insomnia?", "faq_sleep"),
        ("My back hurts when I lay down, and I can't get any sleep. Would a special mattress help me?", "faq_sleep"),
    ):
        messages, _ = run(ActionAnswerFaq(), first_question(tracker_fixture, text, intent))
        assert messages[0]["custom"]["type"] == "out_of_scope", text


def test_anxiety_with_a_body_complaint_a_follow_up_or_a_question_about_the_article_is_answered(tracker_fixture):
    answered = [
        first_question(tracker_fixture, "does stress make my shoulders ache?", "faq_muscle_tension"),
        # Leaning on the answer before it: the premise is already in the conversation.
        first_question(tracker_fixture, "and how do I calm my anxiety?", "faq_relief_overview", last_topic="yoga"),
        first_question(tracker_fixture, "who wrote this about anxiety?", "faq_experts"),
        # Nothing said of stress at all: the widget's topic is implied ("does yoga help?").
        first_question(tracker_fixture, "does yoga help?", "faq_yoga"),
        # The complaint implied by "it": is the pain from anxiety?
        first_question(tracker_fixture, "ok, how do I know it's anxiety?", "faq_signs"),
        first_question(tracker_fixture, "how common is it? what does the research say?", "faq_how_common"),
        first_question(tracker_fixture, "is that normal when I'm anxious?", "faq_signs"),
        # The back's ache told with poor sleep is half of the sleep topic's cycle (the labelling guide's settled case).
        first_question(tracker_fixture, "My back hurts and I am having trouble sleeping.", "faq_sleep"),
        # ...and so is poor sleep asked about as the back's cause: one of the article's own causes, not another one.
        first_question(tracker_fixture, "can lack of sleep cause back pain", "faq_sleep"),
        # A mechanism asked about with stress named, and a remedy with no stress named.
        first_question(tracker_fixture, "why does stress make my back hurt", "faq_how_anxiety_causes_back_pain"),
        # A cause question whose cause is stress or feelings, in any words.
        first_question(tracker_fixture, "Can emotional stress cause back pain?", "faq_can_anxiety_cause_back_pain"),
        first_question(tracker_fixture, "does worrying lead to neck pain", "faq_can_anxiety_cause_back_pain"),
        # ...or a strain of life, or stress misspelt, in its place.
        first_question(
            tracker_fixture, "Could my divorce be giving me low back pain?", "faq_can_anxiety_cause_back_pain"
        ),
        first_question(tracker_fixture, "can strss cause lower back pain", "faq_can_anxiety_cause_back_pain"),
        # An event that brings stress, named in its place: a why-question or the neck alone is then the article's too.
        first_question(
            tracker_fixture, "why does my back hurt so much since my divorce?", "faq_how_anxiety_causes_back_pain"
        ),
        first_question(
            tracker_fixture, "my neck has been tight since I was laid off, what helps?", "faq_muscle_tension"
        ),
        first_question(tracker_fixture, "can being sad cause back pain?", "faq_can_anxiety_cause_back_pain"),
        # The other direction, which the article answers too: pain as the cause of anxiety.
        first_question(tracker_fixture, "Can upper back pain cause anxiety?", "faq_can_anxiety_cause_back_pain"),
        # Another condition with stress named: the stress is the question.
        first_question(tracker_fixture, "can stress make my sciatica worse?", "faq_can_anxiety_cause_back_pain"),
        first_question(tracker_fixture, "what exercises help my lower back?", "faq_exercise"),
        # The article's own remedies named in its words are the article, however terse.
        first_question(tracker_fixture, "what are movement snacks", "faq_exercise"),
        first_question(tracker_fixture, "should i see a pt", "faq_physical_therapy"),
        # An ache told with something the article links it to (sleep), or asking for help, or a search query.
        first_question(tracker_fixture, "slept 3 hours again and my back is killing me", "faq_relief_overview"),
        first_question(tracker_fixture, "my back hurts, any tips", "faq_relief_overview"),
        first_question(tracker_fixture, "lower back pain relief", "faq_relief_overview"),
        # How long it has lasted is the article's course of back pain.
        first_question(tracker_fixture, "my lower back has been hurting for months", "faq_how_long"),
        # A why-question about one of the article's remedies is no request for a diagnosis.
        first_question(tracker_fixture, "why does yoga help with back pain?", "faq_yoga"),
        first_question(tracker_fixture, "why is physical therapy good for a bad back?", "faq_physical_therapy"),
        # A medicine named next to the question how to treat it keeps the question.
        first_question(
            tracker_fixture,
            "how do I treat back pain from stress? which medication do people use?",
            "faq_relief_overview",
        ),
        # The neck or shoulders with stress named, or with the back: the article's subject.
        first_question(tracker_fixture, "my neck gets so stiff when I'm stressed, what helps?", "faq_relief_overview"),
        first_question(
            tracker_fixture, "pain in my neck, shoulders and upper back, what can I do?", "faq_relief_overview"
        ),
        # A button the person clicked (the decline's example questions, a "did you mean"): their choice.
        first_question(tracker_fixture, "/faq_how_common", "faq_how_common"),
        # A follow-up leans on the answer before it.
        first_question(tracker_fixture, "why do my muscles tighten up?", "faq_muscle_tension", last_topic="signs"),
    ]
    for tracker in answered:
        messages, _ = run(ActionAnswerFaq(), tracker)
        assert messages[0]["custom"]["type"] == "answer", tracker.latest_message["text"]
