"""PremiseGate: anxiety-mechanism answers only for messages that speak of stress or feelings."""

from __future__ import annotations

from typing import List, Tuple

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

from painfaq.content.premises import DECLINED_FOR_A_MEDICINE, DECLINED_FOR_KEY
from painfaq.nlu.premise_gate import PremiseGate
from tests.harness.nlu_messages import parsed

RANKING = [("faq_how_anxiety_causes_back_pain", 0.5), ("faq_relief_overview", 0.3), ("out_of_scope", 0.2)]


def gated(text: str, ranking: List[Tuple[str, float]]) -> Message:
    """The message as PremiseGate leaves it."""
    message = parsed(text, ranking)
    PremiseGate().process([message])
    return message


def test_a_plain_back_problem_is_not_given_an_anxiety_mechanism() -> None:
    message = parsed("I have back pain in my lower back and it hurts a lot when I cough or sneeze, why?", RANKING)
    PremiseGate().process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"
    assert abs(message.get(INTENT)["confidence"] - 0.7) < 1e-9
    names = [entry["name"] for entry in message.get(INTENT_RANKING_KEY)]
    assert names == ["out_of_scope", "faq_relief_overview"]


def test_a_message_that_speaks_of_stress_keeps_its_answer() -> None:
    for text in (
        "my lower back has ached for weeks since work got so stressful, how does that even happen?",
        "I keep tightening up at my desk without noticing and by evening my back is stiff and sore",
        "ever since the divorce my mind races at night and my lower back aches, why would that be?",
        # the idiom of stress, not a blood pressure or a chest's
        "my upper back has been tight for weeks and I've been under a lot of pressure at work, why does it do that?",
    ):
        message = parsed(text, RANKING)
        PremiseGate().process([message])
        assert message.get(INTENT)["name"] == "faq_how_anxiety_causes_back_pain", text


def test_short_follow_ups_and_other_topics_are_left_alone() -> None:
    short = parsed("why do my muscles get sore?", RANKING)
    other = parsed(
        "I have had lower back pain for a year and nothing helps, what can I do about it at home?",
        [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)],
    )
    PremiseGate().process([short, other])
    assert short.get(INTENT)["name"] == "faq_how_anxiety_causes_back_pain"
    assert other.get(INTENT)["name"] == "faq_relief_overview"


def test_out_of_scope_is_added_when_the_ranking_lacks_it() -> None:
    message = parsed(
        "my back hurts when I lie down and I cannot get any sleep at all these days, would a new mattress help?",
        [("faq_sleep", 0.7), ("faq_relief_overview", 0.3)],
    )
    PremiseGate().process([message])
    assert message.get(INTENT) == {"name": "out_of_scope", "confidence": 0.7}


def test_a_story_with_no_body_complaint_gets_no_answer_about_back_pain() -> None:
    message = parsed(
        "I am in a constant state of anxiety with heart palpitations since the break-up four months ago and I woke "
        "up this morning with panic attacks again, is there anything I can do?",
        [("faq_relief_overview", 0.6), ("faq_can_anxiety_cause_back_pain", 0.3), ("out_of_scope", 0.1)],
    )
    PremiseGate().process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"
    assert abs(message.get(INTENT)["confidence"] - 1.0) < 1e-9
    # A follow-up that leaves the body implied is left alone.
    follow_up = parsed(
        "it gets worse whenever im anxious, does that mean its anxiety related",
        [("faq_signs", 0.7), ("out_of_scope", 0.3)],
    )
    PremiseGate().process([follow_up])
    assert follow_up.get(INTENT)["name"] == "faq_signs"


def test_a_story_about_another_diagnosis_with_no_word_of_stress_is_declined() -> None:
    message = parsed(
        "Gallstones were found on my ultrasound last week and now the pain goes right round to my back, "
        "how long will it last?",
        [("faq_how_long", 0.6), ("faq_relief_overview", 0.3), ("out_of_scope", 0.1)],
    )
    PremiseGate().process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"
    # The same diagnosis next to stress keeps its answer ("can anxiety make it worse?" is the article's topic),
    # and so does a short question.
    with_stress = parsed(
        "I was diagnosed with a herniated disc last year and the pain flares every time work gets stressful, why?",
        [("faq_can_anxiety_cause_back_pain", 0.7), ("out_of_scope", 0.3)],
    )
    short = parsed("I have scoliosis, does yoga help?", [("faq_yoga", 0.8), ("out_of_scope", 0.2)])
    PremiseGate().process([with_stress, short])
    assert with_stress.get(INTENT)["name"] == "faq_can_anxiety_cause_back_pain"
    assert short.get(INTENT)["name"] == "faq_yoga"


