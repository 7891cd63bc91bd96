"""Rasa NLU component: a second opinion, read on the whole message, on whether it is about what the article answers.

    pipeline:
      ...
      - name: painfaq.nlu.remedy_request.RemedyRequest
      - name: painfaq.nlu.scope_check.ScopeCheck        # after the rule steps, before the input guard and safety net

The intent classifier reads only the question of a long message (painfaq.nlu.focus), and its "out of scope" is one
class among thirty. A real story that ends "what should I do?" is about a disc, a scan or a period as often as about
stress and the back, and the question alone does not say which. `ScopeCheck` is a small binary model (word and
character n-grams, logistic regression) trained on whole messages: the article's topic examples against the
out-of-scope ones in data/nlu, plus written examples that only it reads (data/scope/written_examples.yml; added to the
intent classifier they moved it along its answer/decline trade-off, not past it). Its probability decides two cases:
- an article topic on top, and the whole message is in scope below `decline_below`: declined (out of scope);
- out of scope on top, the message is in scope at `answer_above` or more, and the best article topic holds
  `min_topic_confidence`: that topic is answered.
Thresholds chosen on the dev set of real messages (docs/real-users-history.md, fifteenth round).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Text

import joblib
import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.pipeline import Pipeline

from painfaq.nlu.question_focus import ORIGINAL_TEXT_KEY
from painfaq.nlu.rule_step import confidence
from painfaq.safety import learned

logger = logging.getLogger(__name__)

OUT_OF_SCOPE = "out_of_scope"
TOPIC_PREFIX = "faq_"
# Questions about the assistant and the program, not about the article's subject: never judged by scope.
NOT_ARTICLE_TOPICS = ("faq_sources", "faq_experts", "faq_medical_advice", "faq_hinge_health_program")
MODEL_FILE = "scope_check.joblib"
SCOPE_KEY = "scope"
WRITTEN_EXAMPLES = Path("data/scope/written_examples.yml")


def is_article_topic(intent: Optional[str]) -> bool:
    return bool(intent) and str(intent).startswith(TOPIC_PREFIX) and intent not in NOT_ARTICLE_TOPICS


def written_examples(path: Path) -> Dict[str, List[str]]:
    """{"in_scope": [...], "out_of_scope": [...]} from the written examples file (empty when it is missing)."""
    if not path.is_file():
        return {"in_scope": [], "out_of_scope": []}
    examples = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("scope_examples") or {}
    return {key: [str(t) for t in examples.get(key) or []] for key in ("in_scope", "out_of_scope")}


def fit(texts: Sequence[str], in_scope: Sequence[bool], c: float) -> Pipeline:
    """The safety layer's n-gram model (painfaq/safety/learned.py), fitted to in scope (1) against out of scope (0)."""
    return learned.build(c).fit(list(texts), [int(flag) for flag in in_scope])


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class ScopeCheck(GraphComponent):
    """Declines an article answer, or answers instead of declining, when the whole message clearly says so."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "decline_below": 0.1,
            "answer_above": 0.75,
            "min_topic_confidence": 0.2,
            "C": 10.0,
            "written_examples": str(WRITTEN_EXAMPLES),
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """Rasa caches a trained component by its config and training data only: a change to the written examples
        (which Rasa does not read) or to the model's code (a stored model refers to it) must retrain it."""
        digest = hashlib.sha256()
        for source in (
            Path(__file__),
            Path(learned.__file__),
            Path(config.get("written_examples") or WRITTEN_EXAMPLES),
        ):
            if source.is_file():
                digest.update(source.read_bytes())
        return digest.hexdigest()

    def __init__(
        self,
        config: Dict[Text, Any],
        model: Optional[Pipeline] = None,
        model_storage: Optional[ModelStorage] = None,
        resource: Optional[Resource] = None,
    ) -> None:
        self.component_config = {**self.get_default_config(), **config}
        self._model = model
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ScopeCheck":
        return cls(config, model_storage=model_storage, resource=resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit on whole messages: the article's topic examples and the written in-scope ones against out of scope."""
        texts: List[str] = []
        labels: List[bool] = []
        for example in training_data.intent_examples:
            intent = example.get(INTENT)
            if is_article_topic(intent) or intent == OUT_OF_SCOPE:
                texts.append(example.get(ORIGINAL_TEXT_KEY) or example.get(TEXT))
                labels.append(intent != OUT_OF_SCOPE)
        written = written_examples(Path(self.component_config["written_examples"]))
        for key, flag in (("in_scope", True), ("out_of_scope", False)):
            texts += written[key]
            labels += [flag] * len(written[key])
        self._model = fit(texts, labels, float(self.component_config["C"]))
        if self._model_storage is not None and self._resource is not None:
            with self._model_storage.write_to(self._resource) as directory:
                joblib.dump(self._model, directory / MODEL_FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "ScopeCheck":
        component = cls.create(config, model_storage, resource, execution_context)
        try:
            with model_storage.read_from(resource) as directory:
                component._model = joblib.load(directory / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("ScopeCheck: no scope model in this model archive; the intent classifier decides alone")
        return component

    def in_scope_probability(self, text: str) -> Optional[float]:
        if self._model is None:
            return None
        row = self._model.predict_proba([text])[0]
        return float(row[list(self._model.classes_).index(1)])

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not text.strip() or text.startswith("/"):
                continue
            ranking = [dict(e) for e in message.get(INTENT_RANKING_KEY) or []]
            if not ranking:
                continue
            top = ranking[0].get(INTENT_NAME_KEY)
            if not (is_article_topic(top) or top == OUT_OF_SCOPE):
                continue
            probability = self.in_scope_probability(text)
            if probability is None:
                continue
            message.set(SCOPE_KEY, {"in_scope": round(probability, 4)}, add_to_output=True)
            if is_article_topic(top) and probability < float(self.component_config["decline_below"]):
                self._decline(message, ranking)
            elif top == OUT_OF_SCOPE and probability >= float(self.component_config["answer_above"]):
                self._answer(message, ranking)
        return messages

    @staticmethod
    def _decline(message: Message, ranking: List[Dict[Text, Any]]) -> None:
        """The article topics' probability goes to out of scope."""
        moved = sum(confidence(e) for e in ranking if is_article_topic(e.get(INTENT_NAME_KEY)))
        kept = [
            {**e, PREDICTED_CONFIDENCE_KEY: 0.0} if is_article_topic(e.get(INTENT_NAME_KEY)) else e
            for e in ranking
            if e.get(INTENT_NAME_KEY) != OUT_OF_SCOPE
        ]
        declined = sum(confidence(e) for e in ranking if e.get(INTENT_NAME_KEY) == OUT_OF_SCOPE)
        _set(message, [{INTENT_NAME_KEY: OUT_OF_SCOPE, PREDICTED_CONFIDENCE_KEY: moved + declined}] + kept)

    def _answer(self, message: Message, ranking: List[Dict[Text, Any]]) -> None:
        """The best article topic takes the out-of-scope probability, if it holds enough of its own."""
        topics = [e for e in ranking[1:] if is_article_topic(e.get(INTENT_NAME_KEY))]
        if not topics or confidence(topics[0]) < float(self.component_config["min_topic_confidence"]):
            return
        best = topics[0]
        best[PREDICTED_CONFIDENCE_KEY] = confidence(best) + confidence(ranking[0])
        _set(message, [e for e in ranking if e.get(INTENT_NAME_KEY) != OUT_OF_SCOPE])


def _set(message: Message, ranking: List[Dict[Text, Any]]) -> None:
    ranking = sorted(ranking, key=lambda e: -confidence(e))
    message.set(INTENT, dict(ranking[0]), add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
