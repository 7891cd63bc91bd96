"""RemedyRequest: a question asking how to stop the pain gets the overview of remedies, not an explanation."""

from __future__ import annotations

from typing import List, Tuple

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

from painfaq.nlu.remedy_request import RemedyRequest
from tests.harness.nlu_messages import parsed


def requested(text: str, ranking: List[Tuple[str, float]]) -> Message:
    """The message after `RemedyRequest` read it."""
    message = parsed(text, ranking)
    RemedyRequest().process([message])
    return message


def test_an_explanation_guessed_for_a_request_for_relief_becomes_the_overview() -> None:
    message = parsed(
        "I often get stress headaches, backaches and neck aches. I know these are normal, but how can I try to "
        "eliminate them?",
        [("faq_signs", 0.7), ("faq_relief_overview", 0.1), ("faq_can_anxiety_cause_back_pain", 0.1)],
    )
    RemedyRequest().process([message])
    assert message.get(INTENT)["name"] == "faq_relief_overview"
    assert abs(message.get(INTENT)["confidence"] - 0.8) < 1e-9
    names = [e["name"] for e in message.get(INTENT_RANKING_KEY)]
    assert names.index("faq_signs") > names.index("faq_can_anxiety_cause_back_pain")


def test_other_questions_and_other_guesses_are_left_alone() -> None:
    cases = [
        # Asks how long, not how to stop it ("is there any way to tell how long this will last?").
        ("I just started having low back pain. Is there any way to tell how long this will last?", "faq_how_long"),
        # Asks why, not what to do.
        ("Why does stress make my back ache so much?", "faq_how_anxiety_causes_back_pain"),
    ]
    for text, intent in cases:
        message = parsed(text, [(intent, 0.7), ("faq_relief_overview", 0.3)])
        RemedyRequest().process([message])
        assert message.get(INTENT)["name"] == intent, text
    # A remedy guessed for a request for relief is not an explanation.
    message = parsed("how can I get rid of this back pain, is yoga worth it?", [("faq_yoga", 0.7), ("faq_signs", 0.3)])
    RemedyRequest().process([message])
    assert message.get(INTENT)["name"] == "faq_yoga"


def test_a_bare_back_pain_query_gets_the_overview_with_every_topics_probability() -> None:
    ranking = [
        ("faq_warning_signs", 0.3),
        ("faq_sleep", 0.2),
        ("faq_can_anxiety_cause_back_pain", 0.15),
        ("greet", 0.1),
    ]
    for text in ("lower back pain", "Chronic backache", "back pain relief?"):
        message = parsed(text, ranking)
        RemedyRequest().process([message])
        assert message.get(INTENT)["name"] == "faq_relief_overview", text
        assert abs(message.get(INTENT)["confidence"] - 0.65) < 1e-9
    # A symptom, a place or a cause added is another question; out of scope stays out of scope.
    for text, top in (
        ("throbbing lower back pain", "faq_warning_signs"),
        ("lower back pain causes", "faq_warning_signs"),
    ):
        message = parsed(text, ranking)
        RemedyRequest().process([message])
        assert message.get(INTENT)["name"] == top, text
    declined = parsed("back pain", [("out_of_scope", 0.6), ("faq_relief_overview", 0.4)])
    RemedyRequest().process([declined])
    assert declined.get(INTENT)["name"] == "out_of_scope"


