"""CauseQuestion: "is stress behind my aches?" in any wording gets the article's own answer."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY

from painfaq.nlu.cause_question import CAUSE_INTENT, CauseQuestion, asks_if_stress_causes_the_ache
from tests.harness.nlu_messages import parsed

# Written for this test in the wordings the classifier missed on real messages; none is a real message.
ASKS_IF_STRESS_CAUSES = [
    "is stress doing this to me?",
    "Is my back pain caused by stress?",
    "could my lower back pain be from anxiety",
    "is this back pain just anxiety?",
    "is it normal for anxiety to cause back pain",
    "How can I tell if my back pain is anxiety?",
    "My GP keeps saying my aches are because of my nerves. How do I know if anxiety is causing my pain?",
    "my shoulders are always tight. is that stress?",
    "is back pain a symptom of anxiety",
    "Is it all in my head? My back hurts every time work gets busy.",
    "is my back pain psychological?",
    "can being stressed out give you a backache",
    # the complaint named without "my" or "the"
    "do aches and pains have anything to do with stress? i worry about everything",
    "are these knots in my shoulders related to anxiety?",
]

# Other organs, conditions, tests and medicines, and questions that ask something else.
NOT_THIS_QUESTION = [
    "can anxiety cause chest pain?",
    "is my headache from stress",
    "can stress cause stomach pain",
    "can anxiety cause tingling in hands",
    "is my jaw pain from anxiety",
    "could my sciatica be caused by stress",
    "can stress cause a herniated disc",
    "is my knee pain from stress?",
    "I get canker sores every exam season, probably a result of the stress. How do I stop them?",
    "My back hurts since I started this job. Which anxiety medicine is best for sleep?",
    "my back pain is getting worse, how long will it last?",
    "What are good stretches for the lower back?",
    "does back pain have anything to do with sitting all day?",
    "could my lower back pain be related to my kidneys?",
    # how to take a medicine, asked after a back "hurting from the stress" (written probes, forty-fourth round)
    "my back is hurting from the stress at work. Can I take ibuprofen together with my sertraline and how many a day is "
    "safe?",
]


@pytest.mark.parametrize("text", ASKS_IF_STRESS_CAUSES)
def test_a_question_about_stress_behind_the_ache_is_recognised(text: str) -> None:
    assert asks_if_stress_causes_the_ache(text)


@pytest.mark.parametrize("text", NOT_THIS_QUESTION)
def test_other_questions_are_not(text: str) -> None:
    assert not asks_if_stress_causes_the_ache(text)


def test_an_out_of_scope_or_off_topic_guess_becomes_the_articles_answer() -> None:
    for guess in ("out_of_scope", "faq_medical_advice", "faq_how_long"):
        message = parsed("is stress doing this to me?", [(guess, 0.75), (CAUSE_INTENT, 0.05), ("faq_signs", 0.2)])
        CauseQuestion().process([message])
        assert message.get(INTENT)["name"] == CAUSE_INTENT, guess
        assert abs(message.get(INTENT)["confidence"] - 0.8) < 1e-9
        assert message.get(INTENT_RANKING_KEY)[-1]["name"] == guess


def test_an_article_topic_that_answers_the_same_story_stays() -> None:
    message = parsed("How can I tell if my back pain is anxiety?", [("faq_signs", 0.9), (CAUSE_INTENT, 0.1)])
    CauseQuestion().process([message])
    assert message.get(INTENT)["name"] == "faq_signs"


def test_other_questions_keep_their_guess() -> None:
    message = parsed("can anxiety cause chest pain?", [("out_of_scope", 0.8), (CAUSE_INTENT, 0.2)])
    CauseQuestion().process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"


def test_how_long_stays_when_the_question_asks_how_long_an_ache_named_by_its_cause_lasts() -> None:
    for text in ("will my back pain from stress ever go away", "how long does back pain from anxiety last?"):
        message = parsed(text, [("faq_how_long", 0.9), (CAUSE_INTENT, 0.1)])
        CauseQuestion().process([message])
        assert message.get(INTENT)["name"] == "faq_how_long", text
    # ...but a question whether stress is behind it still gets the article's own answer.
    message = parsed("is my back pain from stress?", [("faq_how_long", 0.6), (CAUSE_INTENT, 0.1)])
    CauseQuestion().process([message])
    assert message.get(INTENT)["name"] == CAUSE_INTENT
