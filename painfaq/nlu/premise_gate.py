"""Rasa NLU component: an answer that explains how anxiety hurts the back needs a message that speaks of
stress at all.

    pipeline:
      ...
      - name: painfaq.nlu.question_focus.RestoreText
      - name: painfaq.nlu.premise_gate.PremiseGate      # reads the whole message again

Several of the article's answers take anxiety as their premise (how it tenses muscles, disturbs sleep, puts
the nervous system on alert). Real people with a plain back problem ("I have back pain in my lower back. It
hurts when I cough or sneeze?", "My back hurts when I lay down and I can't get any sleep") were given those
answers, which presume a cause they never mentioned. When a message of `min_words` or more says nothing of
stress, worry, tension or feelings, `PremiseGate` moves the probability of those topics to `out_of_scope`,
so the assistant declines (and offers a person) instead. Short messages are left alone: "why do my muscles
tighten up?" is a follow-up to the answer before it. Measured on the dev set of real messages
(docs/real-users.md).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

OUT_OF_SCOPE = "out_of_scope"

# Topics whose answer explains an anxiety mechanism.
ANXIETY_PREMISE_INTENTS = [
    "faq_how_anxiety_causes_back_pain",
    "faq_muscle_tension",
    "faq_signs",
    "faq_sleep",
    "faq_nervous_system",
    "faq_how_common",
]

# Words of stress, worry, tension and feelings (regular expressions, matched as whole words, any case).
STRESS_WORDS = [
    r"anxi\w*",
    r"stress\w*",
    r"worr\w*",
    r"nerv\w*",
    r"panic\w*",
    r"tension",
    r"tens(e|ed|es|ing)",
    r"tighten\w*",
    r"clench\w*",
    r"emotion\w*",
    r"mental\w*",
    r"psych\w*",
    r"in my head",
    r"depress\w*",
    r"fear\w*",
    r"scared",
    r"afraid",
    r"overthink\w*",
    r"on edge",
    r"burn(ed|t)? ?out",
    r"overwhelm\w*",
    r"upset",
    r"mood\w*",
    r"fight or flight",
    r"cortisol",
    r"adrenaline",
    r"trauma\w*",
    r"grie\w*",
    r"frazzled",
    r"wound up",
    r"uptight",
    r"mind",
    r"brain",
    r"thoughts?",
    r"feelings?",
    r"hypervigilan\w*",
    r"relax\w*",
    r"calm\w*",
]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class PremiseGate(GraphComponent):
    """Declines anxiety-mechanism answers for longer messages that never mention stress or feelings."""

    def __init__(self, config: Optional[Dict[Text, Any]] = None) -> None:
        self.component_config = {**self.get_default_config(), **(config or {})}
        self._gated = set(self.component_config["intents"])
        self._min_words = int(self.component_config["min_words"])
        words = "|".join(self.component_config["stress_words"])
        self._stress = re.compile(rf"\b({words})\b", re.IGNORECASE)

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"intents": ANXIETY_PREMISE_INTENTS, "min_words": 12, "stress_words": STRESS_WORDS}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "PremiseGate":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/") or len(text.split()) < self._min_words or self._stress.search(text):
                continue
            _move_to_out_of_scope(message, self._gated)
        return messages


def _move_to_out_of_scope(message: Message, gated: set) -> None:
    ranking = message.get(INTENT_RANKING_KEY) or []
    moved = sum(float(e.get(PREDICTED_CONFIDENCE_KEY) or 0.0) for e in ranking if e.get(INTENT_NAME_KEY) in gated)
    if moved <= 0:
        return
    kept = [dict(e) for e in ranking if e.get(INTENT_NAME_KEY) not in gated]
    for entry in kept:
        if entry.get(INTENT_NAME_KEY) == OUT_OF_SCOPE:
            entry[PREDICTED_CONFIDENCE_KEY] = float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0.0) + moved
            break
    else:
        kept.append({INTENT_NAME_KEY: OUT_OF_SCOPE, PREDICTED_CONFIDENCE_KEY: moved})
    kept.sort(key=lambda e: -float(e.get(PREDICTED_CONFIDENCE_KEY) or 0.0))
    message.set(INTENT, dict(kept[0]), add_to_output=True)
    message.set(INTENT_RANKING_KEY, kept, add_to_output=True)
