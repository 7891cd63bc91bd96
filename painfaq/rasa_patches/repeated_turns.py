"""A message Rasa has already handled is answered from the tracker, not handled twice.

A client or a proxy that retries a turn (the load balancer in front of Rasa retries a request whose server
died before answering: painfaq/serving/balancer.py) sends the same request id again (`X-Request-ID`, which the REST
channel makes the user message's `message_id`). If the first attempt was stored before its server died,
running the turn again would store the message twice and answer it twice. Rasa has no hook between
loading the tracker and handling the message, so `_handle_message_with_tracker` checks the loaded tracker
(no extra read): when it already holds a user message with this id, the replies stored after it are
returned and nothing new is stored. Only turns that come through `handle_message` (the channels) are
checked; Rasa's HTTP API is left alone. Tested by tests/unit/test_repeated_turns.py.
"""

from __future__ import annotations

import contextvars
import functools
from typing import Any, Dict, List, Optional

from painfaq.rasa_patches.replacing import replace

_CHECKING: contextvars.ContextVar[bool] = contextvars.ContextVar("painfaq_repeated_turns", default=False)


class TurnAlreadyHandled(Exception):
    """Raised inside Rasa's message handling; carries the replies stored for the first attempt."""

    def __init__(self, replies: List[Dict[str, Any]]) -> None:
        super().__init__("this message was already handled")
        self.replies = replies


def stored_replies(events: Any, message_id: str) -> Optional[List[Dict[str, Any]]]:
    """The bot messages stored after the user message `message_id`, as Rasa hands them to an output channel
    (`send_response`), so the retry's reply has the same shape as the first; None when the tracker holds no
    user message with that id."""
    from rasa.shared.core.events import BotUttered, UserUttered

    replies: Optional[List[Dict[str, Any]]] = None
    for event in events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if event.message_id == message_id:
                replies = []
        elif replies is not None and isinstance(event, BotUttered):
            reply = {key: value for key, value in (event.data or {}).items() if value is not None}
            if event.text is not None:
                reply["text"] = event.text
            replies.append(reply)
    return replies


def apply() -> None:
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.processor import MessageProcessor

    if getattr(MessageProcessor.handle_message, "_painfaq_repeated_turns", False):
        return
    original_handle = MessageProcessor.handle_message
    original_with_tracker = MessageProcessor._handle_message_with_tracker

    @functools.wraps(original_handle)
    async def handle_message(self: Any, message: Any) -> Optional[List[Dict[str, Any]]]:
        token = _CHECKING.set(True)
        try:
            return await original_handle(self, message)
        except TurnAlreadyHandled as handled:
            channel = message.output_channel
            for reply in handled.replies:
                await channel.send_response(message.sender_id, dict(reply))
            return channel.messages if isinstance(channel, CollectingOutputChannel) else None
        finally:
            _CHECKING.reset(token)

    @functools.wraps(original_with_tracker)
    async def _handle_message_with_tracker(self: Any, message: Any, tracker: Any) -> None:
        if _CHECKING.get() and message.message_id:
            replies = stored_replies(tracker.events, message.message_id)
            if replies is not None:
                raise TurnAlreadyHandled(replies)
        await original_with_tracker(self, message, tracker)

    handle_message._painfaq_repeated_turns = True  # type: ignore[attr-defined]
    replace(MessageProcessor, "handle_message", handle_message)
    replace(MessageProcessor, "_handle_message_with_tracker", _handle_message_with_tracker)
