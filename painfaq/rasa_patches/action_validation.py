"""Performance fix for Rasa 3.6, applied by the Rasa launcher (painfaq.rasa_patches.apply_all).

Profiling `make bench` with py-spy showed ~40% of the Rasa server's time per turn in
`RemoteAction._validate_action_result`: it calls `jsonschema.validate`, which re-checks the (constant)
response schema against the JSON Schema meta-schema on every custom-action call. This builds the
validator once and validates each response with it: same schema, same errors, same exception type
and message as Rasa's own code. Tested by tests/unit/test_rasa_speedups.py.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, Text

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

from painfaq.rasa_patches.replacing import replace


@functools.lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    error = exceptions.best_match(_action_response_validator().iter_errors(result))
    if error is not None:
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def apply() -> None:
    replace(RemoteAction, "_validate_action_result", _validate_action_result)
