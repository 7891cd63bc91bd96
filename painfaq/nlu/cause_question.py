"""Rasa NLU component: a question that asks whether stress is behind the aches is the article's own question.

    pipeline:
      ...
      - name: painfaq.nlu.scope_check.ScopeCheck
      - name: painfaq.nlu.cause_question.CauseQuestion    # after the scope model, before the safety net

"Can anxiety cause back pain?" is the article's title, and the classifier answers it. Real people ask it in words the
written examples do not have: "How can I know if anxiety is causing my pain?" (out of scope at 0.99, the story before it
named a doctor and "physical complaints"), "Stiff neck on the right side. Is this anxiety?" (asked back), "is stress
doing this to me?" (read as "is this medical advice?"). When a question of the message asks whether stress, anxiety,
worry or nerves cause, are behind or show up as the complaint, the message names the back, neck, shoulders, muscles or
body aches, and it names no other organ's complaint, condition, test or medicine, the answer is the article's answer
to that question, whatever the classifier guessed among out of scope, "did you mean" and the topics that answer
something else (how long, how common, the assistant itself). The other article topics it may have chosen (how anxiety
tenses the muscles, its signs, what helps) are answers to the same story and stay.
"""

from __future__ import annotations

import re
from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.shared.nlu.training_data.message import Message

from painfaq.content.premises import (
    REFERS_TO_A_COMPLAINT,
    SPEAKS_OF_NECK_OR_SHOULDERS,
    SPEAKS_OF_THE_BACK,
    TELLS_OF_VIOLENCE,
    asks_for_a_medicine,
    asks_how_to_take_a_medicine,
    without_figures_of_speech,
)
from painfaq.nlu.focus import focus
from painfaq.nlu.remedy_request import NAMES_AN_ACHE, NOT_THE_ARTICLES_SUBJECT
from painfaq.nlu.rule_step import RuleStep, give_top_guess_to, typed_messages

CAUSE_INTENT = "faq_can_anxiety_cause_back_pain"
# What a question about the cause is not asking: the classifier's guesses this step replaces.
REPLACED_GUESSES = (
    "out_of_scope",
    "faq_how_long",
    "faq_how_common",
    "faq_medical_advice",
    "faq_sources",
    "faq_experts",
    "faq_hinge_health_program",
    "faq_warning_signs",
)

SHORT_QUESTION_WORDS = 12

# "Will my back pain from stress ever go away?": the complaint is named by its cause, and what is asked is how long it
# lasts. The classifier's "how long" stays.
ASKS_HOW_LONG = re.compile(
    r"\b(how long|go(es)? away|ever (stop|end|heal|ease|go|get better|be gone)|get(ting)? better|forever|permanent(ly)?)\b",
    re.IGNORECASE,
)