def test_a_strength_training_story_with_no_stress_named_is_declined() -> None:
    ranking = [("faq_relief_overview", 0.8), ("faq_exercise", 0.1), ("out_of_scope", 0.1)]
    lifting = parsed(
        "Been doing 5x5 for three months and my lower back is getting really sore after squats. I thought I could "
        "push through it but now it aches the next day too. Any tips to fix this?",
        ranking,
    )
    # ...and a set on the bench or a home workout programme told the same way
    benching = parsed(
        "I've gotten to 225 bench but my shoulders and upper back hurt by the end of every set, a lot with heavier weight. "
        "Any tips or cues?",
        ranking,
    )
    programme = parsed(
        "Did Ab-Ripper X again last night and my lower back started to hurt during the reclined sit ups. Any suggestions, "
        "am I doing something wrong?",
        ranking,
    )
    PremiseGate().process([lifting, benching, programme])
    assert lifting.get(INTENT)["name"] == "out_of_scope"
    assert benching.get(INTENT)["name"] == "out_of_scope"
    assert programme.get(INTENT)["name"] == "out_of_scope"
    # Stress named keeps the answer; a ride ("will it go away as I ride more?") is not a lift; a short question is
    # left alone.
    stressed = parsed(
        "My lower back gets tight during squats but mostly when work is stressful and I am anxious all week, "
        "what can I do about it?",
        ranking,
    )
    riding = parsed(
        "I bought my first road bike two weeks ago and my lower back gets sore on every ride longer than an hour, "
        "will it go away as I get used to it?",
        [("faq_how_long", 0.8), ("out_of_scope", 0.2)],
    )
    short = parsed("do squats help back pain?", ranking)
    PremiseGate().process([stressed, riding, short])
    assert stressed.get(INTENT)["name"] == "faq_relief_overview"
    assert riding.get(INTENT)["name"] == "faq_how_long"
    assert short.get(INTENT)["name"] == "faq_relief_overview"


LIFT_STORY = "The day after I do heavy deadlifts my lower back gets really tight and sore on both sides of the spine."
PRESCRIPTION_STORY = (
    "I hurt my lower back folding laundry last week and the doctor prescribed Flexeril, which makes me sleepy."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A request for help that names the pain keeps the remedies...
        (f"{LIFT_STORY} What can I do to stop the pain?", "faq_relief_overview"),
        (f"{PRESCRIPTION_STORY} How can I treat my back pain without it?", "faq_relief_overview"),
        # ...and so does one under a short title that names it.
        (
            "Lower back pain after squats. Suggestions please? It started two weeks ago after a heavy leg day at the gym "
            "and it has got a bit better but it just won't go away.",
            "faq_relief_overview",
        ),
        # The same stories asking something else are the lift's or the medicine's questions (the premises still apply).
        (f"{LIFT_STORY} Is my form off or is it the weight?", "out_of_scope"),
        (f"{PRESCRIPTION_STORY} Is it safe to drive on it tomorrow?", "out_of_scope"),
        # A request about the lift's form names no pain where it asks.
        (
            "My lower back is sore after every set of squats even though the weight is light for me. I film myself and "
            "my hips shoot up first. Any tips to fix this?",
            "out_of_scope",
        ),
    ],
)
def test_a_lift_or_a_prescription_told_before_a_request_for_help_with_the_pain_keeps_the_remedies(
    text: str, expected: str
) -> None:
    ranking = [("faq_relief_overview", 0.8), ("faq_exercise", 0.1), ("out_of_scope", 0.1)]
    assert gated(text, ranking).get(INTENT)["name"] == expected


def test_a_question_about_a_named_medicine_with_no_stress_named_is_declined() -> None:
    medicine = parsed(
        "Took meloxicam for two weeks for my lower back and had to stop, how long will this pain last now?",
        [("faq_how_long", 0.8), ("out_of_scope", 0.2)],
    )
    PremiseGate().process([medicine])
    assert medicine.get(INTENT)["name"] == "out_of_scope"
    # The medicine told next to stress keeps the answer ("I'm on Lexapro for anxiety and my back still tenses up").
    with_stress = parsed(
        "I'm on Lexapro for my anxiety and my upper back still tenses up every afternoon, can stress cause that?",
        [("faq_can_anxiety_cause_back_pain", 0.8), ("out_of_scope", 0.2)],
    )
    PremiseGate().process([with_stress])
    assert with_stress.get(INTENT)["name"] == "faq_can_anxiety_cause_back_pain"


