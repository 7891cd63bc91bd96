"""What every action shares: the content-action base, the safety reply first, answers, the hand-off offer."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from painfaq.content.compose import (
    ComposedAnswer,
    compose_feedback_prompt,
    suggestion_buttons,
)
from painfaq.content.loader import Content, load_content
from painfaq.safety.rules import (
    SafetyFinding,
    load_default_safety_net,
    safety_reply,
    warning_note,
)

logger = logging.getLogger(__name__)


LAST_TOPIC_SLOT = "last_topic"


MORE_SHOWN_SLOT = "more_shown"


TOPIC_ENTITIES = ("remedy", "mechanism")


RELIEF_OVERVIEW = "relief_overview"


HANDOFF_BUTTON = {"title": "Talk to a person", "payload": "/request_human"}


OFFERED_SLOT = "handoff_offered"


# Bot reply kinds (the `type` of the custom payload) that mean "I could not answer that".
FAILED_REPLY_TYPES = {"out_of_scope", "did_you_mean"}


def send_answer(dispatcher: CollectingDispatcher, answer: ComposedAnswer, tracker: Optional[Tracker] = None) -> None:
    """Send a composed answer, the warning-sign note if the user's message (`tracker`) calls for one, then
    the "Was this helpful?" prompt for its topic (the one place it is added)."""
    dispatcher.utter_message(text=answer.text, buttons=answer.buttons, json_message=answer.payload)
    if tracker is not None:
        send_warning_note_if_suspected(dispatcher, tracker)
    prompt = compose_feedback_prompt(load_content(), answer.payload["topic"])
    dispatcher.utter_message(text=prompt.text, buttons=prompt.buttons, json_message=prompt.payload)


def latest_intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def bot_reply_type(event: Dict[str, Any]) -> Optional[str]:
    custom = (event.get("data") or {}).get("custom")
    return custom.get("type") if isinstance(custom, dict) else None


def previous_turn_bot_events(tracker: Tracker) -> List[Dict[str, Any]]:
    """The bot messages that answered the user's previous message (not the current one), in order."""
    users_seen = 0
    events: List[Dict[str, Any]] = []
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "session_started":
            break
        if kind == "user":
            users_seen += 1
            if users_seen == 2:
                break
        elif kind == "bot" and users_seen == 1:
            events.append(event)
    return events[::-1]


def previous_turn_reply_types(tracker: Tracker) -> List[str]:
    """Kinds of the bot messages that answered the user's previous message (not the current one)."""
    return [t for t in (bot_reply_type(e) for e in previous_turn_bot_events(tracker)) if t]


def should_offer_handoff(tracker: Tracker) -> bool:
    """The previous question failed too (out of scope / did you mean) and no offer was made then."""
    types = previous_turn_reply_types(tracker)
    return bool(FAILED_REPLY_TYPES.intersection(types)) and "handoff_offer" not in types


def send_handoff_offer(dispatcher: CollectingDispatcher, content: Content) -> None:
    dispatcher.utter_message(
        text=content.messages["handoff_offer"],
        buttons=[
            {"title": content.messages["handoff_offer_yes"], "payload": "/request_human"},
            {"title": content.messages["handoff_offer_no"], "payload": "/deny"},
        ],
        json_message={"type": "handoff_offer"},
    )


def safety_finding_for(tracker: Tracker) -> Optional[SafetyFinding]:
    text = tracker.latest_message.get("text") or ""
    return load_default_safety_net().check(text)


def send_safety_reply(dispatcher: CollectingDispatcher, finding: SafetyFinding) -> None:
    text, payload = safety_reply(finding, load_default_safety_net().content)
    dispatcher.utter_message(text=text, json_message=payload)


def replied_with_safety(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Safety first: if the user's text holds a red flag or crisis language, send only that reply."""
    finding = safety_finding_for(tracker)
    if finding is None:
        return False
    send_safety_reply(dispatcher, finding)
    return True


def send_warning_note_if_suspected(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Only the NLU model suspected a red flag (painfaq.nlu.safety_classifier): the reply stays what the person
    asked for, and the warning signs follow it in case one applies."""
    if tracker.latest_message.get("safety_suspected"):
        text, payload = warning_note(load_default_safety_net().content)
        dispatcher.utter_message(text=text, json_message=payload)


def example_buttons(content: Content) -> List[Dict[str, str]]:
    return suggestion_buttons(content, content.example_topics)


class ContentAction(Action, ABC):
    """Base class: loads content once and turns any exception into a polite reply, never silence."""

    @abstractmethod
    def name(self) -> Text:
        """The action's name in the domain."""

    @abstractmethod
    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        """Send the reply; return the events to apply."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        content = load_content()
        try:
            return self.act(dispatcher, tracker, content)
        except Exception:  # the user must get a reply whatever failed
            logger.exception("action %s failed (sender %s)", self.name(), tracker.sender_id)
            dispatcher.utter_message(text=content.messages["action_error"], buttons=[HANDOFF_BUTTON])
            return []
