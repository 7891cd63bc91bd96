"""painfaq.rasa_patches.tensorflow_stub: the Rasa launcher serves this project's model without TensorFlow, with exactly the
predictions Rasa makes with TensorFlow loaded, and keeps the real TensorFlow for models that need it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from painfaq.rasa_patches import tensorflow_stub
from tests.harness.stack import REPO_ROOT, child_env, current_model
from tests.production.test_speedups import holdout_texts

EXTRA_TEXTS = [
    "tell me more",
    "what's the source for that?",
    "hi",
    "🙂",
    "my legs went numb and I wet myself",
    "I want to end it all",
    "can i talk to a person",
]

# Runs in a fresh interpreter through the launcher's own set-up, then answers with the parses and whether
# the real TensorFlow got loaded.
LAUNCHER_PARSE = """
import asyncio, json, sys
from painfaq.serving import rasa_server as serve_rasa
from painfaq.rasa_patches import tensorflow_stub
serve_rasa._install(["--model", sys.argv[1]])
from rasa.core.agent import Agent
agent = Agent.load(sys.argv[1])
texts = json.loads(sys.stdin.read())
async def parse_all():
    return [await agent.parse_message(text) for text in texts]
parses = asyncio.run(parse_all())
print(json.dumps({
    "placeholders": tensorflow_stub.installed(),
    "tensorflow_loaded": tensorflow_stub.tensorflow_loaded(),
    "parses": [[p["intent"], p["intent_ranking"], p["entities"]] for p in parses],
}))
"""


def test_the_projects_model_needs_no_tensorflow():
    components = tensorflow_stub.prediction_components(tensorflow_stub.resolve_model(current_model()))
    assert any(name.endswith("LinearIntentClassifier") for name in components)
    assert not tensorflow_stub.needs_tensorflow(components), sorted(components)


def test_models_with_tensorflow_components_keep_tensorflow():
    assert tensorflow_stub.needs_tensorflow(["rasa.nlu.classifiers.diet_classifier.DIETClassifier"])
    assert tensorflow_stub.needs_tensorflow(
        ["rasa.core.policies.ted_policy.TEDPolicy", "rasa.core.policies.rule_policy.RulePolicy"]
    )
    # Unknown components are assumed to need it: the placeholders are only for what is known to be safe.
    assert tensorflow_stub.needs_tensorflow(["someone.else.Component"])
    assert not tensorflow_stub.needs_tensorflow(
        ["rasa.core.policies.rule_policy.RulePolicy", "painfaq.nlu.safety_classifier.SafetyNetClassifier"]
    )


def test_resolve_model_picks_the_file_or_the_newest_in_a_folder(tmp_path):
    older, newer = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    older.write_bytes(b"")
    newer.write_bytes(b"")
    import os

    os.utime(older, (1_000, 1_000))
    assert tensorflow_stub.resolve_model(str(tmp_path)) == newer
    assert tensorflow_stub.resolve_model(str(older)) == older
    assert tensorflow_stub.resolve_model(str(tmp_path / "missing")) is None
    assert tensorflow_stub.install_if_model_allows(str(tmp_path / "missing")) is False


def test_placeholders_let_tensorflow_style_code_import_but_not_run():
    code = """
import sys
from painfaq.rasa_patches import tensorflow_stub
tensorflow_stub.install()
import tensorflow as tf
from tensorflow.keras import layers
import tensorflow_addons as tfa
class Layer(tf.keras.layers.Layer):
    pass
@tf.function
def f(x):
    return x + 1
assert f(1) == 2, "a plain decorator must leave the function as it is"
assert tf.float32 is tf.float32
assert list(tf.config.list_physical_devices("GPU")) == []
try:
    import tensorflow.experimental.dlpack
    raise SystemExit("thinc's probe must fail")
except ImportError:
    pass
import spacy, thinc.compat
assert not thinc.compat.has_tensorflow
assert not tensorflow_stub.tensorflow_loaded()
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=child_env(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "ok"


def test_install_refuses_when_tensorflow_is_already_imported():
    code = "import tensorflow; from painfaq.rasa_patches import tensorflow_stub; tensorflow_stub.install()"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=child_env(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode != 0
    assert "already imported" in result.stderr


@pytest.mark.timeout(600)
def test_launcher_serves_without_tensorflow_and_predicts_exactly_as_with_it():
    from rasa.core.agent import Agent

    model = current_model()
    texts = holdout_texts(200) + EXTRA_TEXTS
    result = subprocess.run(
        [sys.executable, "-c", LAUNCHER_PARSE, model],
        input=json.dumps(texts),
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    served = json.loads(result.stdout.strip().splitlines()[-1])
    assert served["placeholders"] is True
    assert served["tensorflow_loaded"] is False

    # This test process holds the real TensorFlow (Rasa imports it): Rasa's own predictions.
    import tensorflow  # noqa: F401

    assert tensorflow_stub.tensorflow_loaded()
    agent = Agent.load(model)

    async def parse_all():
        return [await agent.parse_message(text) for text in texts]

    reference = [[p["intent"], p["intent_ranking"], p["entities"]] for p in asyncio.run(parse_all())]
    assert len(served["parses"]) == len(reference) == len(texts)
    for text, (intent, ranking, entities), (ref_intent, ref_ranking, ref_entities) in zip(
        texts, served["parses"], reference
    ):
        assert intent["name"] == ref_intent["name"], text
        assert intent["confidence"] == pytest.approx(ref_intent["confidence"], abs=1e-9), text
        assert [r["name"] for r in ranking] == [r["name"] for r in ref_ranking], text
        assert [r["confidence"] for r in ranking] == pytest.approx([r["confidence"] for r in ref_ranking], abs=1e-9)
        assert entities == json.loads(json.dumps(ref_entities)), text


@pytest.mark.parametrize(
    "argv, model",
    [
        (["run", "--model", "models/a.tar.gz", "--port", "5005"], "models/a.tar.gz"),
        (["run", "-m", "elsewhere"], "elsewhere"),
        (["run", "--model=models/b.tar.gz"], "models/b.tar.gz"),
        (["run", "--port", "5005"], "models"),  # rasa run's default
        (["run", "--model"], "models"),
    ],
)
def test_launcher_reads_the_model_argument_as_rasa_run_does(argv, model):
    from painfaq.serving.rasa_server import model_argument

    assert model_argument(argv) == model