def test_a_painkiller_anyone_can_buy_told_in_the_story_is_what_was_tried() -> None:
    ranking = [("faq_relief_overview", 0.7), ("out_of_scope", 0.3)]
    for text in (
        "My lower back has hurt for a week now and I have been taking ibuprofen but it barely helps, what else can I do?",
        "sore lower back since saturday, tylenol takes the edge off for an hour or so. any other ideas to ease it?",
    ):
        message = parsed(text, ranking)
        PremiseGate().process([message])
        assert message.get(INTENT)["name"] == "faq_relief_overview", text
    # Named in the question itself, it is what the person asks about.
    asked = parsed(
        "Will Motrin 800 work on my lower back pain if I take it twice a day for a couple of weeks?",
        [("faq_relief_overview", 0.7), ("out_of_scope", 0.3)],
    )
    PremiseGate().process([asked])
    assert asked.get(INTENT)["name"] == "out_of_scope"
    # A prescription medicine anywhere in the message still makes it a question about the medicine.
    prescribed = parsed(
        "I have been on tramadol for my lower back for a month and it barely helps, what else can I do for it?",
        ranking,
    )
    PremiseGate().process([prescribed])
    assert prescribed.get(INTENT)["name"] == "out_of_scope"


def test_back_as_the_adverb_of_a_story_is_not_a_body_complaint() -> None:
    story = (
        "I had back to back panic attacks all week and went back to work on Monday, then the panic came back "
        "worse than before. What can I do to feel better?"
    )
    message = parsed(story, [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)])
    PremiseGate().process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"

    complaint = (
        "I had back to back panic attacks all week and went back to work on Monday, and now my back is so stiff "
        "from it. What can I do to feel better?"
    )
    message = parsed(complaint, [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)])
    PremiseGate().process([message])
    assert message.get(INTENT)["name"] == "faq_relief_overview"


def test_back_as_a_time_or_a_hindrance_is_not_a_body_complaint() -> None:
    story = (
        "Two days back I had a panic attack in the cinema, and a couple of months back it was the train. "
        "It holds me back from everything. How do I get past this?"
    )
    message = parsed(story, [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)])
    PremiseGate().process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"


def test_back_given_turned_or_pushed_is_not_a_body_complaint() -> None:
    story = (
        "I've always been a worrier but lately it's out of control. I turned back halfway to work twice this week, "
        "pushed him back when he tried to help, and I can't sleep. How do I get my life back?"
    )
    message = parsed(story, [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)])
    PremiseGate().process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"
    # "Her back" is still the body.
    mother = parsed(
        "My mother hurt her back lifting trays at work and she has been in constant pain ever since, and now she "
        "worries all the time. What can she do?",
        [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)],
    )
    PremiseGate().process([mother])
    assert mother.get(INTENT)["name"] == "faq_relief_overview"


def test_a_remedy_named_in_a_story_is_not_a_body_complaint() -> None:
    """An anxiety story that mentions breathing techniques or exercise, and no ache, asks about anxiety alone."""
    story = parsed(
        "I have had anxiety for over ten years and I know all the techniques, breathing, meditation, going for a "
        "run, but I never put the time in to practise them. How do I actually stick with it?",
        [("faq_relief_overview", 0.7), ("faq_breathing", 0.2), ("out_of_scope", 0.1)],
    )
    PremiseGate().process([story])
    assert story.get(INTENT)["name"] == "out_of_scope"
    # With an ache named, the same remedies are about it.
    ache = parsed(
        "I have had anxiety for over ten years and my upper back aches most days. I know the breathing and "
        "stretching techniques but never practise them. How do I actually stick with it?",
        [("faq_relief_overview", 0.7), ("faq_breathing", 0.2), ("out_of_scope", 0.1)],
    )
    PremiseGate().process([ache])
    assert ache.get(INTENT)["name"] == "faq_relief_overview"


