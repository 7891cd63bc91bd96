"""'Was this helpful?': the rating under an answer, stored with the topic it rated."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import HANDOFF_BUTTON, LAST_TOPIC_SLOT, ContentAction, latest_intent
from painfaq.content.loader import Content
from painfaq.support.feedback import store_feedback

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedbackPrompt:
    topic: str
    timestamp: Optional[float]
    is_last_bot_message: bool


def latest_feedback_prompt(tracker: Tracker) -> Optional[FeedbackPrompt]:
    """The most recent "Was this helpful?" in this session, and whether nothing was said after it."""
    later_bot_message = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "session_started":
            return None
        if kind != "bot":
            continue
        custom = (event.get("data") or {}).get("custom")
        if isinstance(custom, dict) and custom.get("type") == "feedback_prompt" and custom.get("topic"):
            return FeedbackPrompt(str(custom["topic"]), event.get("timestamp"), not later_bot_message)
        later_bot_message = True
    return None


class ActionFeedback(ContentAction):
    """Buttons (/feedback_helpful, /feedback_not_helpful), words ("that helped", "not helpful"), or a plain
    yes / no right after an answer. Stored with the topic of the rated answer."""

    def name(self) -> Text:
        return "action_feedback"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        intent = latest_intent(tracker)
        prompt = latest_feedback_prompt(tracker)
        if intent in ("affirm", "deny") and (prompt is None or not prompt.is_last_bot_message):
            # A yes / no that does not answer "Was this helpful?": the ordinary acknowledgement.
            dispatcher.utter_message(response="utter_affirm_ack" if intent == "affirm" else "utter_deny_ack")
            return []
        helpful = intent in ("feedback_helpful", "affirm")
        topic = prompt.topic if prompt else tracker.get_slot(LAST_TOPIC_SLOT)
        if topic:
            try:
                store_feedback(tracker.sender_id, topic, helpful, prompt_at=prompt.timestamp if prompt else None)
            except Exception as error:  # feedback is nice to have; the reply must still come
                logger.error("feedback could not be stored (sender %s): %s", tracker.sender_id, type(error).__name__)
        if helpful:
            dispatcher.utter_message(
                text=content.messages["feedback_thanks_helpful"], json_message={"type": "feedback_thanks"}
            )
        else:
            dispatcher.utter_message(
                text=content.messages["feedback_thanks_not_helpful"],
                buttons=[HANDOFF_BUTTON],
                json_message={"type": "feedback_thanks"},
            )
        return []