_STRESS = (
    r"(anxiety|anxious|anxieties|stress|stressed|stressful|stresses|worry|worries|worrying|nerves|nervous|panic|"
    r"depression|depressed|emotional|emotions|psychological|psychosomatic|mental|in my head|all in my head)"
)
_COMPLAINT = (
    r"((my|this|that|these|the) (\w+ ){0,2}(pain|aches?|backaches?|back|neck|shoulders?|spine|muscles?|symptoms?|"
    r"tension|stiffness|spasms?)|it|this|that|these)"
)
ASKS_IF_STRESS_CAUSES = re.compile(
    r"\b("
    # "can anxiety cause back pain", "is it normal for anxiety to cause back pain", "does worry make my back hurt"
    rf"(can|could|does|do|would|will|might|may|is|are)( \w+){{0,3}} {_STRESS}( \w+){{0,3}} "
    r"(cause|causes|causing|give|giving|make|making|trigger|triggering|lead to|bring on|create|result in|manifest|"
    r"show up|affect|affecting|be (behind|the cause|the reason|causing|doing))\b"
    # "is this pain caused by stress", "could it be from anxiety", "is my back pain related to stress"
    rf"|{_COMPLAINT} (\w+ ){{0,3}}(be |is |are )?(caused by|due to|from|because of|related to|linked to|"
    rf"connected to|a sign of|a symptom of|the result of|a result of|down to|(anything|something) to do with)"
    rf"( (my|the|all|just|this|too much))? {_STRESS}"
    # "Does aches and pains have anything to do with anxiety and depression?", "are these knots related to stress?": the
    # complaint named without "my" or "the" (r73)
    rf"|(does|do|did|could|can|is|are|might|may|would) (\w+ ){{1,5}}(have (anything|something) to do with|"
    rf"(be )?(related|linked|connected) to)( (my|the|all|just|this|too much))? {_STRESS}"
    # "is this anxiety?", "could it be stress?", "is this back pain just anxiety?", "is my back pain psychological?"
    rf"|(is|could|can|might) {_COMPLAINT} (all |just |only |really |simply )?(be )?"
    rf"(all |just |only )?(my |the |from |due to )?{_STRESS}"
    # "is back pain a symptom of anxiety", "a sign of stress"
    rf"|(symptom|sign|side effect|result) of (my |the |too much )?{_STRESS}"
    # "is stress doing this to me", "stress causing my back pain?"
    rf"|{_STRESS} (is |be )?(doing|causing) (this|it|that|my)"
    # "how do I know if anxiety is causing my pain", "how can I tell if my back pain is anxiety"
    rf"|how (can|do|would|could) (i|you|one|we) (know|tell)( \w+){{0,5}} {_STRESS}"
    r")",
    re.IGNORECASE,
)
# An ache of the article's kind somewhere in the message.
_NAMES_THE_BODY_ACHE = re.compile(
    r"\b((body|bodily|physical|muscle|muscular) (pains?|aches?|symptoms?|tension)|aches and pains|achy|achey|"
    r"muscles?|tense|tension|stiff\w*)\b",
    re.IGNORECASE,
)
# The words remedy_request.NAMES_AN_ACHE does not have: its "ache" needs a word boundary.
_ALSO_AN_ACHE = re.compile(r"\b(backaches?|killing me)\b", re.IGNORECASE)
# A complaint of another organ, or of the skin or mouth ("canker sores"): the article's answer is about aches of the
# back, neck, shoulders and muscles.
OTHER_ORGANS = re.compile(
    r"\b(chest|heart|palpitations?|breath\w*|stomach|nause\w*|(?<!my\s)head|headaches?|migraines?|jaw|tmj|teeth|throat|"
    r"eyes?|vision|dizz\w*|tingl\w*|numb\w*|pelvi\w*|kidneys?|bladder|bowel\w*|arms?|hands?|legs?|feet|foot|knees?|"
    r"hips?|canker|mouth|skin|ms|cancer|tumou?rs?|pills?|medicines?)\b",
    re.IGNORECASE,
)


def asks_if_stress_causes_the_ache(text: str) -> bool:
    """A question of the message asks whether stress is behind an ache of the back, neck, shoulders or muscles."""
    asked = focus(text)
    if not ASKS_IF_STRESS_CAUSES.search(asked):
        return False
    told = without_figures_of_speech(text)
    names_the_region = SPEAKS_OF_THE_BACK.search(told) or SPEAKS_OF_NECK_OR_SHOULDERS.search(told)
    names_the_ache = (
        (names_the_region and names_an_ache(told))
        or _NAMES_THE_BODY_ACHE.search(told)
        # "How can I know if anxiety is causing my pain?": the question itself names the pain.
        or names_an_ache(without_figures_of_speech(asked))
    )
    # "Is stress doing this to me?" asked on its own points at the pain the person came to the widget with.
    points_at_the_ache = len(text.split()) <= SHORT_QUESTION_WORDS and REFERS_TO_A_COMPLAINT.search(asked)
    if not (names_the_ache or points_at_the_ache):
        return False
    return not names_what_the_article_leaves_out(text, asked)


def names_what_the_article_leaves_out(text: str, asked: str) -> bool:
    """Another organ's complaint, a condition, test or medicine, or violence: no answer of the article is about it."""
    return bool(
        NOT_THE_ARTICLES_SUBJECT.search(text)
        or OTHER_ORGANS.search(text)
        or TELLS_OF_VIOLENCE.search(text)
        or asks_for_a_medicine(asked)
        or asks_how_to_take_a_medicine(text, asked)
    )


def names_an_ache(text: str) -> bool:
    return bool(NAMES_AN_ACHE.search(text) or _ALSO_AN_ACHE.search(text))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class CauseQuestion(RuleStep):
    """Answers "can anxiety cause back pain?" when a question asks it in any wording the classifier missed."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message, text, ranking in typed_messages(messages):
            if not ranking or ranking[0].get(INTENT_NAME_KEY) not in REPLACED_GUESSES:
                continue
            if ranking[0].get(INTENT_NAME_KEY) == "faq_how_long" and ASKS_HOW_LONG.search(focus(text)):
                continue
            if asks_if_stress_causes_the_ache(text):
                give_top_guess_to(message, ranking, CAUSE_INTENT)
        return messages
