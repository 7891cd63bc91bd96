"""painfaq.nlu.intent_classifier.LinearIntentClassifier: the feature matrix it builds in one step is the
one Rasa's own combination gives, and messages without features get no intent instead of an error."""

from __future__ import annotations

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from sklearn.preprocessing import normalize

from painfaq.nlu.intent_classifier import LinearIntentClassifier
from tests.harness.stack import current_model
from tests.production.test_speedups import holdout_texts


@pytest.fixture(scope="module")
def agent():
    return Agent.load(current_model())


def classifier_node(agent):
    schema = agent.processor.model_metadata.predict_schema
    name = next(n for n, node in schema.nodes.items() if node.uses is LinearIntentClassifier)
    return name, schema.nodes[name]


def featurized(agent, texts):
    """The messages as they reach the classifier: run the model's graph up to the node before it."""
    _, node = classifier_node(agent)
    before = next(iter(node.needs.values()))
    inputs = {"__message__": [UserMessage(text) for text in texts]}
    return agent.processor.graph_runner.run(inputs=inputs, targets=[before])[before]


def test_feature_matrix_equals_rasas_combination(agent):
    texts = holdout_texts(150) + ["hi", "what's the source for that?", "physio or yoga???"]
    messages = featurized(agent, texts)
    assert len(messages) == len(texts)
    ours = LinearIntentClassifier._create_X(None, messages)  # noqa: SLF001 - no instance state is used
    rasas = normalize(LogisticRegressionClassifier._create_X(None, messages).tocsr().log1p())
    assert ours.shape == rasas.shape
    assert ours.shape[1] > 1000
    assert abs(ours - rasas).max() < 1e-12
    # One message at a time (as served) gives the same rows.
    single = LinearIntentClassifier._create_X(None, messages[:1])
    assert abs(single - ours[0]).max() < 1e-12


def test_message_without_features_gets_no_intent(agent):
    name, _ = classifier_node(agent)
    component = agent.processor.graph_runner._instantiated_nodes[name]._component
    empty = Message(data={TEXT: ""})
    [real] = featurized(agent, ["does yoga help"])
    component.process([empty, real])
    assert empty.get("intent") == {"name": None, "confidence": 0.0}
    assert empty.get("intent_ranking") == []
    assert real.get("intent")["name"] == "faq_yoga"
    ranking = real.get("intent_ranking")
    assert ranking[0] == real.get("intent")
    assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)
