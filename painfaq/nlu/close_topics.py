"""Rasa NLU component: two close topics tied at the top are one reading, not a question to ask back.

    pipeline:
      ...
      - name: painfaq.nlu.close_topics.CloseTopics      # right before FallbackClassifier
      - name: FallbackClassifier

`FallbackClassifier` asks "did you mean" when the top two intents are within its ambiguity threshold. For two topics
whose answers both answer the same questions that is a click for nothing: "what do you do to relax your
anxiety-induced muscle tension?" tied the overview of remedies and muscle tension at 0.47, and either answer is
right (the answer's own suggestion buttons offer the other one). When the best intent is a topic at
`min_confidence` or more and the second is a topic listed with it in `pairs`, within `tie_margin`, the second's
probability goes to the first. Anything else (a low best guess, "out of scope" second, two unrelated topics) is left
to `FallbackClassifier`. The pairs are those the two labellers of the dev set of real messages accepted for the same
message at least 30% of the time (docs/real-users-history.md, eighteenth round).
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, List, Set, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

from painfaq.nlu.rule_step import RuleStep, confidence

TOPIC_PREFIX = "faq_"

# Topic ids (without "faq_"), by how often real messages' labels accept both: the overview of remedies and each
# remedy, the remedies among themselves, and the article's "yes, it can" with its explanations.
DEFAULT_PAIRS = [
    ["exercise", "relief_overview"],
    ["can_anxiety_cause_back_pain", "muscle_tension"],
    ["exercise", "physical_therapy"],
    ["exercise", "yoga"],
    ["breathing", "yoga"],
    ["muscle_tension", "relief_overview"],
    ["can_anxiety_cause_back_pain", "how_anxiety_causes_back_pain"],
    ["physical_therapy", "yoga"],
    ["physical_therapy", "relief_overview"],
    ["breathing", "muscle_tension"],
    ["relief_overview", "yoga"],
    ["breathing", "therapy"],
    ["can_anxiety_cause_back_pain", "relief_overview"],
    ["breathing", "relief_overview"],
    ["exercise", "muscle_tension"],
    ["how_anxiety_causes_back_pain", "signs"],
    ["breathing", "exercise"],
    ["can_anxiety_cause_back_pain", "signs"],
]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class CloseTopics(RuleStep):
    """Merges a tie between two close topics into the better one, so no "did you mean" is asked for it."""

    def __init__(self, config: Dict[Text, Any] | None = None) -> None:
        super().__init__(config)
        self._pairs: Set[FrozenSet[str]] = {
            frozenset(f"{TOPIC_PREFIX}{topic}" for topic in pair) for pair in self.component_config["pairs"]
        }
        self._min_confidence = float(self.component_config["min_confidence"])
        self._tie_margin = float(self.component_config["tie_margin"])

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # min_confidence and tie_margin: FallbackClassifier's threshold and ambiguity_threshold in config.yml.
        return {"pairs": DEFAULT_PAIRS, "min_confidence": 0.4, "tie_margin": 0.05}

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            ranking = [dict(entry) for entry in message.get(INTENT_RANKING_KEY) or []]
            if len(ranking) < 2 or not self._close_tie(ranking[0], ranking[1]):
                continue
            best, second = ranking[0], ranking[1]
            best[PREDICTED_CONFIDENCE_KEY] = confidence(best) + confidence(second)
            kept = [best] + ranking[2:]
            message.set(INTENT, dict(best), add_to_output=True)
            message.set(INTENT_RANKING_KEY, kept, add_to_output=True)
        return messages

    def _close_tie(self, best: Dict[Text, Any], second: Dict[Text, Any]) -> bool:
        names = frozenset({str(best.get(INTENT_NAME_KEY)), str(second.get(INTENT_NAME_KEY))})
        return (
            confidence(best) >= self._min_confidence
            and confidence(best) - confidence(second) < self._tie_margin
            and names in self._pairs
        )