def test_pain_or_hurt_alone_in_a_story_is_not_a_body_complaint() -> None:
    """'The pain of the break-up', 'he hurt me': a long post with no ache, no body part, is not about back pain."""
    story = parsed(
        "My boyfriend and I broke up last month and the pain is still there every single day. He hurt me so badly "
        "and I keep replaying it. How do I move on from this?",
        [("faq_relief_overview", 0.6), ("faq_therapy", 0.3), ("out_of_scope", 0.1)],
    )
    PremiseGate().process([story])
    assert story.get(INTENT)["name"] == "out_of_scope"
    # "I hurt my back at work": after "my", back is the body whatever follows it.
    injured = parsed(
        "I confess I'm a nervous kind of person. I hurt my back at work and now I'm really worried about "
        "re-injuring myself. What can I do to get over this?",
        [("faq_inactivity", 0.6), ("out_of_scope", 0.4)],
    )
    PremiseGate().process([injured])
    assert injured.get(INTENT)["name"] == "faq_inactivity"


def test_typos_of_anxiety_and_back_still_name_the_premises() -> None:
    # Real people misspell the two words the article is about; "baking" is not the back.
    message = parsed(
        "anxeity + bak pain combo is getting to me. not looking for doctor advice, ive seen one and she said its "
        "stres. what actually helps you guys?? things i can do at home",
        [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)],
    )
    PremiseGate().process([message])
    assert message.get(INTENT)["name"] == "faq_relief_overview"
    story = parsed(
        "I have been baking bread every weekend to calm my anxeity and my friends say it smells amazing, my kids "
        "love it and the whole house is warm, is there anything else I can do?",
        [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)],
    )
    PremiseGate().process([story])
    assert story.get(INTENT)["name"] == "out_of_scope"


def test_the_back_of_a_thing_is_a_place_and_the_back_of_the_neck_is_the_body() -> None:
    place = (
        "I kept going over it at the back of the class and it stayed in the back of my mind all week, "
        "I'm so anxious. What can I do to feel better?"
    )
    message = parsed(place, [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)])
    PremiseGate().process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"

    body = (
        "I kept going over it all week and the back of my neck is so stiff, I'm so anxious. "
        "What can I do to feel better?"
    )
    message = parsed(body, [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)])
    PremiseGate().process([message])
    assert message.get(INTENT)["name"] == "faq_relief_overview"


def test_tightness_or_knots_of_another_organ_are_not_a_body_complaint() -> None:
    throat = (
        "I broke my wrist months ago and since then I have become very anxious. I feel on edge all the time and "
        "my throat feels tight, which makes me more anxious. What can I do?"
    )
    message = parsed(throat, [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)])
    PremiseGate().process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"

    back = (
        "I broke my wrist months ago and since then I have become very anxious. I feel on edge all the time and "
        "my chest and back are tight, which makes me more anxious. What can I do?"
    )
    message = parsed(back, [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)])
    PremiseGate().process([message])
    assert message.get(INTENT)["name"] == "faq_relief_overview"


def test_tension_of_the_head_face_or_jaw_is_not_a_body_complaint() -> None:
    head = (
        "Every morning since the new job I wake up with tension all over my face and a tension headache above one eye, "
        "and I keep grinding my teeth. Is this stress? Any help would be great."
    )
    message = parsed(head, [("faq_muscle_tension", 0.6), ("out_of_scope", 0.4)])
    PremiseGate().process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"

    neck = (
        "Every morning since the new job I wake up with a tension headache and my neck and shoulders are stiff "
        "and sore, and I keep grinding my teeth. Is this stress? Any help would be great."
    )
    message = parsed(neck, [("faq_muscle_tension", 0.6), ("out_of_scope", 0.4)])
    PremiseGate().process([message])
    assert message.get(INTENT)["name"] == "faq_muscle_tension"


def test_a_figure_of_speech_that_names_the_back_neck_or_shoulders_is_not_a_body_complaint() -> None:
    for story in (
        "I have panic attacks constantly and always have to look over my shoulder. What can I do to feel better?",
        "My manager is breathing down my neck all day and the panic never stops. What can I do to feel better?",
        "People talk behind my back at school and I feel anxious all the time. What can I do to feel better?",
    ):
        message = parsed(story, [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)])
        PremiseGate().process([message])
        assert message.get(INTENT)["name"] == "out_of_scope", story

    literal = "My manager is breathing down my neck all day and now my neck is stiff. What can I do to feel better?"
    message = parsed(literal, [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)])
    PremiseGate().process([message])
    assert message.get(INTENT)["name"] == "faq_relief_overview"


