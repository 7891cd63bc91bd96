"""CloseTopics: a tie between two close topics is answered; every other tie or unsure guess still gets "did you mean"."""

from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import yaml
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY

from painfaq.content.loader import load_content
from painfaq.nlu.close_topics import DEFAULT_PAIRS, CloseTopics
from tests.harness.nlu_messages import parsed

CONFIG = Path(__file__).resolve().parents[2] / "config.yml"


def _pipeline() -> List[dict]:
    return yaml.safe_load(CONFIG.read_text())["pipeline"]


def _fallback() -> FallbackClassifier:
    step = next(s for s in _pipeline() if s["name"] == "FallbackClassifier")
    config = {**FallbackClassifier.get_default_config(), **{k: v for k, v in step.items() if k != "name"}}
    return FallbackClassifier(config)


def _intent_after_both(ranking: List[Tuple[str, float]]) -> str:
    message = parsed("what do you do to relax your anxiety-induced muscle tension?", ranking)
    CloseTopics().process([message])
    _fallback().process([message])
    return message.get(INTENT)["name"]


def test_a_tie_between_close_topics_is_answered_with_the_better_one() -> None:
    message = parsed("x", [("faq_relief_overview", 0.47), ("faq_muscle_tension", 0.46), ("faq_yoga", 0.05)])
    CloseTopics().process([message])
    assert message.get(INTENT)["name"] == "faq_relief_overview"
    assert abs(message.get(INTENT)["confidence"] - 0.93) < 1e-9
    assert [e["name"] for e in message.get(INTENT_RANKING_KEY)] == ["faq_relief_overview", "faq_yoga"]
    # And FallbackClassifier, configured as in config.yml, no longer asks back.
    assert _intent_after_both([("faq_relief_overview", 0.47), ("faq_muscle_tension", 0.46)]) == "faq_relief_overview"


def test_every_other_unsure_reading_still_gets_did_you_mean() -> None:
    cases = [
        # Two topics that answer different questions: how long it lasts, or what helps.
        [("faq_how_long", 0.45), ("faq_yoga", 0.44)],
        # A close pair, but the best guess is under the threshold: unsure, not a tie.
        [("faq_relief_overview", 0.3), ("faq_muscle_tension", 0.29), ("out_of_scope", 0.2)],
        # "Out of scope" competing with a topic.
        [("faq_relief_overview", 0.45), ("out_of_scope", 0.44)],
    ]
    for ranking in cases:
        assert _intent_after_both(ranking) == "nlu_fallback", ranking


def test_a_clear_best_topic_is_left_exactly_as_it_was() -> None:
    message = parsed("x", [("faq_relief_overview", 0.6), ("faq_muscle_tension", 0.3)])
    CloseTopics().process([message])
    assert message.get(INTENT) == {"name": "faq_relief_overview", "confidence": 0.6}
    assert len(message.get(INTENT_RANKING_KEY)) == 2


def test_the_pairs_are_article_topics_and_the_step_runs_right_before_the_fallback_with_its_thresholds() -> None:
    topics = set(load_content().topics)
    for pair in DEFAULT_PAIRS:
        assert len(set(pair)) == 2 and set(pair) <= topics, pair
    names = [step["name"] for step in _pipeline()]
    assert names.index("painfaq.nlu.close_topics.CloseTopics") == names.index("FallbackClassifier") - 1
    fallback = next(s for s in _pipeline() if s["name"] == "FallbackClassifier")
    defaults = CloseTopics.get_default_config()
    assert defaults["min_confidence"] == fallback["threshold"]
    assert defaults["tie_margin"] == fallback["ambiguity_threshold"]
