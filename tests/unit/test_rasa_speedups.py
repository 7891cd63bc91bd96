"""The cached action-response validator accepts and rejects exactly what Rasa's own check does."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from painfaq.rasa_patches import action_validation as rasa_speedups
from painfaq.rasa_patches.replacing import temporarily

VALID = {"events": [{"event": "slot", "name": "last_topic", "value": "yoga"}], "responses": [{"text": "hi"}]}
INVALID = [
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": "not a list", "responses": []},
    {"events": [], "responses": ["not an object"]},
]


def test_valid_response_passes():
    assert rasa_speedups._validate_action_result(None, VALID) is True


@pytest.mark.parametrize("response", INVALID)
def test_invalid_responses_fail_like_rasas_own_check(response):
    with pytest.raises(jsonschema.ValidationError) as ours:
        rasa_speedups._validate_action_result(None, response)
    with pytest.raises(jsonschema.ValidationError) as original:
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
    assert ours.value.message.startswith(original.value.message)
    assert "Failed to validate Action server response" in ours.value.message


def test_apply_replaces_the_method_and_undo_restores_rasas():
    rasas_own = RemoteAction._validate_action_result
    with temporarily(rasa_speedups.apply):
        assert RemoteAction._validate_action_result is rasa_speedups._validate_action_result
    assert RemoteAction._validate_action_result is rasas_own


def test_one_spacy_pipeline_serves_rasa_and_the_safety_net():
    """share_spacy_pipeline: a fresh Rasa process loads the project's pipeline once, and the safety net reads it."""
    import subprocess
    import sys

    from tests.harness.stack import REPO_ROOT, child_env, current_model

    probe = f"""
from painfaq.rasa_patches import apply_all
apply_all('rasa', model={current_model()!r}, action_timeout_seconds=lambda: 1)
import asyncio, spacy
loads = []
original = spacy.load
spacy.load = lambda *a, **k: loads.append(a[0]) or original(*a, **k)
from rasa.core.agent import load_agent
from painfaq.safety.rules import load_default_safety_net
from rasa.nlu.utils.spacy_utils import SpacyNLP
agent = asyncio.run(load_agent(model_path={current_model()!r}))
shared = load_default_safety_net().nlp is SpacyNLP.load_model('models/spacy/en_painfaq').model
intent = asyncio.run(agent.parse_message('I fell down the stairs today'))['intent']['name']
print("RESULT", len(loads), shared, intent)
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, env=child_env(), capture_output=True, text=True, timeout=300
    )
    results = [line for line in result.stdout.splitlines() if line.startswith("RESULT")]
    assert results == ["RESULT 1 True red_flag"], result.stdout[-2000:] + result.stderr[-2000:]