def test_back_pain_after_this_or_get_is_a_body_complaint() -> None:
    # "is " must be a whole word: it also ends "this " ("is this back pain..."); "get back" is the phrasal verb only
    # when no pain word follows ("I get back pain when I'm anxious" vs "I get back to work").
    for text in (
        "is this back pain all in my head? the doctor said there's nothing on the x ray but I'm real anxious all the time",
        "how many people get back pain from anxiety, is it common or is it just me, I feel like nobody else has this",
    ):
        message = parsed(text, [("faq_can_anxiety_cause_back_pain", 0.8), ("out_of_scope", 0.2)])
        PremiseGate().process([message])
        assert message.get(INTENT)["name"] == "faq_can_anxiety_cause_back_pain", text

    story = (
        "I was anxious all week and finally got back to work on Monday, but then the panic came back in the evening. "
        "What can I do to feel better?"
    )
    message = parsed(story, [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)])
    PremiseGate().process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"


def test_a_story_that_asks_what_the_ache_is_is_declined() -> None:
    ranking = [("faq_relief_overview", 0.6), ("out_of_scope", 0.3), ("faq_exercise", 0.1)]
    for text in (
        "Lower back pain? I was hunched over my laptop and now it's very hard to stand up. What did I do to my lower back?",
        "i have really bad lower back pain whenever i lay down or stand up, i just cant get comfortable, i need to know what "
        "it is",
        # The cause asked in other words: possible causes, what can be causing it, ideas on what it is, a guess at a
        # link to something else.
        "Sharp lower back pain when I get out of bed in the morning, it eases after an hour. Possible causes of this?",
        "My lower back has been aching on the left side for about two weeks now. What can be causing this?",
        "Dull ache in my middle back that comes and goes for a month, getting worse. Any ideas on what it could be?",
        "Lower back pain for a month, only on the right side, and my ankles swell in the evening. Can the swelling be "
        "related to the back pain?",
        # ...with an oath in the middle
        "Cracked my neck this morning and it has hurt ever since, eight hours now, ice does nothing. What the hell did I do "
        "to my neck?",
    ):
        message = parsed(text, ranking)
        PremiseGate().process([message])
        assert message.get(INTENT)["name"] == "out_of_scope", text
    # Help asked, stress told or a remedy named keep the answer; a short "what is it?" is a follow-up.
    for text in (
        "My lower back has ached for weeks since I started lifting. What is it and what can I do about it?",
        "My lower back aches every evening since work got so stressful. What could it be?",
        "My lower back aches after every yoga class I go to. What could it be from the yoga?",
        "the bridge and breathe one, what is it?",
    ):
        message = parsed(text, ranking)
        PremiseGate().process([message])
        assert message.get(INTENT)["name"] == "faq_relief_overview", text


def test_a_pregnancy_a_period_or_the_kidneys_are_another_condition() -> None:
    ranking = [("faq_relief_overview", 0.6), ("out_of_scope", 0.3), ("faq_exercise", 0.1)]
    for text in (
        "I am 30 weeks pregnant and my lower back hurts so much at night that I cannot sleep, anything I can do?",
        "Every month during my period my lower back aches terribly for three days. Any remedies that work?",
        "Lower back ache on both sides for a week, right about where my kidneys are. What should I do about it?",
        # ...told in other words: a due date, slang, the ovaries.
        "I am due any day and so uncomfortable with this pain in my lower back and buttock. What can I do to ease it?",
        "I'm 14 weeks preggy and my lower back has been aching for two days, what can I do for it at home?",
        "I am 5 days late, having severe lower back pain and my ovaries are killing me. Is this serious at all?",
        "We are trying to conceive and my lower back has ached since I ovulated last week. What can I do for it?",
        # Worry for the symptom only is no stress behind it.
        "I am 21 weeks pregnant and my lower back hurts on the right side. The scan was fine, I am just worried. Any ideas?",
        "Im 35 weeks and my lower back cramps on and off. Is this braxton hicks or is there something to worry about?",
    ):
        message = parsed(text, ranking)
        PremiseGate().process([message])
        assert message.get(INTENT)["name"] == "out_of_scope", text
    # Stress named keeps the answer; "a period of time" is no period.
    for text in (
        "I am pregnant and so stressed about work that my lower back has been aching for weeks, what can I do?",
        "I am pregnant and I worry about everything all day, and my lower back has ached for weeks. What can I do?",
        "I sit hunched for a long period of time at my desk and my lower back aches every evening, what can I do?",
        "I have a mild ache on the right side of my lower back (kidney area) when I bend over at work, what can I do?",
    ):
        message = parsed(text, ranking)
        PremiseGate().process([message])
        assert message.get(INTENT)["name"] == "faq_relief_overview", text


