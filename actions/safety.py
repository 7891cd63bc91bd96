"""The safety reply: a red flag or crisis message gets urgent-care or crisis guidance, nothing else."""

from __future__ import annotations

from typing import List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import ContentAction, safety_finding_for, send_safety_reply
from painfaq.content.loader import Content
from painfaq.safety.rules import (
    finding_from_parse_data,
    load_default_safety_net,
)


class ActionSafetyReply(ContentAction):
    """Red-flag or crisis turn: only the safety reply, no article content, no suggestions."""

    def name(self) -> Text:
        return "action_safety_reply"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        safety_content = load_default_safety_net().content
        # The rule-based finding (more specific) wins; else the one the NLU model implied by its intent.
        finding = safety_finding_for(tracker) or finding_from_parse_data(tracker.latest_message, safety_content)
        if finding is None:
            finding = finding_from_parse_data({"intent": {"name": "red_flag"}}, safety_content)
        assert finding is not None, "the red_flag intent always has a finding"
        send_safety_reply(dispatcher, finding)
        return []
