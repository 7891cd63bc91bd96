"""A tracker-store error fails the turn instead of being hidden.

Rasa wraps every tracker store in FailSafeTrackerStore, which on any error retrieves "no tracker" (the
turn silently starts a fresh conversation) and saves to memory (the turn is never stored). Its
`on_tracker_store_error` callback is the only way to change that, and Rasa never passes one. Here every
FailSafeTrackerStore gets a callback that logs and raises TrackerStoreUnavailable: the channel tells the
user (painfaq/serving/channel.py), and nothing diverges from the database. Tested by
tests/reliability/test_faults.py and tests/reliability/test_faults_postgres.py.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from painfaq.rasa_patches.replacing import replace

logger = logging.getLogger(__name__)


def raise_tracker_store_error(error: Exception) -> None:
    from painfaq.stores.tracker_store import TrackerStoreUnavailable, describe_error

    logger.error("tracker store unavailable: %s", describe_error(error))
    raise TrackerStoreUnavailable(describe_error(error)) from error


def apply() -> None:
    from rasa.core.tracker_store import FailSafeTrackerStore

    original = FailSafeTrackerStore.__init__
    if getattr(original, "_painfaq_raises", False):
        return

    @functools.wraps(original)
    def __init__(self: Any, tracker_store: Any, on_tracker_store_error: Any = None, *args: Any, **kwargs: Any) -> None:
        original(self, tracker_store, on_tracker_store_error or raise_tracker_store_error, *args, **kwargs)

    __init__._painfaq_raises = True  # type: ignore[attr-defined]
    replace(FailSafeTrackerStore, "__init__", __init__)
