"""Custom actions. They stay thin: pick the content, let painfaq.content.compose build the reply, send it.

Every action that can say something about health runs the safety net on the user's text first,
so a red flag that slipped past the NLU model still gets urgent-care guidance instead of an answer.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from painfaq.content.compose import (
    ComposedAnswer,
    compose_answer,
    compose_feedback_prompt,
    compose_sources_for,
    suggestion_buttons,
)
from painfaq.content.loader import Content, Topic, load_content
from painfaq.safety.rules import (
    SafetyFinding,
    finding_from_parse_data,
    load_default_safety_net,
    safety_reply,
    warning_note,
)
from painfaq.stores.db import find_email
from painfaq.support import handoff
from painfaq.support.feedback import store_feedback

logger = logging.getLogger(__name__)

LAST_TOPIC_SLOT = "last_topic"
MORE_SHOWN_SLOT = "more_shown"
TOPIC_ENTITIES = ("remedy", "mechanism")
RELIEF_OVERVIEW = "relief_overview"
HANDOFF_BUTTON = {"title": "Talk to a person", "payload": "/request_human"}

HANDOFF_FORM = "handoff_form"
QUESTION_SLOT = "handoff_question"
EMAIL_SLOT = "handoff_email"
OFFERED_SLOT = "handoff_offered"
EMAIL_DECLINED = "none"  # slot value for "the user chose not to give an email address"
# Bot reply kinds (the `type` of the custom payload) that mean "I could not answer that".
FAILED_REPLY_TYPES = {"out_of_scope", "did_you_mean"}
# "no", "skip", "I'd rather not", ...: the user declines to give an email address.
# One "word" with address punctuation or digits: an attempt at an email address, not an answer.
ADDRESS_ATTEMPT = re.compile(r"^(?=\S*[@._+\-\d])\S+$")
DECLINE_EMAIL = re.compile(
    r"^(no|nope|nah|na|skip|pass|none|n/?a|no thanks?|no thank you|not now)\b"
    r"|rather not|prefer not|don'?t want|do not want|no e-?mail|without (an? )?e-?mail|not (giving|sharing|share|give)"
    r"|don'?t have (one|an? e-?mail)|^skip",
    re.IGNORECASE,
)


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


def offered_topics(tracker: Tracker, content: Content) -> List[Topic]:
    """The article topics the assistant just offered as buttons (suggestions or "did you mean"), in order."""
    offered: List[Topic] = []
    for event in previous_turn_bot_events(tracker):
        for button in (event.get("data") or {}).get("buttons") or []:
            topic = content.topic_for_intent(str(button.get("payload") or "").lstrip("/"))
            if topic is not None and topic not in offered:
                offered.append(topic)
    return offered


def topics_answered_this_session(tracker: Tracker) -> List[str]:
    topics: List[str] = []
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            break
        custom = (event.get("data") or {}).get("custom") if event.get("event") == "bot" else None
        if isinstance(custom, dict) and custom.get("type") == "answer" and custom.get("topic") not in topics:
            topics.append(str(custom.get("topic")))
    return topics


ORDINALS = {
    "first": 0,
    "1st": 0,
    "one": 0,
    "1": 0,
    "second": 1,
    "2nd": 1,
    "two": 1,
    "2": 1,
    "third": 2,
    "3rd": 2,
    "three": 2,
    "3": 2,
    "fourth": 3,
    "4th": 3,
    "four": 3,
    "4": 3,
    "fifth": 4,
    "5th": 4,
    "five": 4,
    "5": 4,
    "last": -1,
    "bottom": -1,
    "top": 0,
}
# "the second one", "number 2", "option 3", "the last": an ordinal word that is not "one" in "the X one".
POSITION = re.compile(
    r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last|bottom|top)\b"
    r"|\b(?:number|no\.?|option|#)\s*(one|two|three|four|five|[1-5])\b|^\W*([1-5])\W*$",
    re.IGNORECASE,
)


def position_in(text: str) -> Optional[int]:
    match = POSITION.search(text)
    if match is None:
        return None
    word = next(group for group in match.groups() if group)
    return ORDINALS[word.lower()]


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


def answer_topic(dispatcher: CollectingDispatcher, tracker: Tracker, content: Content, topic: Topic) -> List[EventType]:
    """The single entry to a health answer: safety first, then the composed passage."""
    if replied_with_safety(dispatcher, tracker):
        return []
    send_answer(dispatcher, compose_answer(content, topic), tracker)
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
    """ "Tell me more" (optionally "... about yoga"): the rest of the last topic, then related topics."""

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
        if replied_with_safety(dispatcher, tracker):
            return []
        if last_topic.more and not tracker.get_slot(MORE_SHOWN_SLOT):
            send_answer(dispatcher, compose_answer(content, last_topic, sentences=last_topic.more))
            return [SlotSet(MORE_SHOWN_SLOT, True)]
        dispatcher.utter_message(
            text=content.messages["no_more"], buttons=suggestion_buttons(content, last_topic.suggestions)
        )
        return []


class ActionPickOffered(ContentAction):
    """ "the second one", "the yoga one", "more on the breathing one": a topic the assistant just offered."""

    def name(self) -> Text:
        return "action_pick_offered"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        offered = offered_topics(tracker, content)
        choice = topic_from_entities(tracker, content)
        position = position_in(tracker.latest_message.get("text") or "")
        if choice is None and position is not None and offered and position < len(offered):
            choice = offered[position]
        if choice is not None:
            return answer_topic(dispatcher, tracker, content, choice)
        if replied_with_safety(dispatcher, tracker):
            return []
        if not offered:
            return ActionDidYouMean().act(dispatcher, tracker, content)
        dispatcher.utter_message(
            text=content.messages["which_one"],
            buttons=suggestion_buttons(content, [t.id for t in offered]),
            json_message={"type": "did_you_mean"},
        )
        return []


class ActionOtherOptions(ContentAction):
    """ "Any other options?": the remedies of the article not shown yet in this conversation."""

    def name(self) -> Text:
        return "action_other_options"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        overview = content.topics[RELIEF_OVERVIEW]
        remedies = list(overview.suggestions)
        shown = topics_answered_this_session(tracker)
        if not set(remedies).intersection(shown):
            return answer_topic(dispatcher, tracker, content, overview)
        if replied_with_safety(dispatcher, tracker):
            return []
        remaining = [r for r in remedies if r not in shown]
        if not remaining:
            dispatcher.utter_message(
                text=content.messages["no_other_options"], buttons=suggestion_buttons(content, remedies)
            )
            return []
        # The overview's bullets name its suggestions in the same order (tests/test_content.py checks it).
        bullets = [s for s in overview.passage if s.bullet]
        chosen = [bullets[remedies.index(r)] for r in remaining]
        answer = compose_answer(
            content, overview, sentences=chosen, lead=content.messages["other_options_lead"], suggestions=remaining
        )
        send_answer(dispatcher, answer, tracker)
        return [SlotSet(LAST_TOPIC_SLOT, overview.id), SlotSet(MORE_SHOWN_SLOT, False)]


class ActionSourcesForLast(ContentAction):
    def name(self) -> Text:
        return "action_sources_for_last"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        if not {"answer", "sources"}.intersection(
            previous_turn_reply_types(tracker)
        ) and FAILED_REPLY_TYPES.intersection(previous_turn_reply_types(tracker)):
            # "says who?" right after a "did you mean" or a decline: nothing was claimed, so no sources.
            offered = [t.id for t in offered_topics(tracker, content)]
            dispatcher.utter_message(
                text=content.messages["not_answered_yet"], buttons=suggestion_buttons(content, offered)
            )
            return []
        last_topic = content.topics.get(tracker.get_slot(LAST_TOPIC_SLOT) or "")
        if last_topic is None:
            return answer_topic(dispatcher, tracker, content, content.topics["sources"])
        send_answer(dispatcher, compose_sources_for(content, last_topic))
        return []


class ActionOutOfScope(ContentAction):
    def name(self) -> Text:
        return "action_out_of_scope"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        if replied_with_safety(dispatcher, tracker):
            return []
        offer = should_offer_handoff(tracker)
        dispatcher.utter_message(
            text=content.messages["out_of_scope"],
            buttons=example_buttons(content) + ([] if offer else [HANDOFF_BUTTON]),
            json_message={"type": "out_of_scope"},
        )
        return close_unanswered_turn(dispatcher, tracker, content, offer)


def close_unanswered_turn(
    dispatcher: CollectingDispatcher, tracker: Tracker, content: Content, offer: bool
) -> List[EventType]:
    """After a decline or a "did you mean": the warning-sign note if one is due, then the hand-off offer."""
    send_warning_note_if_suspected(dispatcher, tracker)
    if offer:
        send_handoff_offer(dispatcher, content)
    return [SlotSet(OFFERED_SLOT, offer)]


class ActionDidYouMean(ContentAction):
    """NLU was unsure: offer the two most likely article topics instead of guessing."""

    def name(self) -> Text:
        return "action_did_you_mean"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        if replied_with_safety(dispatcher, tracker):
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
        return close_unanswered_turn(dispatcher, tracker, content, should_offer_handoff(tracker))


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


class ActionBadInput(ContentAction):
    def name(self) -> Text:
        return "action_bad_input"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        dispatcher.utter_message(text=content.messages["bad_input"], buttons=example_buttons(content))
        return []


# ---------------------------------------------------------------- hand-off to a person (handoff_form)


def form_buttons(content: Content, skip: bool = False) -> List[Dict[str, str]]:
    buttons = [{"title": content.messages["handoff_skip_button"], "payload": "/deny"}] if skip else []
    return buttons + [{"title": content.messages["handoff_cancel_button"], "payload": "/cancel"}]


class ActionAskHandoffQuestion(ContentAction):
    def name(self) -> Text:
        return "action_ask_handoff_question"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        dispatcher.utter_message(
            text=content.messages["handoff_ask_question"],
            buttons=form_buttons(content),
            json_message={"type": "handoff_ask", "slot": QUESTION_SLOT},
        )
        return []


class ActionAskHandoffEmail(ContentAction):
    def name(self) -> Text:
        return "action_ask_handoff_email"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        dispatcher.utter_message(
            text=content.messages["handoff_ask_email"],
            buttons=form_buttons(content, skip=True),
            json_message={"type": "handoff_ask", "slot": EMAIL_SLOT},
        )
        return []


class ValidateHandoffForm(FormValidationAction):
    """The question must be words (not a button payload or "talk to a person" again); the email must look
    like one, unless the user declines. A red flag or crisis message gets the safety reply first."""

    def name(self) -> Text:
        return "validate_handoff_form"

    def validate_handoff_question(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        content = load_content()
        text = str(slot_value or "").strip()
        finding = safety_finding_for(tracker)
        if finding is not None:
            send_safety_reply(dispatcher, finding)
            return {QUESTION_SLOT: text[:2000] or None}
        intent = latest_intent(tracker)
        too_short = len(re.findall(r"\w", text)) < 3
        short_no = intent == "deny" and len(text.split()) <= 4
        if too_short or short_no or text.startswith("/") or intent == "request_human":
            dispatcher.utter_message(text=content.messages["handoff_question_invalid"], buttons=form_buttons(content))
            return {QUESTION_SLOT: None}
        return {QUESTION_SLOT: text[:2000]}

    def validate_handoff_email(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        content = load_content()
        text = str(slot_value or "").strip()
        finding = safety_finding_for(tracker)
        if finding is not None:
            # Safety first; then pass the request on without an email rather than ask again.
            send_safety_reply(dispatcher, finding)
            return {EMAIL_SLOT: EMAIL_DECLINED}
        email = find_email(text)
        if email:
            return {EMAIL_SLOT: email}
        if DECLINE_EMAIL.search(text.strip(" .!")):
            return {EMAIL_SLOT: EMAIL_DECLINED}
        # A mistyped address ("jane.doe(at)mail", "not-an-email") is asked again even if the classifier
        # read a "no" into it; a sentence the classifier reads as "no" declines.
        if latest_intent(tracker) == "deny" and not ADDRESS_ATTEMPT.match(text):
            return {EMAIL_SLOT: EMAIL_DECLINED}
        dispatcher.utter_message(
            text=content.messages["handoff_email_invalid"], buttons=form_buttons(content, skip=True)
        )
        return {EMAIL_SLOT: None}


def reset_handoff_slots() -> List[EventType]:
    return [SlotSet(QUESTION_SLOT, None), SlotSet(EMAIL_SLOT, None)]


class ActionSubmitHandoff(ContentAction):
    """Store the request with the transcript (and post it to the webhook), then say what happens next."""

    def name(self) -> Text:
        return "action_submit_handoff"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        question = str(tracker.get_slot(QUESTION_SLOT) or "").strip()
        email_slot = tracker.get_slot(EMAIL_SLOT)
        email = None if not email_slot or email_slot == EMAIL_DECLINED else str(email_slot)
        transcript = handoff.transcript_from_events(tracker.events)
        try:
            handoff.submit(tracker.sender_id, question, email, transcript)
        except Exception as error:  # noqa: BLE001 - log the kind only: the message could carry user data
            logger.error(
                "hand-off request could not be stored (sender %s): %s", tracker.sender_id, type(error).__name__
            )
            dispatcher.utter_message(
                text=content.messages["human_handoff"].format(support_email=content.support_email),
                json_message={"type": "handoff", "stored": False},
            )
            return reset_handoff_slots()
        if email:
            text = content.messages["handoff_submitted_email"].format(email=email)
        else:
            text = content.messages["handoff_submitted_no_email"].format(support_email=content.support_email)
        dispatcher.utter_message(text=text, json_message={"type": "handoff", "stored": True})
        return reset_handoff_slots()


class ActionCancelHandoff(ContentAction):
    """ "never mind" / "cancel": inside the form, drop the request (a rule then deactivates the form)."""

    def name(self) -> Text:
        return "action_cancel_handoff"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        in_form = (tracker.active_loop or {}).get("name") == HANDOFF_FORM
        key = "handoff_cancelled" if in_form else "cancel_nothing"
        dispatcher.utter_message(
            text=content.messages[key], json_message={"type": "handoff_cancelled" if in_form else "cancel"}
        )
        return reset_handoff_slots()


# ---------------------------------------------------------------- "Was this helpful?"


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
            except Exception as error:  # noqa: BLE001 - feedback is nice to have; the reply must still come
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
