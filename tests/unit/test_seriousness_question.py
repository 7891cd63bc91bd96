"""SeriousnessQuestion: "is my back pain serious?" in any short wording gets the warning signs."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY

from painfaq.nlu.seriousness_question import WARNING_SIGNS_INTENT, SeriousnessQuestion, asks_if_back_pain_is_serious
from tests.harness.nlu_messages import parsed

# Written for this test in the wordings the classifier missed; none is a real message.
ASKS_IF_SERIOUS = [
    "is my back pain serious?",
    "could my back pain be something serious?",
    "Sometimes my lower back hurts when I get up. Could this be serious?",
    "my lower back has been sore for two weeks. is it serious?",
    "My back aches after work every day, should I be worried?",
    "when should I worry about my back pain",
    "how do I know if my back pain is serious",
    "what symptoms mean my back pain is serious?",
    "how serious is upper back pain",
    "backache for a month now, when should I see a doctor?",
    # A longer post of a question-and-answer site, and the doctor's visit weighed.
    "I'm 14 and I have lower back pain!!? It has been about a week and my lower back hurts when I bend down, when I lay "
    "down or when I stand up straight. I've never had back pain before and I have volleyball practice soon. "
    "Could this be serious??!",
    "A nagging ache in my lower back since yesterday's workout, a 4 out of 10. Is it worth going to the doctor or should "
    "I give it a few days?",
    "my lower back has been sore all week, do I need to see a doctor?",
]

# Another organ, a condition, a medicine, the stress question, a long story, or no question about seriousness.
NOT_THIS_QUESTION = [
    "my chest and back hurt, is it serious?",
    "is my headache serious?",
    "I have a herniated disc, is it serious?",
    "is my back pain serious or is it just stress?",
    "my back hurts when I'm stressed, what can I do?",
    "is my neck pain serious",
    "is it serious if I forget my password?",
    "I hurt my back at work last month and the physio said it was a strain, then my shoulder started clicking, and now "
    "the pain wakes me at night and my hands feel odd in the morning, and my manager wants a note from the doctor "
    "before I can go back on the floor, should I be worried?",
]


@pytest.mark.parametrize("text", ASKS_IF_SERIOUS)
def test_a_question_whether_the_back_pain_is_serious_is_recognised(text: str) -> None:
    assert asks_if_back_pain_is_serious(text)


@pytest.mark.parametrize("text", NOT_THIS_QUESTION)
def test_other_questions_are_not(text: str) -> None:
    assert not asks_if_back_pain_is_serious(text)


def test_a_decline_or_an_explanation_becomes_the_warning_signs() -> None:
    for guess in ("out_of_scope", "faq_can_anxiety_cause_back_pain", "faq_how_long", "faq_exercise"):
        message = parsed(
            "is my back pain serious?", [(guess, 0.54), (WARNING_SIGNS_INTENT, 0.41), ("faq_nervous_system", 0.05)]
        )
        SeriousnessQuestion().process([message])
        assert message.get(INTENT)["name"] == WARNING_SIGNS_INTENT, guess
        # every replaced guess's probability moved, so the top two cannot tie and "did you mean" is not asked
        assert abs(message.get(INTENT)["confidence"] - 1.0) < 1e-9
        assert {e["name"] for e in message.get(INTENT_RANKING_KEY)} >= {guess, "faq_nervous_system"}


def test_a_remedy_stays_when_the_message_also_asks_what_helps() -> None:
    message = parsed(
        "my back hurts every morning, is it serious? what can I do?",
        [("faq_relief_overview", 0.7), (WARNING_SIGNS_INTENT, 0.3)],
    )
    SeriousnessQuestion().process([message])
    assert message.get(INTENT)["name"] == "faq_relief_overview"


def test_the_safety_net_and_short_replies_keep_their_guess() -> None:
    for guess in ("red_flag", "crisis", "thank"):
        message = parsed("is my back pain serious?", [(guess, 0.9), (WARNING_SIGNS_INTENT, 0.1)])
        SeriousnessQuestion().process([message])
        assert message.get(INTENT)["name"] == guess


def test_other_questions_keep_their_guess() -> None:
    message = parsed("is my headache serious?", [("out_of_scope", 0.8), (WARNING_SIGNS_INTENT, 0.2)])
    SeriousnessQuestion().process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"