def test_the_articles_yes_needs_a_message_that_speaks_of_stress() -> None:
    ranking = [("faq_can_anxiety_cause_back_pain", 0.6), ("out_of_scope", 0.3), ("faq_relief_overview", 0.1)]
    plain = parsed(
        "Lower back pain? I'm 14 and my lower back is sore after basketball or running, it has been going on for a month.",
        ranking,
    )
    stressed = parsed(
        "Lower back pain? My lower back has been sore for a month, ever since my exams started and I have been so stressed.",
        ranking,
    )
    # "I thought it would go away" tells a thought, not stress.
    thought = parsed(
        "My lower back started to feel sore on Friday and I thought the pain would go away but it is still sore. Why?",
        ranking,
    )
    PremiseGate().process([plain, stressed, thought])
    assert plain.get(INTENT)["name"] == "out_of_scope"
    assert thought.get(INTENT)["name"] == "out_of_scope"
    assert stressed.get(INTENT)["name"] == "faq_can_anxiety_cause_back_pain"


def test_an_event_named_instead_of_the_word_stress_tells_the_stress() -> None:
    # Real people name what happened ("since my divorce", "my break-up"), not the word stress.
    cause = [("faq_can_anxiety_cause_back_pain", 0.6), ("out_of_scope", 0.3), ("faq_relief_overview", 0.1)]
    tension = [("faq_muscle_tension", 0.6), ("out_of_scope", 0.3), ("faq_relief_overview", 0.1)]
    divorce = parsed("my lower back has been killing me ever since my divorce last year, is that even possible?", cause)
    laid_off = parsed(
        "i was laid off in the spring and my lower back has hurt every single day since then, related?", cause
    )
    break_up = parsed(
        "since the break up with my girlfriend my neck and upper back are so tight all the time, why?", tension
    )
    # A doctor's exam or a death from an illness is no such event.
    exam = parsed(
        "my lower back has been sore since the doctor did an exam on my hip last month, could that cause it?", cause
    )
    PremiseGate().process([divorce, laid_off, break_up, exam])
    assert divorce.get(INTENT)["name"] == "faq_can_anxiety_cause_back_pain"
    assert laid_off.get(INTENT)["name"] == "faq_can_anxiety_cause_back_pain"
    assert break_up.get(INTENT)["name"] == "faq_muscle_tension"
    assert exam.get(INTENT)["name"] == "out_of_scope"


def test_what_could_be_wrong_and_which_doctor_are_not_the_articles_questions() -> None:
    ranking = [("faq_relief_overview", 0.6), ("out_of_scope", 0.3), ("faq_warning_signs", 0.1)]
    for text in (
        "My lower back started to feel sore on Friday after reading on my stomach and it is still sore. What could be wrong?",
        "Since Saturday I have had a bad ache in my lower back when I stand up. I was wondering what it could be?",
        "I have had a dull lower back ache for two years and my GP shrugs. What kind of doctor should I see about it?",
        # ...and a pregnancy told by its weeks, a c-section's back pain.
        "I am only 34 weeks and today my lower back aches and there is a lot of pressure low down. What can I do about it?",
        "My lower back has ached every day since my second c-section two years ago. Any tips for the pain?",
        "I'm 36 weeks pregnant and feeling more and more uncomfortable, my lower back aches all day. What can I do?",
        "Whats the cause of lower back pain? I'm 19 and it's hard to bend down to pick things up lately.",
    ):
        message = parsed(text, ranking)
        PremiseGate().process([message])
        assert message.get(INTENT)["name"] == "out_of_scope", text
    # "Should I see a doctor?" is the warning signs' question, and "3 weeks into physio" is no pregnancy.
    for text in (
        "My lower back has ached for a month and it is getting worse when I sit at work. Should I see a doctor about it?",
        "I'm 3 weeks into physio for my lower back and it still aches every evening, what else can I do about it?",
    ):
        message = parsed(text, ranking)
        PremiseGate().process([message])
        assert message.get(INTENT)["name"] == "faq_relief_overview", text