def test_a_declined_request_for_help_with_back_pain_gets_the_overview() -> None:
    ranking = [("out_of_scope", 0.7), ("faq_warning_signs", 0.2), ("faq_relief_overview", 0.1)]
    for text in (
        "Recently I have been taking paracetamol every day to deal with my back pain. Can you suggest any alternatives?",
        "My wife has had back pain for a few days and can't sleep. What can be done",
        "Poses for a tight lower back? Went to the doctor, they said light exercise. Any recommendations?",
        # Help asked in other words: anything that helps, a solution, good stretches.
        "Chronic low back pain for 10 months. Can they do anything to help me sleep better?",
        "My lower back has been stiff for 4 years now. I need a real solution?",
        "Lower back stretches? A little pain in my lower back lately. Does anyone know some good stretches for it?",
        # ...and the idiom "what's a ... to do?"
        "Hunching over my laptop all day makes my back ache and my neck stiff. What's a student to do?",
        # Muscles that stress keeps tight, the back named or not ("how does one cope", "how can I prevent this?").
        "Any tips to loosen up my muscles from all this stress? They are so tight they hurt.",
        "How does one deal with the body aches of anxiety? Will they ever go away?",
        "My neck and shoulders get tense at my desk and when I'm stressed it turns into a headache. How can I prevent this?",
        # A forum's wording of the same request: "what i can do", "how i can treat it", "anything i can do", "solutions".
        "My lower back has been sore since the weekend. Can someone tell me what i can do to ease it?",
        "Back hurts whenever I stand at work, no idea why. Anyone know how i can treat it at home?",
        "Is there anything I can do for my aching lower back? It has been like this for months.",
        "I get a sharp pain in my lower back every time I play golf. Anyone know any solutions?",
        "Sore lower back for a week now. Suggestions please?",
        "What is good for a sore lower back? It aches after a long drive every time.",
        "My lower back has ached for two months and I'm not sure what the best solution is. Stretching helps a bit.",
        "This lower back ache won't go away, I've tried everything. Does anyone know how to get it to go away?",
        # ...and more of it: a better back, what to do, help offered, a direction, advice, programs, nothing helping.
        "My lower back aches every evening after work. How can I make my back feel better?",
        "Sore lower back for three weeks from sitting at a desk, i want to know what to do about it.",
        "My middle back has ached since Christmas. Can anyone offer any help.",
        "Neck and lower back pain for two years now. Can you lead me in the right direction?",
        "Even the simplest workouts make my lower back ache. We need your advice.",
        "Lower back aches whenever I'm on my feet all day. What things help with this?",
        "Are there fitness programs for people with lower back pain?",
        "My lower back keeps aching. How do I strengthen my back so it stops?",
        "I have lower back pain, been to the chiropractor and the doctor, nothing helps?",
        # "what actually helps", "anything else that helps": what was tried did not
        "My GP just says take ibuprofen for my aching back. Is there anything else that actually helps?",
        "Lower back has ached every night for months. What actually helps?",
        "Lower back pain for a year and I'm tired of it. Can somebody please help?",
        "My lower back aches when I bend down. I don't know what to do next.",
        "Sharp pain in my lower back that eased off. What should I do if it happens again?",
        "New ache in my low back tonight after rowing. What can I do. Also is stretching good?",
        "Does anyone know how to handle lower back pain?",
        "What are interventions needed for low back pain?",
        "My lower back aches after I slept on it wrong. How do i sooth lower back pains?",
        "Pain in my low back for a few weeks when I walk up the stairs, anything that could ease it up?",
        "Lower back hurts after sitting all day. Does anybody know the problem and maybe a cure?",
        # A test that came back normal leaves the ache unexplained: the article's subject.
        "My lower back aches all the time, x-rays twice showed that nothing is wrong. Is there anything I can do?",
        # "for an extended period" is time, not a period.
        "When I run for an extended period my lower back begins to ache. How can I prevent it?",
        # A condition denied or only guessed at in a question is no finding: the ache stays unexplained.
        "I'm 15 and my lower back has ached for two weeks. I don't have my period yet. What can I do for relief?",
        "My lower back aches after long shifts on my feet. Is this arthritis or just age? Any suggestions?",
        "They tested me at the hospital, I know I'm not pregnant. My lower back is sore since Monday. How can I fix it?",
        "My lower back has ached for days. Could it be my kidneys? What can I do about it?",
        "I cannot take any medication like advil before I run and my lower back hurts. What should I do?",
        "I don't want to just take pain meds for my lower back pain. What should I do?",
        "It feels like the pain I get on my period (which i am not) but worse, in my lower back. What can I do?",
        "My lower back still aches though the doctor said my x-rays look good. What can I do?",
        # A remedy asked for in a question in words of its own: a way to make it better, a kind of remedy, what to try.
        "How to help lower back pain? I'm 14, I play basketball and carry a heavy backpack. It hurts when I stand up.",
        "Lower back pain, skating? It hurts when I twist. Has anyone had this? How did you fix it?",
        "Suggestions for relieving low-back pain? It froze up when I stood up from folding the laundry.",
        "My lower back aches after a day on my feet. Is there anything i should do?",
        "Would you recommend a physiotherapist or something else for a lower back that aches every day?",
        "Sore lower back for two weeks. I've tried heat and rest, what else can I do?",
        "Lower back pain need advice? It has ached for a month and I don't know how it started.",
        "Why do i have lower back pain every day? Is something wrong and how can i resolve this.",
        "Terrible pains in my lower back keep me from sleeping. I tried a heating pad, any ideas to make the pain stop?",
        "My lower back has ached for months. Any clue how to make it hurt less?",
        # Help asked in a sentence that is no question, after a title that is one.
        "Lower back pain? I have had lower back pain for three weeks now and it won't go away. I sit at a desk all day. "
        "I've tried heat and ibuprofen. Does anyone know how to get it to go away, thanks",
    ):
        message = requested(text, ranking)
        assert message.get(INTENT)["name"] == "faq_relief_overview", text
        assert abs(message.get(INTENT)["confidence"] - 0.8) < 1e-9
        assert message.get(INTENT_RANKING_KEY)[-1]["name"] == "out_of_scope"


