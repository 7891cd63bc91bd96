"""Rasa NLU component that marks unreadable input (empty, only emoji/punctuation, no Latin letters).

Without it, the intent classifier still picks *some* intent for "🙂🙂🙂" or "???" and the bot answers a random topic.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text, Type

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from painfaq.nlu.rule_step import RuleStep

BAD_INPUT_INTENT = "bad_input"
LATIN_LETTER = re.compile(r"[A-Za-z]")


def is_unreadable(text: str, min_letters: int = 2) -> bool:
    # Messages starting with "/" are button payloads that Rasa parses itself.
    if text.startswith("/"):
        return False
    return len(LATIN_LETTER.findall(text)) < min_letters


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class InputGuard(RuleStep, IntentClassifier):
    @classmethod
    def required_components(cls) -> List[Type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"min_letters": 2}

    def __init__(self, config: Optional[Dict[Text, Any]] = None) -> None:
        super().__init__(config)
        self.min_letters = int(self.component_config["min_letters"])

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if is_unreadable(message.get(TEXT) or "", self.min_letters):
                intent = {INTENT_NAME_KEY: BAD_INPUT_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
                message.set(INTENT, intent, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [intent], add_to_output=True)
        return messages
