"""Hand-off to a person: the form (question, optional e-mail), its validation, submit and cancel."""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import ContentAction, latest_intent, replied_with_safety
from painfaq.content.loader import Content, load_content
from painfaq.stores.db import find_email
from painfaq.support import handoff

logger = logging.getLogger(__name__)


HANDOFF_FORM = "handoff_form"


QUESTION_SLOT = "handoff_question"


EMAIL_SLOT = "handoff_email"


EMAIL_DECLINED = "none"  # slot value for "the user chose not to give an email address"


# "no", "skip", "I'd rather not", ...: the user declines to give an email address.
# One "word" with address punctuation or digits: an attempt at an email address, not an answer.
ADDRESS_ATTEMPT = re.compile(r"^(?=\S*[@._+\-\d])\S+$")


DECLINE_EMAIL = re.compile(
    r"^(no|nope|nah|na|skip|pass|none|n/?a|no thanks?|no thank you|not now)\b"
    r"|rather not|prefer not|don'?t want|do not want|no e-?mail|without (an? )?e-?mail|not (giving|sharing|share|give)"
    r"|don'?t have (one|an? e-?mail)|^skip",
    re.IGNORECASE,
)


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
        content, text = load_content(), str(slot_value or "").strip()
        if replied_with_safety(dispatcher, tracker):  # safety first; the form moves on with the question kept
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
        content, text = load_content(), str(slot_value or "").strip()
        if replied_with_safety(dispatcher, tracker):
            # Safety first; then pass the request on without an email rather than ask again.
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
        except Exception as error:  # log the kind only: the message could carry user data
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
