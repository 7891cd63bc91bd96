"""Custom actions. They stay thin: pick the content, let painfaq.compose build the reply, send it.

Every action that can say something about health runs the safety net on the user's text first,
so a red flag that slipped past the NLU model still gets urgent-care guidance instead of an answer.
"""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from painfaq.compose import ComposedAnswer, compose_answer, compose_sources_for, suggestion_buttons
from painfaq.content import Content, Topic, load_content
from painfaq.safety import SafetyFinding, finding_from_parse_data, load_default_safety_net, safety_reply

logger = logging.getLogger(__name__)

LAST_TOPIC_SLOT = "last_topic"
MORE_SHOWN_SLOT = "more_shown"
TOPIC_ENTITIES = ("remedy", "mechanism")
HANDOFF_BUTTON = {"title": "Talk to a person", "payload": "/request_human"}


def send_answer(dispatcher: CollectingDispatcher, answer: ComposedAnswer) -> None:
    dispatcher.utter_message(text=answer.text, buttons=answer.buttons, json_message=answer.payload)


def safety_finding_for(tracker: Tracker) -> Optional[SafetyFinding]:
    text = tracker.latest_message.get("text") or ""
    return load_default_safety_net().check(text)


def send_safety_reply(dispatcher: CollectingDispatcher, finding: SafetyFinding) -> None:
    text, payload = safety_reply(finding, load_default_safety_net().content)
    dispatcher.utter_message(text=text, json_message=payload)


def answer_topic(dispatcher: CollectingDispatcher, tracker: Tracker, content: Content, topic: Topic) -> List[EventType]:
    """The single entry to a health answer: safety first, then the composed passage."""
    finding = safety_finding_for(tracker)
    if finding is not None:
        send_safety_reply(dispatcher, finding)
        return []
    send_answer(dispatcher, compose_answer(content, topic))
    return [SlotSet(LAST_TOPIC_SLOT, topic.id), SlotSet(MORE_SHOWN_SLOT, False)]


def topic_from_entities(tracker: Tracker, content: Content) -> Optional[Topic]:
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") in TOPIC_ENTITIES and entity.get("value") in content.topics:
            return content.topics[entity["value"]]
    return None


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
        except Exception:  # noqa: BLE001 - the user must get a reply whatever failed
            logger.exception("action %s failed (sender %s)", self.name(), tracker.sender_id)
            dispatcher.utter_message(text=content.messages["action_error"], buttons=[HANDOFF_BUTTON])
            return []


class ActionAnswerFaq(ContentAction):
    def name(self) -> Text:
        return "action_answer_faq"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        topic = content.topic_for_intent(intent)
        if topic is None:
            return ActionOutOfScope().act(dispatcher, tracker, content)
        return answer_topic(dispatcher, tracker, content, topic)


class ActionTellMore(ContentAction):
    """"Tell me more" (optionally "... about yoga"): the rest of the last topic, then related topics."""

    def name(self) -> Text:
        return "action_tell_more"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        named_topic = topic_from_entities(tracker, content)
        last_topic = content.topics.get(tracker.get_slot(LAST_TOPIC_SLOT) or "")
        if named_topic is not None and named_topic != last_topic:
            return answer_topic(dispatcher, tracker, content, named_topic)
        if last_topic is None:
            dispatcher.utter_message(text=content.messages["no_previous_topic"], buttons=example_buttons(content))
            return []
        finding = safety_finding_for(tracker)
        if finding is not None:
            send_safety_reply(dispatcher, finding)
            return []
        if last_topic.more and not tracker.get_slot(MORE_SHOWN_SLOT):
            send_answer(dispatcher, compose_answer(content, last_topic, sentences=last_topic.more))
            return [SlotSet(MORE_SHOWN_SLOT, True)]
        dispatcher.utter_message(
            text=content.messages["no_more"], buttons=suggestion_buttons(content, last_topic.suggestions)
        )
        return []


class ActionSourcesForLast(ContentAction):
    def name(self) -> Text:
        return "action_sources_for_last"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        last_topic = content.topics.get(tracker.get_slot(LAST_TOPIC_SLOT) or "")
        if last_topic is None:
            return answer_topic(dispatcher, tracker, content, content.topics["sources"])
        send_answer(dispatcher, compose_sources_for(content, last_topic))
        return []


class ActionOutOfScope(ContentAction):
    def name(self) -> Text:
        return "action_out_of_scope"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        finding = safety_finding_for(tracker)
        if finding is not None:
            send_safety_reply(dispatcher, finding)
            return []
        dispatcher.utter_message(
            text=content.messages["out_of_scope"],
            buttons=example_buttons(content) + [HANDOFF_BUTTON],
            json_message={"type": "out_of_scope"},
        )
        return []


class ActionDidYouMean(ContentAction):
    """NLU was unsure: offer the two most likely article topics instead of guessing."""

    def name(self) -> Text:
        return "action_did_you_mean"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        finding = safety_finding_for(tracker)
        if finding is not None:
            send_safety_reply(dispatcher, finding)
            return []
        ranking = tracker.latest_message.get("intent_ranking") or []
        candidates: List[Topic] = []
        named_topic = topic_from_entities(tracker, content)
        if named_topic is not None:
            candidates.append(named_topic)
        for entry in ranking:
            topic = content.topic_for_intent(entry.get("name"))
            if topic is not None and topic not in candidates:
                candidates.append(topic)
        candidates = candidates[:2]
        top_intent = next((e.get("name") for e in ranking if e.get("name") != "nlu_fallback"), None)
        # When the model leans to "out of scope", offering article topics would be a guess.
        if not candidates or top_intent == "out_of_scope":
            return ActionOutOfScope().act(dispatcher, tracker, content)
        buttons = suggestion_buttons(content, [t.id for t in candidates])
        buttons.append({"title": content.messages["did_you_mean_none"], "payload": "/out_of_scope"})
        dispatcher.utter_message(
            text=content.messages["did_you_mean"], buttons=buttons, json_message={"type": "did_you_mean"}
        )
        return []


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
        send_safety_reply(dispatcher, finding)
        return []


class ActionHumanHandoff(ContentAction):
    def name(self) -> Text:
        return "action_human_handoff"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        dispatcher.utter_message(
            text=content.messages["human_handoff"].format(support_email=content.support_email),
            json_message={"type": "handoff"},
        )
        return []


class ActionBadInput(ContentAction):
    def name(self) -> Text:
        return "action_bad_input"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        dispatcher.utter_message(text=content.messages["bad_input"], buttons=example_buttons(content))
        return []