def test_a_review_of_a_medicine_that_asks_nothing_is_declined() -> None:
    ranking = [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)]
    for text in (
        # Written in the manner of patient reviews of medicines: the effects listed, nothing asked.
        "Aching shoulders and a stiff neck, low mood, poor sleep. I was on simvastatin for four years before my doctor "
        "switched me. Felt better two weeks after stopping.",
        "muscle cramps in my lower back and calves, tired all day, feeling down. Took 20 mg a day for a year. Would not "
        "take it again.",
        "The side effects were awful: back spasms, nausea and anxiety I never had before. Stopped after a month.",
    ):
        message = parsed(text, ranking)
        PremiseGate().process([message])
        assert message.get(INTENT)["name"] == "out_of_scope", text


def test_a_medicine_named_in_a_question_or_a_request_for_help_keeps_its_answer() -> None:
    ranking = [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)]
    for text in (
        "I take 10 mg of lexapro for my anxiety but my back still tightens up every evening, what else can I do?",
        "Anxiety has my upper back in knots even on my sertraline. Any tips to loosen it up",
    ):
        message = parsed(text, ranking)
        PremiseGate().process([message])
        assert message.get(INTENT)["name"] == "faq_relief_overview", text


def test_how_to_take_a_medicine_is_declined_whatever_stress_is_told() -> None:
    ranking = [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)]
    for text in (
        # Written in the manner of the forty-fourth round's probes: dose, mixing, side effects, dependence, stopping.
        "how much paracetamol can i take for my stress backache",
        "work stress has my back in bits. can I take ibuprofen together with my citalopram and how many a day is safe?",
        "started sertraline for anxiety a month ago and now my lower back aches. is that a side effect? should I stop "
        "taking it?",
        "doc gave me amitriptyline for back ache and sleep because of stress. does it make you drowsy the next day? is it "
        "addictive?",
    ):
        message = gated(text, ranking)
        assert message.get(INTENT)["name"] == "out_of_scope", text
        # ...and says why, so the decline can name a pharmacist or a doctor
        assert message.get(DECLINED_FOR_KEY) == DECLINED_FOR_A_MEDICINE, text
    other = gated(
        "I have had lower back pain for years and I think it is my mattress, which one should I buy?", ranking
    )
    assert other.get(DECLINED_FOR_KEY) is None


def test_a_medicine_in_the_story_of_a_question_about_relief_keeps_its_answer() -> None:
    ranking = [("faq_exercise", 0.6), ("out_of_scope", 0.4)]
    for text in (
        "i take a sleeping pill so im groggy in the mornings. is it still worth doing a bit of exercise for my anxiety "
        "and back pain",
        "I worry how much advil I take for my back. Stress makes it worse. How can I ease it without pills?",
    ):
        assert gated(text, ranking).get(INTENT)["name"] == "faq_exercise", text


def test_a_story_that_asks_nothing_is_declined() -> None:
    ranking = [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)]
    for text in (
        # Written in the manner of forum vents and of advice given to another poster: several sentences, nothing asked.
        "Rough week. My manager shouted at me in front of everyone on Monday and I have not slept well since. My "
        "shoulders are up by my ears and my neck aches when I get home. Tomorrow is another shift and I am dreading it. "
        "Just needed to get this out somewhere.",
        "I have had panic attacks for five years now and wanted to share what mine feel like for anyone new here. "
        "Sweating, a racing heart, tight muscles in my neck and jaw, feeling unreal. You are not alone in this. "
        "It does get easier with time and with the people here.",
    ):
        message = parsed(text, ranking)
        PremiseGate().process([message])
        assert message.get(INTENT)["name"] == "out_of_scope", text
    # A post about the back that asks nothing wants to know about its back: left to the other rules.
    for text in (
        "Two years of lower back pain now. It started the month my father got ill and has not let go since. The physio "
        "says my muscles are guarded all the time. Some days it is better, some days I can barely bend.",
    ):
        message = parsed(text, ranking)
        PremiseGate().process([message])
        assert message.get(INTENT)["name"] == "faq_relief_overview", text


