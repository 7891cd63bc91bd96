"""Intent classifier: logistic regression on the pipeline's sparse features (no TensorFlow).

Rasa's own `LogisticRegressionClassifier` with two changes, both chosen on the NLU holdout
(`scripts/eval_nlu.py`; numbers in docs/nlu.md and results/nlu.json):

* the count features are damped (``log1p``) and each message's vector is scaled to unit length, so a
  long message does not get more confident just by having more n-grams;
* the regularisation strength ``C`` is configurable (Rasa's is fixed at 1.0, which underfits the
  ~13,000 word and character n-gram features: top-1 93.1% at C=1, 94.1% at C=300).

It replaced DIET: on the holdout it answers as many questions right with fewer wrong answers, and a
model without any TensorFlow component lets the Rasa server run without importing TensorFlow
(painfaq/rasa_patches/tensorflow_stub.py): ~400 MB less memory per Rasa process and a faster start.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import coo_matrix, csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

CLASSIFIER_FILE = "linear_intent_classifier.npz"


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

    # Rasa persists the classifier with skops, whose import alone (it lists every scikit-learn estimator) took
    # 1.7 s of the 5.6 s a Rasa process needs to start: that is time without answers after a restart. The
    # fitted state of a logistic regression is three arrays, kept here in one .npz file.
    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as model_dir:
            np.savez(
                model_dir / CLASSIFIER_FILE,
                coef=self.clf.coef_,
                intercept=self.clf.intercept_,
                classes=np.asarray(self.clf.classes_, dtype=str),
                n_iter=np.asarray(self.clf.n_iter_),
            )

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LinearIntentClassifier":
        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                if not (model_dir / CLASSIFIER_FILE).exists():
                    # A model trained before this format: Rasa's own (skops) loader.
                    return super().load(config, model_storage, resource, execution_context, **kwargs)
                with np.load(model_dir / CLASSIFIER_FILE, allow_pickle=False) as fitted:
                    component.clf.coef_ = serving_layout(fitted["coef"])
                    component.clf.intercept_ = fitted["intercept"]
                    component.clf.classes_ = fitted["classes"]
                    component.clf.n_iter_ = fitted["n_iter"]
                    component.clf.n_features_in_ = int(fitted["coef"].shape[1])
        except (ValueError, FileNotFoundError):
            # Not trained yet (Rasa loads components before the first training, too).
            return component
        return component

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        # The features Rasa's classifier uses (each featurizer's sentence-level row: sparse ones, then dense
        # ones, in the message's order), concatenated in one step. Rasa's own way (get_sparse_features)
        # also deep-copies and concatenates the per-token features it then throws away: it was 8 % of a
        # Rasa worker's CPU per turn. Same matrix (tests/unit/test_intent_classifier.py).
        rows, columns, values = [], [], []
        width = None
        for row, message in enumerate(messages):
            offset = 0
            for matrix in _sentence_feature_matrices(message):
                block = coo_matrix(matrix)
                rows.append(np.full(block.nnz, row, dtype=np.int64))
                columns.append(block.col.astype(np.int64) + offset)
                values.append(block.data.astype(np.float64))
                offset += block.shape[1]
            if width is not None and offset != width:
                raise ValueError(f"messages with different feature widths: {width} != {offset}")
            width = offset
        shape = (len(messages), width or 0)
        if not rows:
            features = csr_matrix(shape, dtype=np.float64)
        else:
            features = csr_matrix(
                (np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))), shape=shape
            )
        return normalize(features.log1p())

    def process(self, messages: List[Message]) -> List[Message]:
        # A message without features (empty text) gets no intent, as DIET gives it, instead of an error.
        with_features = []
        for message in messages:
            if _has_sentence_features(message):
                with_features.append(message)
            else:
                message.set(INTENT, {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        if with_features:
            super().process(with_features)
        return messages


def serving_layout(coef: np.ndarray) -> np.ndarray:
    """The coefficients in column-major order, the same numbers.

    scikit-learn scores a sparse message as ``X @ coef_.T``; scipy needs that right-hand side C-contiguous and
    otherwise copies all of it (classes x n-gram features, about 7 MB here) on every call. Stored column-major,
    ``coef_.T`` is C-contiguous and nothing is copied: an NLU parse of a short question went from 8.0 to 3.3 ms
    with the safety layer's classifier stored the same way (docs/benchmarks.md)."""
    return np.asfortranarray(coef)


def _has_sentence_features(message: Message) -> bool:
    return any(f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE for f in message.features)


def _sentence_feature_matrices(message: Message) -> List[Any]:
    sentence = [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
    return [f.features for f in sentence if f.is_sparse()] + [f.features for f in sentence if f.is_dense()]
