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
    ours = LinearIntentClassifier._create_X(None, messages)  # no instance state is used
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


def test_the_fitted_classifier_survives_persist_and_load_without_skops(tmp_path):
    import subprocess
    import sys

    import numpy as np
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from scipy.sparse import csr_matrix

    storage = LocalModelStorage(tmp_path)
    resource = Resource("linear")
    context = ExecutionContext(GraphSchema({}), node_name="linear")
    config = LinearIntentClassifier.get_default_config()
    trained = LinearIntentClassifier.create(config, storage, resource, context)
    rng = np.random.default_rng(0)
    features = rng.random((30, 8))
    labels = np.array(["faq_yoga", "faq_sleep", "out_of_scope"] * 10)
    trained.clf.fit(features, labels)
    trained.persist()

    loaded = LinearIntentClassifier.load(config, storage, resource, context)
    assert list(loaded.clf.classes_) == list(trained.clf.classes_)
    assert np.abs(loaded.clf.predict_proba(features) - trained.clf.predict_proba(features)).max() < 1e-12
    # Column-major once loaded, so scoring a sparse message does not copy the coefficient matrix.
    assert loaded.clf.coef_.T.flags["C_CONTIGUOUS"] and not trained.clf.coef_.T.flags["C_CONTIGUOUS"]
    sparse = csr_matrix(features)
    assert np.abs(loaded.clf.predict_proba(sparse) - trained.clf.predict_proba(sparse)).max() < 1e-12

    # Serving the project's model never imports skops (1.7 s of a Rasa process's start).
    probe = (
        "import asyncio, sys; from rasa.core.agent import load_agent; "
        f"agent = asyncio.run(load_agent(model_path={current_model()!r})); "
        "asyncio.run(agent.parse_message('does yoga help')); print('skops' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr[-2000:]