def test_a_story_that_asks_without_a_question_mark_keeps_its_answer() -> None:
    ranking = [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)]
    for text in (
        # A question, a plea or a request for ideas, each without a question mark.
        "My back has ached since the layoffs started. I sit at the desk all day worrying about money. Nothing I try "
        "seems to loosen it. I thought someone here might have a suggestion or two",
        "Work has been awful for months. My upper back is in knots every evening and my sleep is a mess. I have tried "
        "baths and stretching. I was wondering if anyone else has been through this",
        "stressed for six months. muscles cant relax anymore and my back is stiff every morning. i am 17 and never felt "
        "like this. how do i get better",
        # Looking for help, told as a search (r79: "im looking everywhere for help but also just need to vent")
        "For six weeks I have had tension running down the side of my face and neck from the anxiety. It eases a little "
        "when I lie down in bed or sit up straight at the computer. I am looking everywhere for help but I also just need "
        "to vent",
        "My neck and jaw have been tense every single day since the panic attacks started in the spring. It comes and "
        "goes all day long and is worst in the evenings after work. Searching for answers here because nothing has "
        "worked",
    ):
        message = parsed(text, ranking)
        PremiseGate().process([message])
        assert message.get(INTENT)["name"] == "faq_relief_overview", text
    # A short statement is left to the short-message rules.
    message = parsed("Stress makes my back ache.", ranking)
    PremiseGate().process([message])
    assert message.get(INTENT)["name"] == "faq_relief_overview"


def test_being_under_pressure_is_stress_told_but_a_pressure_felt_is_not() -> None:
    """ "Could it be my head?" after a normal check-up asks whether stress is behind the ache when the story tells of being
    under pressure; a chest's or head's pressure tells no stress."""
    cause = [("faq_can_anxiety_cause_back_pain", 0.9), ("out_of_scope", 0.1)]
    under = parsed(
        "Doc says my back is fine structurally. could it be my head? I've been under a lot of pressure", cause
    )
    felt = parsed(
        "Doc says my back is fine structurally. could it be my head? I've had a lot of pressure in my chest", cause
    )
    PremiseGate().process([under, felt])
    assert under.get(INTENT)["name"] == "faq_can_anxiety_cause_back_pain"
    assert felt.get(INTENT)["name"] == "out_of_scope"


# A story that asks something a narrow topic does not answer (its question leans on the story's topical sentence,
# painfaq.nlu.focus, which names nothing of sleep, time, nerves or doctors either).
NIGHTS_STORY = (
    "My shoulders and upper back have been tight and sore for a few months now, since I started the new job in the "
    "city. My family all tell me something different."
)


@pytest.mark.parametrize(
    ("text", "top", "expected"),
    [
        # A narrow topic the story's words gave, while its question names none of what the topic answers: declined.
        (f"{NIGHTS_STORY} Is there a name for this condition?", "faq_sleep", "out_of_scope"),
        (f"{NIGHTS_STORY} What do you guys suggest?", "faq_how_long", "out_of_scope"),
        (f"{NIGHTS_STORY} Does anyone else get this?", "faq_nervous_system", "out_of_scope"),
        # The question names it: the topic stays.
        (
            f"{NIGHTS_STORY} With all the stress I barely rest. Will I ever sleep properly again?",
            "faq_sleep",
            "faq_sleep",
        ),
        (f"{NIGHTS_STORY} How long does this usually last?", "faq_how_long", "faq_how_long"),
        (f"{NIGHTS_STORY} Is it my fight or flight response?", "faq_nervous_system", "faq_nervous_system"),
        (f"{NIGHTS_STORY} Should I see a doctor about it?", "faq_warning_signs", "faq_warning_signs"),
        # A broad topic answers a story's question in any words.
        (f"{NIGHTS_STORY} What do you guys suggest?", "faq_relief_overview", "faq_relief_overview"),
        # A short question is a follow-up to the answer before it: left alone.
        ("and what about at night?", "faq_how_long", "faq_how_long"),
    ],
)
def test_a_narrow_topic_answers_a_story_only_when_its_question_names_it(text: str, top: str, expected: str) -> None:
    ranking = [(top, 0.6), ("faq_muscle_tension", 0.25), ("out_of_scope", 0.15)]
    assert gated(text, ranking).get(INTENT)["name"] == expected


def test_a_narrow_topic_further_down_the_ranking_is_left_where_it_is() -> None:
    ranking = [("faq_relief_overview", 0.5), ("faq_how_long", 0.4), ("out_of_scope", 0.1)]
    message = gated(f"{NIGHTS_STORY} Is there a name for this condition?", ranking)
    assert [(e["name"], e["confidence"]) for e in message.get(INTENT_RANKING_KEY)] == ranking
