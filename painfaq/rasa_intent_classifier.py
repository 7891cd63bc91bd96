"""Intent classifier: logistic regression on the pipeline's sparse features (no TensorFlow).

Rasa's own `LogisticRegressionClassifier` with two changes, both chosen on the NLU holdout
(`scripts/eval_nlu.py`; numbers in the README, "NLU model"):

* the count features are damped (``log1p``) and each message's vector is scaled to unit length, so a
  long message does not get more confident just by having more n-grams;
* the regularisation strength ``C`` is configurable (Rasa's is fixed at 1.0, which underfits the
  ~13,000 word and character n-gram features: top-1 93.1% at C=1, 94.1% at C=300).

It replaced DIET: on the holdout it answers as many questions right with fewer wrong answers, and a
model without any TensorFlow component lets the Rasa server run without importing TensorFlow
(painfaq/tensorflow_stub.py): ~400 MB less memory per Rasa process and a faster start.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(LogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 300.0, "max_iter": 5000}

    def __init__(
        self,
        config: Dict[Text, Any],
        name: Text,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf = LogisticRegression(
            C=float(self.config["C"]),
            solver=self.config["solver"],
            max_iter=self.config["max_iter"],
            tol=self.config["tol"],
            random_state=self.config["random_state"],
            class_weight="balanced",
        )

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LinearIntentClassifier":
        return cls(config, execution_context.node_name, model_storage, resource)

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        features = super()._create_X(messages).tocsr()
        return normalize(features.log1p())

    def process(self, messages: List[Message]) -> List[Message]:
        # A message without features (empty text) gets no intent, as DIET gives it, instead of an error.
        with_features = [m for m in messages if m.get_sparse_features(TEXT)[1] is not None]
        for message in messages:
            if message.get_sparse_features(TEXT)[1] is None:
                message.set(INTENT, {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        if with_features:
            super().process(with_features)
        return messages