def test_a_declined_message_stays_declined_without_help_asked_back_named_or_in_the_articles_subject() -> None:
    ranking = [("out_of_scope", 0.7), ("faq_relief_overview", 0.3)]
    for text in (
        # A diagnosis asked, not help.
        "My lower back has ached for a week and my husband feels knots. Any ideas what this could be?",
        # A test, a medicine, a condition the article does not cover.
        "In severe pain in my lower back, had an MRI, what does it mean, what should I do?",
        "Can you recommend some drugs to treat my mum's back pain?",
        "Sciatica down my leg from my lower back, what can I do?",
        # Neck and shoulders alone, and a help request with no ache named.
        "What can I do for a stiff neck and sore shoulders after the gym?",
        "My back is fine but my boss is stressing me out, what should I do?",
        # ...and a solution or exercises asked for something else.
        "My lower back aches and I need a solution for my insomnia medication, which dose?",
        "Any good exercises for a stiff neck?",
        # Stress named, but no muscle ache: a jaw that grinds, hands that tingle.
        "My anxiety makes me grind my teeth at night and my jaw hurts. Any suggestions?",
        "When my anxiety peaks my hands tingle and hurt. Any advice?",
        # A lift's ache, no stress named ("I thought I could" is no worry).
        "I tweaked my lower back on deadlifts yesterday, I thought I could do one more set. What can I do for it?",
        # A test's finding, a period's ache, a pregnancy in slang: still not the article's subject.
        "My lower back aches and the x-ray showed a slipped disc. What can I do?",
        "My lower back aches every month during my period. What can I do?",
        "I am 14 weeks preggy and my lower back aches. Any advice?",
        # Remedy words that ask for no remedy: a diagnosis, a cause, a statement with a question mark at its end.
        "My lower back aches when I sit. Can anyone give me suggestions of what could be wrong?",
        "I started a new job lifting boxes and my lower back aches. Does that have anything to do with my back pains?",
        "My lower back aches after my run and I exercise three times a week, what could it be?",
        # A denial that belongs to another clause leaves the condition the person's own.
        "I don't smoke but I have arthritis in my lower back and it aches. What can I do?",
        "My lower back aches and the doctor says it is a herniated disc, not a strain. What can I do?",
    ):
        message = parsed(text, ranking)
        RemedyRequest().process([message])
        assert message.get(INTENT)["name"] == "out_of_scope", text


