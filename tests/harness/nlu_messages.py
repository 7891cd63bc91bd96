"""Rasa NLU messages as the pipeline hands them to a component after the intent classifier."""

from __future__ import annotations

from typing import List, Tuple

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message


def parsed(text: str, ranking: List[Tuple[str, float]]) -> Message:
    """A message with `text` whose intent ranking is `ranking` (name, confidence), best first."""
    message = Message(data={TEXT: text})
    entries = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    message.set(INTENT, dict(entries[0]))
    message.set(INTENT_RANKING_KEY, entries)
    return message
