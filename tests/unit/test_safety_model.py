"""The safety net's learned layer (painfaq/safety/learned.py) and how SafetyNetClassifier uses it: it reads the
whole message, trains and persists with the Rasa model, and sets aside the intent classifier's own guesses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, List, Tuple

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from painfaq.nlu.question_focus import ORIGINAL_TEXT_KEY
from painfaq.safety import learned as safety_model

REPO_ROOT = Path(__file__).resolve().parents[2]


def nlu_examples() -> List[Tuple[str, str]]:
    examples = []
    for path in sorted((REPO_ROOT / "data" / "nlu").glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" in block:
                for line in block["examples"].splitlines():
                    if line.strip().startswith("- "):
                        examples.append((re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line.strip()[2:]), block["intent"]))
    return examples


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from painfaq.nlu.safety_classifier import SafetyNetClassifier

    storage = LocalModelStorage(tmp_path_factory.mktemp("safety_storage"))
    resource = Resource("safety")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**SafetyNetClassifier.get_default_config(), "crisis_threshold": 0.6, "red_flag_threshold": 0.7}
    component = SafetyNetClassifier.create(config, storage, resource, context)
    messages = [Message(data={"text": text, "intent": intent}) for text, intent in nlu_examples()]
    # One focused training example: the layer must learn from the whole text.
    messages[0].set(ORIGINAL_TEXT_KEY, "a long story " + messages[0].get("text"))
    component.train(TrainingData(messages))
    return SafetyNetClassifier.load(config, storage, resource, context)


def parsed(text: str, ranking: List[Tuple[str, float]]) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": ranking[0][0], "confidence": ranking[0][1]}, add_to_output=True)
    message.set("intent_ranking", [{"name": n, "confidence": c} for n, c in ranking], add_to_output=True)
    message.set("entities", [], add_to_output=True)
    return message


def test_labels_are_crisis_red_flag_or_other():
    assert [safety_model.label_for(i) for i in ("crisis", "red_flag", "faq_yoga", "out_of_scope")] == [
        "crisis",
        "red_flag",
        "other",
        "other",
    ]


def test_the_layer_is_persisted_and_loaded_with_the_model(trained: Any):
    assert trained._model is not None
    p = safety_model.probabilities(trained._model, "does yoga help with back pain from stress")
    assert set(p) == {"crisis", "red_flag", "other"} and abs(sum(p.values()) - 1.0) < 1e-6


def test_the_loaded_layer_scores_without_copying_its_coefficients(trained: Any):
    """Column-major coefficients: scipy multiplies by `coef_.T` in place instead of copying it per message."""
    import copy

    import numpy as np

    classifier = trained._model.named_steps["classifier"]
    assert classifier.coef_.T.flags["C_CONTIGUOUS"]
    row_major = copy.deepcopy(trained._model)
    row_major.named_steps["classifier"].coef_ = np.ascontiguousarray(classifier.coef_)
    text = "I can't go on like this, my back hurts and nothing helps"
    assert safety_model.probabilities(trained._model, text) == pytest.approx(
        safety_model.probabilities(row_major, text)
    )


def test_the_classifiers_crisis_guess_on_a_fragment_is_set_aside(trained: Any):
    message = parsed(
        "I don't want drugs and I don't want surgery for my back, so what's the point?",
        [("crisis", 0.8), ("faq_relief_overview", 0.15), ("out_of_scope", 0.05)],
    )
    trained.process([message])
    assert message.get("intent")["name"] == "faq_relief_overview"
    assert abs(message.get("intent")["confidence"] - 0.75) < 1e-9
    assert 0.0 <= message.get("safety_nlu")["crisis"] < 0.6


def test_crisis_language_anywhere_in_the_story_gets_the_crisis_reply(trained: Any):
    text = (
        "My back has hurt for ten years and work is a mess. Honestly I dont see the point of anything anymore and "
        "I think everyone would be better off if I just disappeared for good. Anyway does physio help?"
    )
    message = parsed(text, [("faq_physical_therapy", 0.9), ("out_of_scope", 0.1)])
    trained.process([message])
    assert message.get("intent") == {"name": "crisis", "confidence": 1.0}
    assert all(e["confidence"] == 0.0 for e in message.get("intent_ranking")[1:])


def test_rules_still_come_first(trained: Any):
    message = parsed("I fell down the stairs this morning and my back hurts, does yoga help?", [("faq_yoga", 0.9)])
    trained.process([message])
    assert message.get("intent")["name"] == "red_flag" and message.get("safety")["rule_id"]


def test_without_the_language_of_despair_the_layer_cannot_give_the_crisis_reply(trained: Any, monkeypatch):
    """`learned_crisis_cues` (content/safety.yml): an ordinary symptom question the n-grams score as crisis
    keeps its answer; the same score with words of despair or self-harm gives the crisis reply."""
    monkeypatch.setattr(
        safety_model, "probabilities", lambda model, text: {"crisis": 0.9, "red_flag": 0.0, "other": 0.1}
    )
    symptom = parsed(
        "I have been experiencing sharp pain in the mid point of my back, right next to my spine?",
        [("out_of_scope", 0.7), ("faq_signs", 0.3)],
    )
    trained.process([symptom])
    assert symptom.get("intent")["name"] == "out_of_scope"
    despair = parsed("my back hurts every day and honestly I feel like giving up", [("faq_relief_overview", 0.9)])
    trained.process([despair])
    assert despair.get("intent") == {"name": "crisis", "confidence": 1.0}


def test_every_crisis_training_example_carries_a_crisis_cue(trained: Any):
    """A crisis example the cue list does not cover could be learned but never acted on: extend the list."""
    crisis = [text for text, intent in nlu_examples() if intent == "crisis"]
    assert len(crisis) > 20
    assert [text for text in crisis if not trained.net.has_crisis_cue(text)] == []
    ordinary = ["does yoga help with back pain from stress", "I have a dull ache next to my spine, is it anxiety?"]
    assert not any(trained.net.has_crisis_cue(text) for text in ordinary)


def test_a_weak_cue_alone_does_not_let_the_layer_give_the_crisis_reply(trained: Any):
    """`learned_crisis_weak_cues`: "life" or "living" alone is in most stories; with a strong cue or a second
    weak word it counts."""
    net = trained.net
    assert not net.has_crisis_cue("Some positive things are happening for once in my life, athletics went well")
    assert not net.has_crisis_cue("I'm 22 and living in the UK, too scared to visit my home town")
    assert net.has_crisis_cue("my life feels hopeless since the pain started")
    assert net.has_crisis_cue("is this life even worth being alive for")
    # One family of words, twice, is still one weak cue.
    assert not net.has_crisis_cue("flying was a living hell; now I'm living a life free of that fear")
