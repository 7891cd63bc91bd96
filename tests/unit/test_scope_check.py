"""ScopeCheck: a whole-message second opinion on scope declines or answers only when it is clear."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from painfaq.nlu.scope_check import ScopeCheck, written_examples
from tests.harness.nlu_messages import parsed


class FixedScope(ScopeCheck):
    """The scope model's probability, fixed: the test is about what the component does with it."""

    def __init__(self, probability: float) -> None:
        super().__init__({})
        self._probability = probability

    def in_scope_probability(self, text: str) -> Optional[float]:
        return self._probability


def test_an_article_answer_is_declined_when_the_whole_message_is_clearly_out_of_scope() -> None:
    message = parsed(
        "Had an MRI of my lower back, what does L4 desiccation mean?",
        [("faq_warning_signs", 0.5), ("out_of_scope", 0.3), ("faq_relief_overview", 0.2)],
    )
    FixedScope(0.05).process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"
    assert abs(message.get(INTENT)["confidence"] - 1.0) < 1e-9
    assert message.get("scope") == {"in_scope": 0.05}
    # Unsure is not clear: the classifier's answer stays.
    kept = parsed("my back hurts when I'm stressed, what helps?", [("faq_relief_overview", 0.6), ("out_of_scope", 0.4)])
    FixedScope(0.3).process([kept])
    assert kept.get(INTENT)["name"] == "faq_relief_overview"


def test_a_decline_is_answered_only_when_clearly_in_scope_and_a_topic_holds_enough() -> None:
    ranking = [("out_of_scope", 0.5), ("faq_muscle_tension", 0.3), ("faq_signs", 0.2)]
    message = parsed("when im on edge my shoulders knot up and my upper back aches, why", ranking)
    FixedScope(0.9).process([message])
    assert message.get(INTENT)["name"] == "faq_muscle_tension"
    assert abs(message.get(INTENT)["confidence"] - 0.8) < 1e-9
    assert "out_of_scope" not in [e["name"] for e in message.get(INTENT_RANKING_KEY)]
    weak = parsed("same words", [("out_of_scope", 0.85), ("faq_muscle_tension", 0.1), ("faq_signs", 0.05)])
    FixedScope(0.9).process([weak])
    assert weak.get(INTENT)["name"] == "out_of_scope"
    unsure = parsed("same words", ranking)
    FixedScope(0.6).process([unsure])
    assert unsure.get(INTENT)["name"] == "out_of_scope"


def test_questions_about_the_assistant_replies_and_button_payloads_are_left_alone() -> None:
    for text, ranking in (
        ("where does this information come from?", [("faq_sources", 0.9), ("out_of_scope", 0.1)]),
        ("yes please", [("affirm", 0.9), ("faq_relief_overview", 0.1)]),
        ("/faq_yoga", [("faq_yoga", 1.0)]),
    ):
        message = parsed(text, ranking)
        FixedScope(0.0).process([message])
        assert message.get(INTENT)["name"] == ranking[0][0], text
        assert message.get("scope") is None, text


def test_the_model_learns_scope_from_topic_examples_and_the_written_ones(tmp_path: Path) -> None:
    examples = tmp_path / "written.yml"
    examples.write_text(
        "scope_examples:\n"
        "  in_scope:\n    - my back aches when work stresses me out, is that anxiety\n"
        "  out_of_scope:\n    - what does the radiologist mean by disc desiccation on my mri report\n",
        encoding="utf-8",
    )
    assert written_examples(examples)["out_of_scope"][0].startswith("what does the radiologist")
    assert written_examples(tmp_path / "missing.yml") == {"in_scope": [], "out_of_scope": []}
    training = TrainingData(
        training_examples=[
            Message(data={TEXT: text, INTENT: intent})
            for text, intent in (
                ("can anxiety cause back pain", "faq_can_anxiety_cause_back_pain"),
                ("does stress make my back hurt", "faq_can_anxiety_cause_back_pain"),
                ("how do I relax tight shoulders when I'm anxious", "faq_relief_overview"),
                ("which mattress is best for a bad back", "out_of_scope"),
                ("what dose of ibuprofen can I take", "out_of_scope"),
                ("is my knee pain arthritis", "out_of_scope"),
                ("where does this come from", "faq_sources"),
            )
        ]
    )
    component = ScopeCheck({"written_examples": str(examples)})
    component.train(training)
    in_scope = component.in_scope_probability("stress makes my back ache, is it anxiety?")
    out_of_scope = component.in_scope_probability("what does disc desiccation on my mri mean?")
    assert in_scope is not None and out_of_scope is not None
    assert in_scope > 0.5 > out_of_scope


def test_a_change_to_the_written_examples_retrains(tmp_path: Path) -> None:
    examples = tmp_path / "written.yml"
    examples.write_text("scope_examples:\n  in_scope:\n    - one\n", encoding="utf-8")
    before = ScopeCheck.fingerprint_addon({"written_examples": str(examples)})
    examples.write_text("scope_examples:\n  in_scope:\n    - two\n", encoding="utf-8")
    assert ScopeCheck.fingerprint_addon({"written_examples": str(examples)}) != before
