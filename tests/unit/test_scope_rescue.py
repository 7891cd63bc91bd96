"""ScopeRescue: a message about stress and the back, neck or shoulders gets its best topic, not "out of scope"."""

from __future__ import annotations

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY

from painfaq.nlu.scope_rescue import ScopeRescue
from tests.harness.nlu_messages import parsed


def test_stress_and_the_neck_get_the_best_topic_with_the_out_of_scope_probability() -> None:
    message = parsed(
        "I seem to hold a lot of tension in my neck at work. My job isn't physical, but it's stressful. Could my "
        "neck pain have anything to do with my work?",
        [("out_of_scope", 0.55), ("faq_can_anxiety_cause_back_pain", 0.3), ("faq_muscle_tension", 0.15)],
    )
    ScopeRescue().process([message])
    assert message.get(INTENT)["name"] == "faq_can_anxiety_cause_back_pain"
    assert abs(message.get(INTENT)["confidence"] - 0.85) < 1e-9
    assert [e["name"] for e in message.get(INTENT_RANKING_KEY)] == [
        "faq_can_anxiety_cause_back_pain",
        "faq_muscle_tension",
    ]


def test_without_stress_or_the_region_or_with_a_weak_topic_out_of_scope_stays() -> None:
    ranking = [("out_of_scope", 0.6), ("faq_relief_overview", 0.3), ("faq_exercise", 0.1)]
    cases = [
        # No word of stress: a plain back problem.
        "I have lower back pain on the right side when I bend over, what is it?",
        # Stress and a pain, but not in the back, neck or shoulders.
        "I'm so anxious and I have intense abdominal pain and nausea, what helps?",
    ]
    for text in cases:
        message = parsed(text, ranking)
        ScopeRescue().process([message])
        assert message.get(INTENT)["name"] == "out_of_scope", text
    weak = parsed(
        "stress makes my back ache, can my kidney stones be why?",
        [("out_of_scope", 0.85), ("faq_can_anxiety_cause_back_pain", 0.1), ("faq_signs", 0.05)],
    )
    ScopeRescue().process([weak])
    assert weak.get(INTENT)["name"] == "out_of_scope"


def test_a_topic_already_on_top_is_left_alone() -> None:
    message = parsed(
        "stress makes my shoulders ache, what helps?", [("faq_relief_overview", 0.7), ("out_of_scope", 0.3)]
    )
    ScopeRescue().process([message])
    assert message.get(INTENT) == {"name": "faq_relief_overview", "confidence": 0.7}


def test_a_story_of_violence_by_someone_else_is_not_rescued() -> None:
    ranking = [("out_of_scope", 0.55), ("faq_breathing", 0.3), ("faq_relief_overview", 0.15)]
    assaulted = parsed(
        "When I refused he kicked me down and kicked my back until I had a panic attack and couldn't breathe. "
        "I still shake when I think about it.",
        ranking,
    )
    ScopeRescue().process([assaulted])
    assert assaulted.get(INTENT)["name"] == "out_of_scope"
    # A simile is not violence: the stress and the back are the article's.
    simile = parsed(
        "Every time I'm stressed it feels like someone kicked me in the back. Is that the anxiety?", ranking
    )
    ScopeRescue().process([simile])
    assert simile.get(INTENT)["name"] == "faq_breathing"


def test_a_figure_of_speech_is_not_the_region() -> None:
    ranking = [("out_of_scope", 0.6), ("faq_relief_overview", 0.3), ("faq_exercise", 0.1)]
    message = parsed("I'm so stressed, my boss is breathing down my neck every day. How do I cope?", ranking)
    ScopeRescue().process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"
    message = parsed("I'm so stressed at work and my neck is stiff every day. How do I cope?", ranking)
    ScopeRescue().process([message])
    assert message.get(INTENT)["name"] == "faq_relief_overview"


def test_worry_about_the_symptom_itself_is_not_stress() -> None:
    ranking = [("out_of_scope", 0.6), ("faq_relief_overview", 0.3), ("faq_exercise", 0.1)]
    for text in (
        "Lower back pain? I am 21 weeks pregnant and having lower back pain suddenly, any idea whats going on? i am worried.",
        "My lower back hurts when I bend down and I start volleyball soon. I'm getting a little scared, what is it?",
    ):
        message = parsed(text, ranking)
        ScopeRescue().process([message])
        assert message.get(INTENT)["name"] == "out_of_scope", text
    # Fear of doing something is the article's fear of movement, and stress named next to the worry still counts.
    for text in (
        "I'm prone to low back pain. I'm afraid to go back to the gym because I don't want to bring on the pain.",
        "I'm stressed and worried all the time and my shoulders ache, what now?",
    ):
        message = parsed(text, ranking)
        ScopeRescue().process([message])
        assert message.get(INTENT)["name"] == "faq_relief_overview", text


def test_a_question_about_another_part_of_the_body_is_not_rescued() -> None:
    """A story that names stress and a stiff neck but asks about headaches or the heart asks about them (r79); a question
    about the neck or back in the same story is still rescued."""
    ranking = [("out_of_scope", 0.6), ("faq_relief_overview", 0.3), ("faq_exercise", 0.1)]
    story = (
        "I've been having a very bad period of anxiety recently, the worst of my life. It started a couple of months ago "
        "when work got out of hand. My neck is stiff most days and I can't sleep properly."
    )
    for question in (
        "Anyone have chronic headaches caused by anxiety or stress?",
        "Can anxiety cause heart palpitations like mine?",
    ):
        message = parsed(f"{story} {question}", ranking)
        ScopeRescue().process([message])
        assert message.get(INTENT)["name"] == "out_of_scope", question
    neck = parsed(f"{story} What can I do about my neck and my headaches?", ranking)
    ScopeRescue().process([neck])
    assert neck.get(INTENT)["name"] == "faq_relief_overview"
