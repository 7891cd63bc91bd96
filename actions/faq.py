"""Answering from the article: a topic, "tell me more", follow-ups in context, sources, declines, "did you mean"."""

from __future__ import annotations

import re
from typing import List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    FAILED_REPLY_TYPES,
    HANDOFF_BUTTON,
    LAST_TOPIC_SLOT,
    MORE_SHOWN_SLOT,
    OFFERED_SLOT,
    RELIEF_OVERVIEW,
    TOPIC_ENTITIES,
    ContentAction,
    example_buttons,
    previous_turn_bot_events,
    previous_turn_reply_types,
    replied_with_safety,
    send_answer,
    send_handoff_offer,
    send_warning_note_if_suspected,
    should_offer_handoff,
)
from painfaq.content.compose import (
    compose_answer,
    compose_sources_for,
    suggestion_buttons,
)
from painfaq.content.loader import Content, Topic
from painfaq.content.premises import DECLINED_FOR_A_MEDICINE, DECLINED_FOR_KEY, missing_premise


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


# Answers about the article or the assistant, not about pain: they need no body complaint in the question.
ABOUT_THE_ARTICLE = {"sources", "experts", "medical_advice", "hinge_health_program"}


def first_question_lacks_premise(tracker: Tracker, topic: Topic) -> bool:
    """The conversation's first question leaves out what the topic's answer takes for granted
    (painfaq/content/premises.py): it asks about anxiety alone ("how do I calm my anxiety?"), or it is told an
    anxiety mechanism without naming any stress ("why does my back hurt?"). With an answer before it, a question
    can lean on that answer ("and what about my anxiety at night?"); the first one cannot. The NLU's PremiseGate
    applies the same words to long messages, whatever came before."""
    text = tracker.latest_message.get("text") or ""
    if text.startswith("/"):
        return False  # a button the person clicked ("/faq_how_common"): their choice, nothing left out
    if topic.id in ABOUT_THE_ARTICLE or tracker.get_slot(LAST_TOPIC_SLOT) or topics_answered_this_session(tracker):
        return False
    return missing_premise(text, topic.id) is not None


class ActionAnswerFaq(ContentAction):
    def name(self) -> Text:
        return "action_answer_faq"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        topic = content.topic_for_intent(intent)
        if topic is None or first_question_lacks_premise(tracker, topic):
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
            # Nothing shown yet: this is a first question in other words ("are there anxiety medications that help?"),
            # held to the same premises as any first question.
            if first_question_lacks_premise(tracker, overview):
                return ActionOutOfScope().act(dispatcher, tracker, content)
            return answer_topic(dispatcher, tracker, content, overview)
        if replied_with_safety(dispatcher, tracker):
            return []
        remaining = [r for r in remedies if r not in shown]
        if not remaining:
            dispatcher.utter_message(
                text=content.messages["no_other_options"], buttons=suggestion_buttons(content, remedies)
            )
            return []
        # The overview's bullets name its suggestions in the same order (tests/unit/test_content.py checks it).
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
        # A question how to take a medicine is told where to ask it instead (painfaq.nlu.premise_gate).
        for_a_medicine = tracker.latest_message.get(DECLINED_FOR_KEY) == DECLINED_FOR_A_MEDICINE
        dispatcher.utter_message(
            text=content.messages["out_of_scope_medicine" if for_a_medicine else "out_of_scope"],
            buttons=example_buttons(content) + ([] if offer else [HANDOFF_BUTTON]),
            json_message={"type": "out_of_scope", **({"reason": DECLINED_FOR_A_MEDICINE} if for_a_medicine else {})},
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
        top_two = [e.get("name") for e in ranking if e.get("name") != "nlu_fallback"][:2]
        # "Did you mean" is for two article topics that compete. When "out of scope" is one of the model's two
        # best guesses, offering topics would be a guess: decline (and offer a person) instead.
        if not candidates or "out_of_scope" in top_two:
            return ActionOutOfScope().act(dispatcher, tracker, content)
        # Offering topics whose answers would be declined for a missing premise ("Stiff neck. It will not go away.")
        # is a guess too: the same premises as for an answer (first_question_lacks_premise).
        if all(first_question_lacks_premise(tracker, topic) for topic in candidates):
            return ActionOutOfScope().act(dispatcher, tracker, content)
        buttons = suggestion_buttons(content, [t.id for t in candidates])
        buttons.append({"title": content.messages["did_you_mean_none"], "payload": "/out_of_scope"})
        dispatcher.utter_message(
            text=content.messages["did_you_mean"], buttons=buttons, json_message={"type": "did_you_mean"}
        )
        return close_unanswered_turn(dispatcher, tracker, content, should_offer_handoff(tracker))


class ActionBadInput(ContentAction):
    def name(self) -> Text:
        return "action_bad_input"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content) -> List[EventType]:
        dispatcher.utter_message(text=content.messages["bad_input"], buttons=example_buttons(content))
        return []
