"""The safety net's learned layer: how likely a whole message is crisis language or a red-flag report.

The rules (painfaq/safety/rules.py) decide first. This model is the second, independent layer for what the
rules do not know how to read. It reads the WHOLE message, unlike the intent classifier, which reads only
the question of a long message (painfaq/nlu/focus.py): in a story, crisis language is usually in
the story ("I can't take any more... until I rot"), not in the closing question, and a closing fragment
read alone ("so what's the point?") looks like crisis when it is not.

Trained during `rasa train` on the project's NLU data: examples of the intents `crisis` and `red_flag`
against every other example.
"""

from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_union
from sklearn.preprocessing import FunctionTransformer, Normalizer

SAFETY_LABELS = ("crisis", "red_flag")
OTHER = "other"


def _log1p(matrix):
    return matrix.log1p()


def build(c: float = 30.0) -> Pipeline:
    """Word 1-2-grams and character 2-4-grams, damped and length-normalised like the intent classifier."""
    features = make_union(
        CountVectorizer(lowercase=True, ngram_range=(1, 2)),
        CountVectorizer(lowercase=True, analyzer="char_wb", ngram_range=(2, 4)),
    )
    return Pipeline(
        [
            ("features", features),
            ("damp", FunctionTransformer(_log1p, accept_sparse=True)),
            ("unit_length", Normalizer()),
            ("classifier", LogisticRegression(C=c, max_iter=5000, class_weight="balanced")),
        ]
    )


def label_for(intent: str) -> str:
    return intent if intent in SAFETY_LABELS else OTHER


def fit(texts: Sequence[str], intents: Sequence[str], c: float = 30.0) -> Pipeline:
    return build(c).fit(list(texts), [label_for(i) for i in intents])


def ready_to_serve(model: Pipeline) -> Pipeline:
    """The fitted classifier's coefficients in column-major order (no copy per message; see
    painfaq.nlu.intent_classifier.serving_layout)."""
    classifier = model.named_steps["classifier"]
    classifier.coef_ = np.asfortranarray(classifier.coef_)
    return model


def probabilities(model: Pipeline, text: str) -> Dict[str, float]:
    """{"crisis": p, "red_flag": p, "other": p} for one message."""
    row: List[float] = model.predict_proba([text])[0].tolist()
    return {str(label): float(p) for label, p in zip(model.classes_, row)}
