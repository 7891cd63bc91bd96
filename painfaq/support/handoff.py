"""Hand-off requests: the transcript, storage in the project's database, and delivery to a webhook.

The request is stored first (so nothing is lost), then, when `HANDOFF_WEBHOOK_URL` is set, posted to it
as JSON with retries and backoff. A request the webhook did not accept stays `pending`; run
`scripts/handoff_redeliver.py` (`make handoff-redeliver`) to retry. Log lines never contain an email
address (only a masked form) and never the user's question.

Settings (environment):
  HANDOFF_WEBHOOK_URL       where to POST each request (unset: store only, status "not_configured")
  HANDOFF_WEBHOOK_TOKEN     optional; sent as "Authorization: Bearer <token>"
  HANDOFF_WEBHOOK_ATTEMPTS  tries per delivery (default 3)
  HANDOFF_WEBHOOK_BACKOFF   seconds before the 2nd try, doubled each time (default 0.5)
  HANDOFF_WEBHOOK_TIMEOUT   seconds per try (default 5)
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from painfaq import settings
from painfaq.stores.db import get_engine, handoff_requests, mask_email

logger = logging.getLogger(__name__)

STATUS_DELIVERED = "delivered"
STATUS_PENDING = "pending"
STATUS_NOT_CONFIGURED = "not_configured"

# Bot messages of these kinds are the bot's side of a hand-off, not content: kept in the transcript.
SAFETY_TYPE = "safety"


def iso(timestamp: Optional[float]) -> Optional[str]:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat(timespec="seconds")


def transcript_from_events(events: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """User and bot messages of a tracker, oldest first.

    A user message answered with a safety reply is marked `"safety": true`, so the report can count it
    without showing its text.
    """
    transcript: List[Dict[str, Any]] = []
    last_user: Optional[Dict[str, Any]] = None
    for event in events:
        kind = event.get("event")
        if kind == "user":
            entry = {"role": "user", "text": event.get("text") or "", "timestamp": event.get("timestamp")}
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent:
                entry["intent"] = intent
            transcript.append(entry)
            last_user = entry
        elif kind == "bot":
            custom = ((event.get("data") or {}).get("custom")) or {}
            entry = {"role": "bot", "text": event.get("text") or "", "timestamp": event.get("timestamp")}
            if isinstance(custom, dict) and custom.get("type"):
                entry["type"] = custom["type"]
            if not entry["text"] and "type" not in entry:
                continue
            transcript.append(entry)
            if entry.get("type") == SAFETY_TYPE and last_user is not None:
                last_user["safety"] = True
    return transcript


@dataclass(frozen=True)
class WebhookSettings:
    url: Optional[str]
    token: Optional[str] = None
    attempts: int = 3
    backoff: float = 0.5
    timeout: float = 5.0

    @classmethod
    def from_env(cls) -> "WebhookSettings":
        return cls(
            url=settings.HANDOFF_WEBHOOK_URL.raw(),
            token=settings.HANDOFF_WEBHOOK_TOKEN.raw(),
            attempts=max(1, settings.HANDOFF_WEBHOOK_ATTEMPTS.integer()),
            backoff=max(0.0, settings.HANDOFF_WEBHOOK_BACKOFF.number()),
            timeout=max(0.1, settings.HANDOFF_WEBHOOK_TIMEOUT.number()),
        )

    @property
    def display_url(self) -> str:
        """scheme://host[:port]/path only: a token in the query string never reaches a log."""
        if not self.url:
            return "-"
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname or ''}{':' + str(parts.port) if parts.port else ''}{parts.path}"


def store_request(
    engine: Engine,
    sender_id: str,
    question: str,
    email: Optional[str],
    transcript: List[Dict[str, Any]],
    webhook_configured: bool,
    created_at: Optional[float] = None,
) -> int:
    """Insert the request; returns its id."""
    with engine.begin() as connection:
        result = connection.execute(
            handoff_requests.insert().values(
                sender_id=sender_id,
                created_at=created_at if created_at is not None else time.time(),
                question=question,
                email=email,
                transcript=json.dumps(transcript, ensure_ascii=False),
                status=STATUS_PENDING if webhook_configured else STATUS_NOT_CONFIGURED,
                attempts=0,
            )
        )
        request_id = int(result.inserted_primary_key[0])
    logger.info(
        "hand-off request %s stored (sender %s, email %s, %d transcript messages)",
        request_id,
        sender_id,
        mask_email(email),
        len(transcript),
    )
    return request_id


