"""The shared construction of the project's rule steps in the NLU pipeline (QuestionFocus, RestoreText,
PremiseGate, ScopeRescue, RemedyRequest, InputGuard): nothing is trained, the step's config is merged over its defaults, and
Rasa builds it the same way to train and to serve."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message


class RuleStep(GraphComponent):
    """A step with no model: subclasses give `get_default_config` and `process`."""

    def __init__(self, config: Optional[Dict[Text, Any]] = None) -> None:
        self.component_config = {**self.get_default_config(), **(config or {})}

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RuleStep":
        return cls(config)


def confidence(entry: Dict[Text, Any]) -> float:
    """An intent ranking entry's probability (0 when missing)."""
    return float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0.0)


def add_probability(ranking: List[Dict[Text, Any]], intent: Text, probability: float) -> None:
    """`probability` is added to `intent`'s entry in `ranking`, which is appended when missing (not re-sorted)."""
    target = next((e for e in ranking if e.get(INTENT_NAME_KEY) == intent), None)
    if target is None:
        target = {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 0.0}
        ranking.append(target)
    target[PREDICTED_CONFIDENCE_KEY] = confidence(target) + probability


def give_top_guess_to(message: Message, ranking: List[Dict[Text, Any]], intent: Text) -> None:
    """The top guess's probability goes to `intent`; the guess stays in the ranking, below it at 0."""
    guess = ranking.pop(0)
    add_probability(ranking, intent, confidence(guess))
    guess[PREDICTED_CONFIDENCE_KEY] = 0.0
    ranking.append(guess)
    ranking.sort(key=lambda e: -confidence(e))
    message.set(INTENT, dict(ranking[0]), add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)


def typed_messages(messages: List[Message]) -> Iterator[Tuple[Message, Text, List[Dict[Text, Any]]]]:
    """Each message a person typed (not a button's "/intent" payload), its text and a copy of its intent ranking."""
    for message in messages:
        text = message.get(TEXT) or ""
        if not text.startswith("/"):
            yield message, text, [dict(e) for e in message.get(INTENT_RANKING_KEY) or []]
