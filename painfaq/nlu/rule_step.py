"""The shared construction of the project's rule steps in the NLU pipeline (QuestionFocus, RestoreText,
PremiseGate, ScopeRescue, RemedyRequest, InputGuard): nothing is trained, the step's config is merged over its defaults, and
Rasa builds it the same way to train and to serve."""

from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


class RuleStep(GraphComponent):
    """A step with no model: subclasses give `get_default_config` and `process`."""

    def __init__(self, config: Optional[Dict[Text, Any]] = None) -> None:
        self.component_config = {**self.get_default_config(), **(config or {})}

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RuleStep":
        return cls(config)
