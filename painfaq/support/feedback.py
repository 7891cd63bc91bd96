""" "Was this helpful?" answers, stored with the topic of the answer they rate."""

from __future__ import annotations

import logging
import time
from typing import Optional

from sqlalchemy.engine import Engine

from painfaq.stores.db import feedback, get_engine

logger = logging.getLogger(__name__)


def store_feedback(
    sender_id: str,
    topic: str,
    helpful: bool,
    prompt_at: Optional[float] = None,
    engine: Optional[Engine] = None,
    created_at: Optional[float] = None,
) -> None:
    """Record one rating. Rating the same answer again (same prompt) replaces the earlier rating."""
    engine = engine or get_engine()
    with engine.begin() as connection:
        if prompt_at is not None:
            connection.execute(
                feedback.delete().where(feedback.c.sender_id == sender_id, feedback.c.prompt_at == prompt_at)
            )
        connection.execute(
            feedback.insert().values(
                sender_id=sender_id,
                created_at=created_at if created_at is not None else time.time(),
                topic=topic,
                helpful=helpful,
                prompt_at=prompt_at,
            )
        )
    logger.info("feedback stored (sender %s, topic %s, helpful %s)", sender_id, topic, helpful)
