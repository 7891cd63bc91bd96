"""Rasa NLU component: a question whether the back pain is serious is the warning-sign topic's question.

    pipeline:
      ...
      - name: painfaq.nlu.cause_question.CauseQuestion
      - name: painfaq.nlu.seriousness_question.SeriousnessQuestion    # before the safety net

"How do I know if my back pain is serious?" is a topic of its own (`warning_signs`: the list of signs from
content/safety.yml). The classifier answers that wording, but the shortest and most common one, "is my back pain
serious?", it read as "can anxiety cause back pain?" (0.54 against 0.41), "could my back pain be something serious?"
it asked back, and a morning backache followed by "Could this be serious?" it declined. When a question of the message
asks whether the pain is serious, dangerous or worth worrying about, or when to see a doctor about it, the message
names the back and an ache, and it names no other organ, condition, test or medicine, the warning signs are answered
instead of a decline or an explanation, in a message of up to 200 words (a Yahoo! Answers post telling a week of
back pain and asking "Could this be serious??!" or "is it worth going to the doctor or should I give it a few days?").
A question whether stress is behind the pain stays `CauseQuestion`'s, and the remedies stay when the classifier chose them. A warning sign the person reports is the safety net's, which runs after
this step and answers with the urgent reply.
"""

from __future__ import annotations

import re
from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

from painfaq.content.premises import SPEAKS_OF_THE_BACK, without_figures_of_speech
from painfaq.nlu.cause_question import asks_if_stress_causes_the_ache, names_an_ache, names_what_the_article_leaves_out
from painfaq.nlu.focus import focus
from painfaq.nlu.remedy_request import ASKS_FOR_HELP
from painfaq.nlu.rule_step import RuleStep, confidence, typed_messages

WARNING_SIGNS_INTENT = "faq_warning_signs"
# Up to 25 words at first: on the dev set's forum stories of 2019-21 that end "should I be worried?" about other symptoms
# the labels said out of scope. Measured again with the Yahoo! Answers back-pain samples (thirtieth round): up to 200
# words, 4 more answerable questions got the warning signs (3 of them in two fresh samples), 3 out-of-scope posts more
# got them too; the words the article leaves out (another organ, condition, test or medicine) still keep it out.
MAX_WORDS = 200
OUT_OF_SCOPE = "out_of_scope"
TOPIC_PREFIX = "faq_"
# The remedies, kept when the message also asks what helps ("is it serious? what can I do?"): both are answers then.
REMEDY_INTENTS = (
    "faq_relief_overview",
    "faq_physical_therapy",
    "faq_exercise",
    "faq_breathing",
    "faq_yoga",
    "faq_therapy",
    "faq_bridge_and_breathe",
)

_SERIOUS = r"(serious|dangerous|an emergency|something (bad|worse|more)|a bad sign|a sign of something)"
ASKS_IF_SERIOUS = re.compile(
    r"\b("
    # "is my back pain serious?", "could this be something serious", "is it dangerous", "might it be serious"
    rf"(is|could|can|might|would|may) (it|this|that|my|the)( \w+){{0,3}}? (be )?(something )?{_SERIOUS}"
    # "how do I know if my back pain is serious", "how can you tell when back pain is an emergency"
    rf"|how (do|can|would|could|should) (i|you|one|we) (know|tell)( \w+){{0,6}}? (is|be|being|gets?|becomes?) {_SERIOUS}"
    r"|how serious is"
    # "when should I worry about my back pain", "should I be worried?", "when to see a doctor for back pain"
    r"|when (should|do|would|must) (i|you|one) (be )?(worry|worried|concerned|see a doctor|see a gp|go to (the|a) "
    r"(doctor|er|gp|hospital))"
    r"|when to (worry|be worried|be concerned|see a doctor|see a gp|go to (the|a) (doctor|er|gp|hospital))"
    r"|should i (be )?(worried|worry|concerned)"
    # "is it worth going to the doctor or should I give it a few days?", "do I need to see a doctor?"
    r"|(is it|would it be) worth (going to|seeing|visiting) (the|a) (doctor|gp|er)"
    r"|(should|do) i (need to )?(go to|see|visit) (the|a) (doctor|gp|er|hospital)\b(?! (about|for) (my|the|this) (meds|medication))"
    # "what symptoms mean my back pain is serious?", "which signs mean I should see a doctor"
    rf"|(what|which) (symptoms|signs)( \w+){{0,6}}? ({_SERIOUS}|see a doctor|go to (the|a) (doctor|er|hospital))"
    r")",
    re.IGNORECASE,
)


def asks_if_back_pain_is_serious(text: str) -> bool:
    """A question of the message asks whether the back pain is serious, and the message is about nothing else."""
    if len(text.split()) > MAX_WORDS:
        return False
    asked = focus(text)
    if not ASKS_IF_SERIOUS.search(asked) or asks_if_stress_causes_the_ache(text):
        return False
    told = without_figures_of_speech(text)
    if not (SPEAKS_OF_THE_BACK.search(told) and names_an_ache(told)):
        return False
    return not names_what_the_article_leaves_out(text, asked)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SeriousnessQuestion(RuleStep):
    """Answers the warning signs when a question asks whether the back pain is serious in a wording the classifier missed."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message, text, ranking in typed_messages(messages):
            # (the word count first: the question finding is not worth running on a long story this step never answers)
            if not ranking or len(text.split()) > MAX_WORDS:
                continue
            keep_remedies = bool(ASKS_FOR_HELP.search(focus(text)))
            if is_replaced(str(ranking[0].get(INTENT_NAME_KEY)), keep_remedies) and asks_if_back_pain_is_serious(text):
                _replaced_guesses_to_warning_signs(message, ranking, keep_remedies)
        return messages


def is_replaced(intent: str, keep_remedies: bool) -> bool:
    """A guess a question about seriousness replaces: a decline or an article topic, but not a remedy when the message
    also asks what helps. The safety net's intents and the short replies ("thanks", "yes") are never replaced."""
    if intent == OUT_OF_SCOPE:
        return True
    return intent.startswith(TOPIC_PREFIX) and not (keep_remedies and intent in REMEDY_INTENTS)


def _replaced_guesses_to_warning_signs(message: Message, ranking: List[dict], keep_remedies: bool) -> None:
    """The replaced guesses' probability goes to the warning signs (so the top two cannot tie); the rest keep theirs."""
    replaced = [e for e in ranking if is_replaced(str(e.get(INTENT_NAME_KEY)), keep_remedies)]
    total = sum(confidence(e) for e in replaced)
    kept = [{**e, PREDICTED_CONFIDENCE_KEY: 0.0} if e in replaced else e for e in ranking]
    kept = [e for e in kept if e.get(INTENT_NAME_KEY) != WARNING_SIGNS_INTENT]
    kept.append({INTENT_NAME_KEY: WARNING_SIGNS_INTENT, PREDICTED_CONFIDENCE_KEY: total})
    kept.sort(key=lambda e: -confidence(e))
    message.set(INTENT, dict(kept[0]), add_to_output=True)
    message.set(INTENT_RANKING_KEY, kept, add_to_output=True)