def webhook_payload(row: Any) -> Dict[str, Any]:
    return {
        "type": "painfaq.support.handoff",
        "id": row.id,
        "sender_id": row.sender_id,
        "created_at": iso(row.created_at),
        "question": row.question,
        "email": row.email,
        "transcript": [
            {**entry, "timestamp": iso(entry.get("timestamp"))} for entry in json.loads(row.transcript or "[]")
        ],
    }


def _post(settings: WebhookSettings, payload: Dict[str, Any]) -> Optional[str]:
    """One POST; returns None on success, else a short error description (no payload, no secrets)."""
    headers = {"Content-Type": "application/json", "User-Agent": "painfaq-handoff/1"}
    if settings.token:
        headers["Authorization"] = f"Bearer {settings.token}"
    try:
        response = requests.post(str(settings.url), json=payload, headers=headers, timeout=settings.timeout)
    except requests.RequestException as error:
        return type(error).__name__
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"


def deliver(engine: Engine, request_id: int, settings: Optional[WebhookSettings] = None) -> bool:
    """POST one stored request to the webhook, with retries; record the outcome. True if delivered."""
    settings = settings or WebhookSettings.from_env()
    with engine.connect() as connection:
        row = connection.execute(sa.select(handoff_requests).where(handoff_requests.c.id == request_id)).first()
    if row is None:
        raise KeyError(f"no hand-off request {request_id}")
    if row.status == STATUS_DELIVERED:
        return True
    if not settings.url:
        return False
    payload = webhook_payload(row)
    error: Optional[str] = None
    tries = 0
    for attempt in range(settings.attempts):
        if attempt:
            time.sleep(settings.backoff * (2 ** (attempt - 1)))
        tries += 1
        error = _post(settings, payload)
        if error is None:
            break
    now = time.time()
    values: Dict[str, Any] = {
        "attempts": handoff_requests.c.attempts + tries,
        "last_attempt_at": now,
    }
    if error is None:
        values.update(status=STATUS_DELIVERED, delivered_at=now, last_error=None)
        logger.info("hand-off request %s delivered to the webhook %s", request_id, settings.display_url)
    else:
        values.update(status=STATUS_PENDING, last_error=error)
        logger.error(
            "hand-off webhook DOWN: request %s not delivered to %s after %d attempts (%s); it is stored with "
            "status 'pending', retry with `make handoff-redeliver`",
            request_id,
            settings.display_url,
            tries,
            error,
        )
    with engine.begin() as connection:
        connection.execute(handoff_requests.update().where(handoff_requests.c.id == request_id).values(**values))
    return error is None


def submit(
    sender_id: str,
    question: str,
    email: Optional[str],
    transcript: List[Dict[str, Any]],
    engine: Optional[Engine] = None,
    settings: Optional[WebhookSettings] = None,
    background: bool = True,
) -> int:
    """Store a request, then (if a webhook is configured) deliver it, in a background thread by default
    so the user's reply does not wait for a slow helpdesk."""
    engine = engine or get_engine()
    settings = settings or WebhookSettings.from_env()
    request_id = store_request(engine, sender_id, question, email, transcript, webhook_configured=bool(settings.url))
    if settings.url:
        if background:
            thread = threading.Thread(
                target=_deliver_logged, args=(engine, request_id, settings), name=f"handoff-{request_id}", daemon=True
            )
            thread.start()
        else:
            _deliver_logged(engine, request_id, settings)
    return request_id


def _deliver_logged(engine: Engine, request_id: int, settings: WebhookSettings) -> None:
    try:
        deliver(engine, request_id, settings)
    except Exception:  # a background thread must log, not die silently
        logger.exception("hand-off request %s: delivery failed unexpectedly; it stays stored", request_id)


def redeliver_pending(
    engine: Optional[Engine] = None, settings: Optional[WebhookSettings] = None, include_not_configured: bool = False
) -> Dict[str, int]:
    """Retry every pending request (and, if asked, those stored while no webhook was set)."""
    engine = engine or get_engine()
    settings = settings or WebhookSettings.from_env()
    if not settings.url:
        raise RuntimeError("HANDOFF_WEBHOOK_URL is not set: nothing to deliver to")
    statuses = [STATUS_PENDING] + ([STATUS_NOT_CONFIGURED] if include_not_configured else [])
    with engine.connect() as connection:
        ids = [
            r.id
            for r in connection.execute(
                sa.select(handoff_requests.c.id)
                .where(handoff_requests.c.status.in_(statuses))
                .order_by(handoff_requests.c.id)
            )
        ]
    counts = {"delivered": 0, "still_pending": 0}
    for request_id in ids:
        counts["delivered" if deliver(engine, request_id, settings) else "still_pending"] += 1
    return counts
