"""Rasa NLU components: classify the question of a long message, keep the whole message for everything else.

    pipeline:
      - name: painfaq.nlu.question_focus.QuestionFocus      # first: before spaCy and the featurizers
      ...
      - name: painfaq.nlu.intent_classifier.LinearIntentClassifier
      - name: painfaq.nlu.question_focus.RestoreText        # right after the intent classifier
      - name: painfaq.nlu.input_guard.InputGuard
      - name: painfaq.nlu.safety_classifier.SafetyNetClassifier         # reads the whole message again

`QuestionFocus` replaces the text of a long message by its question (painfaq.nlu.focus.focus), puts back the
question mark a message's question was asked without (painfaq.nlu.focus.with_question_marks; not in the written
training examples), and keeps the whole message under `original_text`; it runs on training examples too, so the classifier
learns from what it will see. `RestoreText` puts the whole message back, so the input guard, the safety
net, the parse result and the tracker all see what the person wrote. A long message is a question or a
story, never a "yes", a "thanks" or "the second one": `RestoreText` also drops such intents
(`not_for_long_messages`) from a long message's ranking, so the story's fragment "so what's the point?"
cannot be read as "no".
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from painfaq.nlu import focus as question_focus
from painfaq.nlu.focus import focus, with_question_marks
from painfaq.nlu.rule_step import RuleStep, add_probability, confidence

ORIGINAL_TEXT_KEY = "original_text"
# Set when the text was cut to its question (a long message), not only given a question mark.
FOCUSED_KEY = "focused_on_question"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class QuestionFocus(RuleStep):
    """Replaces a long message's text by the sentences that ask (the whole text goes to `original_text`)."""

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """Rasa caches the focused training data by config; a change to the focusing rules, or to how this component
        applies them to training examples, must retrain."""
        sources = Path(question_focus.__file__).read_bytes() + Path(__file__).read_bytes()
        return hashlib.sha256(sources).hexdigest()

    def process(self, messages: List[Message]) -> List[Message]:
        return self._focus(messages, mark_questions=True)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # The written examples keep their punctuation as written: marking the unmarked ones too cost 11 right answers on
        # the dev set of real messages; marking only what people send gained 6 (docs/real-users-history.md, thirty-ninth round).
        self._focus([m for m in training_data.training_examples if m.get(TEXT)], mark_questions=False)
        return training_data

    @staticmethod
    def _focus(messages: List[Message], mark_questions: bool) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            # "/intent" button payloads are parsed by Rasa itself.
            if not text or text.startswith("/"):
                continue
            focused = focus(text)
            long_message = focused != text
            if mark_questions:
                focused = with_question_marks(focused)
            if focused != text:
                message.set(ORIGINAL_TEXT_KEY, text)
                message.set(FOCUSED_KEY, long_message)
                message.set(TEXT, focused)
        return messages


# A long message read as a bare reply ("Thanks in advance!", "ok", "hi all") asked nothing the classifier could place:
# that probability says "no question here", and goes to out of scope. Shared out among the topics instead, it made a
# 0.18 topic guess the answer to "that's good. Im ok aye!!! a little stressed but fine" (r81). On the dev set of real
# messages at parse level: 12 out-of-scope posts more declined, 23 fewer given article content, 1 answerable lost
# (sending every dropped intent's probability to out of scope: 44 declined for 7 answerable lost, not kept).
REPLIES_WITHOUT_A_QUESTION = (
    "affirm",
    "deny",
    "greet",
    "goodbye",
    "thank",
    "bot_challenge",
    "cancel",
    "feedback_helpful",
    "feedback_not_helpful",
)
# Replies to the assistant's last message (follow-ups, yes/no, feedback), small talk, and questions about the
# assistant itself: never the point of a long message.
SHORT_REPLY_INTENTS = [
    *REPLIES_WITHOUT_A_QUESTION,
    "pick_offered",
    "other_options",
    "tell_more",
    "ask_source_for_last",
    # Questions about the assistant and the article ("is this medical advice?", "where is this from?", "who
    # wrote it?") are asked on their own; in a long story "should I see a doctor?" or "what could this be?"
    # read as these but never mean them (dev set: 3 of 3 such answers were wrong).
    "faq_medical_advice",
    "faq_sources",
    "faq_experts",
    "faq_hinge_health_program",
]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RestoreText(RuleStep):
    """Puts the whole message back after the intent classifier has read the focused text."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"not_for_long_messages": SHORT_REPLY_INTENTS}

    def process(self, messages: List[Message]) -> List[Message]:
        excluded = set(self.component_config.get("not_for_long_messages", SHORT_REPLY_INTENTS))
        for message in messages:
            original = message.get(ORIGINAL_TEXT_KEY)
            if original:
                message.set(TEXT, original)
                # A short question that only got its mark ("who wrote this") may still be about the assistant.
                if message.get(FOCUSED_KEY, True):
                    _drop_intents(message, excluded)
        return messages


OUT_OF_SCOPE = "out_of_scope"


def _drop_intents(message: Message, excluded: set) -> None:
    """Remove `excluded` intents from the ranking: a bare reply's probability goes to out of scope, a misread
    question's ("should I see a doctor?" read as "is this medical advice?") is shared out among the rest."""
    ranking = message.get(INTENT_RANKING_KEY) or []
    kept = [dict(entry) for entry in ranking if entry.get(INTENT_NAME_KEY) not in excluded]
    if not kept or len(kept) == len(ranking):
        return
    no_question = sum(
        confidence(entry)
        for entry in ranking
        if entry.get(INTENT_NAME_KEY) in excluded and entry.get(INTENT_NAME_KEY) in REPLIES_WITHOUT_A_QUESTION
    )
    total = sum(confidence(entry) for entry in kept)
    if total > 0:
        share = (sum(confidence(entry) for entry in ranking) - no_question) / total
        for entry in kept:
            entry[PREDICTED_CONFIDENCE_KEY] = confidence(entry) * share
    if no_question > 0:
        add_probability(kept, OUT_OF_SCOPE, no_question)
        kept.sort(key=lambda entry: -confidence(entry))
    message.set(INTENT, dict(kept[0]), add_to_output=True)
    message.set(INTENT_RANKING_KEY, kept, add_to_output=True)