def test_an_unsure_topic_for_a_request_for_help_with_back_pain_gets_every_topics_probability() -> None:
    """A long story splits the guess below "did you mean"; help asked for the back's ache makes every topic part of
    the overview's answer. A sure guess, or one without help asked, is left alone."""
    ranking = [
        ("faq_can_anxiety_cause_back_pain", 0.26),
        ("out_of_scope", 0.24),
        ("faq_muscle_tension", 0.2),
        ("faq_relief_overview", 0.15),
        ("greet", 0.15),
    ]
    asks = (
        "For two years I've had horrible upper back pain. My doctor says it's anxiety. Does anyone else go through "
        "this? And does anyone have any tips to relieve the back pain?"
    )
    message = parsed(asks, ranking)
    RemedyRequest().process([message])
    assert message.get(INTENT)["name"] == "faq_relief_overview"
    assert abs(message.get(INTENT)["confidence"] - 0.61) < 1e-9
    sure = parsed(asks, [("faq_can_anxiety_cause_back_pain", 0.7), ("faq_relief_overview", 0.3)])
    RemedyRequest().process([sure])
    assert sure.get(INTENT)["name"] == "faq_can_anxiety_cause_back_pain"
    # "in treatment for" tells what the person is having, it asks for nothing.
    told = parsed(
        "I've been in treatment for low back pain for six months. Now my doctor wants me to see a psychologist. "
        "What good will that do?",
        ranking,
    )
    RemedyRequest().process([told])
    assert told.get(INTENT)["name"] == "faq_can_anxiety_cause_back_pain"


def test_steps_asked_for_or_anything_that_helps_is_a_request_for_help() -> None:
    """ "What steps can I solve this problem?" and "Anything help for ...?" ask what to do (r79); a story that only tells
    of steps taken asks nothing."""
    ranking = [
        ("faq_relief_overview", 0.24),
        ("faq_can_anxiety_cause_back_pain", 0.2),
        ("out_of_scope", 0.2),
        ("faq_how_long", 0.18),
        ("greet", 0.18),
    ]
    for text in (
        "Anger at work gives me anxiety and my back pains when I use the computer for hours. What steps can I solve "
        "this problem?",
        "Anything help for my back? Since my panic attacks started last year every ache in my back and neck sets off "
        "another one and my muscles are tight all day",
    ):
        message = requested(text, ranking)
        assert message.get(INTENT)["name"] == "faq_relief_overview", text
        assert message.get(INTENT)["confidence"] > 0.4, text
    told = requested(
        "Anger at work gives me anxiety and my back pains when I use the computer for hours. I took the first steps "
        "with a physio last week.",
        ranking,
    )
    assert told.get(INTENT)["confidence"] < 0.4


def test_the_classifiers_own_red_flag_guess_leaves_a_request_for_help_to_the_overview() -> None:
    """The safety net after this step sets the classifier's red-flag and crisis guesses aside (and keeps them where
    its rules or its own model find one); the rest of the ranking goes to the overview when help is asked."""
    ranking = [
        ("red_flag", 0.48),
        ("faq_relief_overview", 0.19),
        ("out_of_scope", 0.14),
        ("faq_inactivity", 0.07),
        ("faq_exercise", 0.07),
        ("crisis", 0.05),
    ]
    asks = "All of a sudden my lower back is in pain and it won't stop. I can't take care of my kids. Any suggestions?"
    message = parsed(asks, ranking)
    RemedyRequest().process([message])
    kept = {e["name"]: e["confidence"] for e in message.get(INTENT_RANKING_KEY)}
    assert abs(kept["faq_relief_overview"] - 0.47) < 1e-9
    assert kept["red_flag"] == 0.48 and kept["crisis"] == 0.05
    assert kept["out_of_scope"] == kept["faq_inactivity"] == kept["faq_exercise"] == 0.0
    tells = parsed("All of a sudden my lower back is in pain and it won't stop. I can't take care of my kids.", ranking)
    RemedyRequest().process([tells])
    assert {e["name"]: e["confidence"] for e in tells.get(INTENT_RANKING_KEY)}["out_of_scope"] == 0.14
