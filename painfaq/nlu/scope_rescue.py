"""Rasa NLU component: a message that speaks of stress *and* of a body complaint is about the article.

    pipeline:
      ...
      - name: painfaq.nlu.premise_gate.PremiseGate
      - name: painfaq.nlu.scope_rescue.ScopeRescue     # after the premises, on the whole message

The intent classifier's "out of scope" is a catch-all learned from a few hundred written examples; on real
stories it wins on words that have nothing to do with scope ("at work", "relax my muscles", "chiropractor",
"13-year-old"), and an answerable question ("I hold a lot of tension in my neck at work, it's stressful. Could my
neck pain have to do with my work?") was declined with "out of scope" at 0.92. When the message names both what
the article is about, stress or feelings (`STRESS_WORDS`) and a body complaint (`COMPLAINT_WORDS`), and the
classifier's best topic still holds `min_topic_confidence` or more, the topic is answered: the out-of-scope
probability goes to it. Measured on the dev set of real messages (docs/real-users.md): at 0.2, 7 answerable
messages more answered right, 1 wrong, 7 out-of-scope messages more given an answer about anxiety and back pain.
Worry about the symptom itself ("I'm getting a little worried", the way most questions to a doctor end) is not
stress: on dev and on a fresh sample of Yahoo! Answers questions it only ever rescued out-of-scope messages. A
question that asks about another part of the body and not the back, neck or shoulders ("Anyone have chronic headaches
caused by anxiety/stress?") is not rescued either: on dev, 4 out-of-scope posts more declined and 1 answerable one lost
(jaw clenching and a tense throat, labelled generously).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from painfaq.content.premises import (
    NAMES_ANOTHER_PART,
    SPEAKS_OF_THE_REGION,
    TELLS_OF_VIOLENCE,
    speaks_of_stress_beyond_worry_for_the_symptom,
    without_figures_of_speech,
)
from painfaq.nlu.focus import focus
from painfaq.nlu.rule_step import RuleStep, confidence

OUT_OF_SCOPE = "out_of_scope"
TOPIC_PREFIX = "faq_"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ScopeRescue(RuleStep):
    """Answers the best topic instead of "out of scope" for a message about stress and a body complaint."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"min_topic_confidence": 0.2}

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            region_told = SPEAKS_OF_THE_REGION.search(without_figures_of_speech(text))
            stress_told = speaks_of_stress_beyond_worry_for_the_symptom(text)
            if text.startswith("/") or not (stress_told and region_told):
                continue
            if TELLS_OF_VIOLENCE.search(text):
                continue
            asked = focus(text)
            if asked != text and NAMES_ANOTHER_PART.search(asked) and not SPEAKS_OF_THE_REGION.search(asked):
                continue
            self._rescue(message)
        return messages

    def _rescue(self, message: Message) -> None:
        ranking = [dict(e) for e in message.get(INTENT_RANKING_KEY) or []]
        if not ranking or ranking[0].get(INTENT_NAME_KEY) != OUT_OF_SCOPE:
            return
        topics = [e for e in ranking[1:] if str(e.get(INTENT_NAME_KEY) or "").startswith(TOPIC_PREFIX)]
        if not topics or confidence(topics[0]) < float(self.component_config["min_topic_confidence"]):
            return
        best = topics[0]
        best[PREDICTED_CONFIDENCE_KEY] = confidence(best) + confidence(ranking[0])
        kept = [e for e in ranking if e.get(INTENT_NAME_KEY) != OUT_OF_SCOPE]
        kept.sort(key=lambda e: -confidence(e))
        message.set(INTENT, dict(kept[0]), add_to_output=True)
        message.set(INTENT_RANKING_KEY, kept, add_to_output=True)
