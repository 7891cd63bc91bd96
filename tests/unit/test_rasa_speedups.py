"""The cached action-response validator accepts and rejects exactly what Rasa's own check does."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from painfaq.rasa_patches import action_validation as rasa_speedups

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


def test_apply_replaces_the_method():
    rasa_speedups.apply()
    assert RemoteAction._validate_action_result is rasa_speedups._validate_action_result
