"""The REST channel the widget and API clients use, guarded: `POST /webhooks/rest/webhook`.

Same URL and same request/response format as Rasa's `rest` channel (`{"sender": ..., "message": ...}` in,
a JSON list of bot messages out), configured in credentials.yml as `painfaq.serving.channel.GuardedRestInput`.
In front of Rasa it adds, in this order:

1. **Origin**: a request with an `Origin` header must come from an origin allowed by `rasa run --cors`
   (else 403). A CORS preflight from another origin gets no `Access-Control-Allow-*` headers (Rasa's
   sanic_cors answers it), so browsers do not send the request at all. Requests without `Origin` (curl,
   server-to-server) are not browser requests and pass.
2. **Rate limits**: token buckets per client address (every POST counts) and per sender id, and a cap on
   the turns one address can have in progress at once (else 429 with `Retry-After`).
3. **Validation**: body at most `max_body_bytes` (413), UTF-8 JSON (400), an object with a string
   `sender` (1-128 characters from `A-Za-z0-9._:-`) and a string `message` (400). Control characters,
   lone surrogates and bidirectional overrides are removed from the message. A message longer than
   `max_message_chars` is not processed: the reply (HTTP 200) asks for a shorter one and names the crisis and
   emergency numbers, since what it says is unknown. Other fields
   (`metadata`, `input_channel`) are ignored, so clients cannot store data of their own in the tracker.
4. **Never silence**: if the turn fails (action server down or slow, tracker store or lock store down), the
   user gets a short apology with the support e-mail address instead of an empty list or a 500; a turn
   that succeeds without a message (e.g. "/restart") gets a neutral "ask me a question". The turn is never
   cut short: after `turn_timeout` the user gets the apology but the turn still completes (and is stored)
   in the background.

It also, once per process, masks identifiers in log records (painfaq.privacy) and sends the shared
secret `ACTION_SERVER_TOKEN` (if set) to the action server. The launcher (painfaq/serving/rasa_server.py)
applies the two changes to Rasa this channel relies on (painfaq/rasa_patches): the time Rasa waits for the
action server (`action_timeout`; Rasa's default is 5 minutes), and tracker-store errors as failed turns
instead of Rasa's silent fallback to an in-memory store.

Every error response is JSON: `{"error": <code>, "message": <text>}` (+ `retry_after` for 429).
Settings (credentials.yml keys; each can be overridden by the environment variable in brackets):
see `Limits` below and docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import hashlib
import ipaddress
import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from painfaq import settings
from painfaq.privacy import install_log_masking
from painfaq.serving import shared_limits, supervision
from painfaq.serving.balancer import REQUEST_ID_PATTERN
from painfaq.serving.ratelimit import InFlight, Rate, TokenBuckets, retry_after_header

logger = logging.getLogger(__name__)

SENDER_PATTERN = re.compile(r"[A-Za-z0-9._:-]+")
# C0/C1 controls except tab and newline, lone surrogates, bidi embeddings/overrides/isolates, BOM,
# non-characters U+FFFE/U+FFFF.
STRIP_PATTERN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]")


# ---------------------------------------------------------------- settings


def _setting(credentials: Dict[str, Any], key: str, env: str, default: Any) -> Any:
    """The environment variable (painfaq.settings) when set, else credentials.yml, else the default."""
    if settings.ALL[env].is_set():
        return settings.ALL[env].text()
    value = credentials.get(key)
    return default if value in (None, "") else value


@dataclass(frozen=True)
class Limits:
    # Real posts tell a story first and ask last: 8,000 characters (about 1,400 words) keeps a long forum post whole.
    # A message that long costs about 0.5 s of NLU (docs/reliability.md); the rate limits bound how many.
    max_message_chars: int = 8000  # max_message_chars [PAINFAQ_MAX_MESSAGE_CHARS]
    max_body_bytes: int = 65536  # max_body_bytes [PAINFAQ_MAX_BODY_BYTES]
    max_sender_chars: int = 128  # max_sender_chars [PAINFAQ_MAX_SENDER_CHARS]
    per_sender: Rate = Rate(10, 30 / 60)  # rate_per_sender "10/30" [PAINFAQ_RATE_PER_SENDER]
    per_address: Rate = Rate(60, 120 / 60)  # rate_per_address "60/120" [PAINFAQ_RATE_PER_ADDRESS]
    in_flight_per_address: int = 4  # in_flight_per_address [PAINFAQ_IN_FLIGHT_PER_ADDRESS]
    turn_timeout: float = float(settings.TURN_TIMEOUT.default or 0)  # turn_timeout, seconds [PAINFAQ_TURN_TIMEOUT]
    action_timeout: float = 10.0  # action_timeout, seconds [PAINFAQ_ACTION_TIMEOUT]

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> "Limits":
        c = credentials or {}
        d = cls()

        def rate(key: str, env: str, default: Rate) -> Rate:
            value = _setting(c, key, env, None)
            return default if value is None else Rate.parse(str(value))

        return cls(
            max_message_chars=int(_setting(c, "max_message_chars", "PAINFAQ_MAX_MESSAGE_CHARS", d.max_message_chars)),
            max_body_bytes=int(_setting(c, "max_body_bytes", "PAINFAQ_MAX_BODY_BYTES", d.max_body_bytes)),
            max_sender_chars=int(_setting(c, "max_sender_chars", "PAINFAQ_MAX_SENDER_CHARS", d.max_sender_chars)),
            per_sender=rate("rate_per_sender", "PAINFAQ_RATE_PER_SENDER", d.per_sender),
            per_address=rate("rate_per_address", "PAINFAQ_RATE_PER_ADDRESS", d.per_address),
            in_flight_per_address=int(
                _setting(c, "in_flight_per_address", "PAINFAQ_IN_FLIGHT_PER_ADDRESS", d.in_flight_per_address)
            ),
            turn_timeout=float(_setting(c, "turn_timeout", "PAINFAQ_TURN_TIMEOUT", d.turn_timeout)),
            action_timeout=float(_setting(c, "action_timeout", "PAINFAQ_ACTION_TIMEOUT", d.action_timeout)),
        )


# ---------------------------------------------------------------- request checks


class Refusal(Exception):
    """A request refused before it reaches Rasa: HTTP status, error code, message for people."""

    def __init__(self, status: int, code: str, message: str, retry_after: Optional[float] = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after

    def to_response(self) -> HTTPResponse:
        body: Dict[str, Any] = {"error": self.code, "message": self.message}
        headers: Dict[str, str] = {}
        if self.retry_after is not None:
            headers["Retry-After"] = retry_after_header(self.retry_after)
            body["retry_after"] = int(headers["Retry-After"])
        return response.json(body, status=self.status, headers=headers)


# What the NLU pays for is words and symbols, not characters: 8,000 characters of prose are about 1,700 of them, but 7,500
# emoji are 7,500 (the safety rules alone took 4 s over them). A message may hold a quarter as many as its characters.
CHARS_PER_UNIT = 4
_UNITS = re.compile(r"\w+|[^\w\s]")


def message_units(text: str) -> int:
    """The words and symbols of `text`, each emoji and mark one: roughly the tokens the NLU pipeline reads."""
    return len(_UNITS.findall(text))


@functools.lru_cache(maxsize=1)
def _safety_numbers() -> Dict[str, str]:
    """The emergency and crisis numbers of content/safety.yml, for replies written outside the answer path."""
    from painfaq.safety.rules import load_safety_content

    return {key: str(value) for key, value in load_safety_content(validate=False)["numbers"].items()}


def clean_text(text: str) -> str:
    """Remove control characters (keeping tab and newline), lone surrogates and bidi controls."""
    return STRIP_PATTERN.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def parse_body(body: bytes, limits: Limits) -> Tuple[str, str]:
    """(sender, message) from a request body, or a Refusal that says what is wrong."""
    if len(body) > limits.max_body_bytes:
        raise Refusal(413, "body_too_large", f"The request body is larger than {limits.max_body_bytes} bytes.")
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(400, "invalid_encoding", "The request body must be UTF-8 encoded JSON.") from None
    if not decoded.strip():
        raise Refusal(400, "empty_body", 'Send a JSON object: {"sender": "<id>", "message": "<text>"}.')
    try:
        data = json.loads(decoded)
    except RecursionError:
        raise Refusal(400, "too_deeply_nested", "The JSON body is nested too deeply.") from None
    except ValueError as error:
        raise Refusal(400, "invalid_json", f"The request body is not valid JSON ({str(error)[:80]}).") from None
    if not isinstance(data, dict):
        raise Refusal(400, "not_an_object", 'The JSON body must be an object: {"sender": "<id>", "message": "<text>"}.')
    sender, message = data.get("sender"), data.get("message")
    if sender is None or message is None:
        missing = [name for name, value in (("sender", sender), ("message", message)) if value is None]
        raise Refusal(400, "missing_field", f"Missing field(s): {', '.join(missing)}.")
    if not isinstance(sender, str):
        raise Refusal(400, "invalid_sender", "`sender` must be a string.")
    if not isinstance(message, str):
        raise Refusal(400, "invalid_message", "`message` must be a string.")
    if not sender or len(sender) > limits.max_sender_chars or not SENDER_PATTERN.fullmatch(sender):
        raise Refusal(
            400,
            "invalid_sender",
            f"`sender` must be 1-{limits.max_sender_chars} characters from A-Z, a-z, 0-9, '.', '_', ':' and '-'.",
        )
    return sender, clean_text(message)


BUTTON_PAYLOAD = re.compile(r"/[a-z0-9_]{1,100}")
REQUEST_ID = re.compile(REQUEST_ID_PATTERN)  # the same ids HAProxy passes on


def request_id(request: Request) -> Optional[str]:
    """The client's or the proxy's id for this message (`X-Request-ID`), if well formed.

    It becomes the user message's id: a request sent again with the same id (a retry after a lost reply)
    gets the replies stored the first time instead of a second turn (painfaq.rasa_patches.repeated_turns).
    """
    value = request.headers.get("x-request-id", "")
    return value if REQUEST_ID.fullmatch(value) else None


def as_typed_text(text: str, intents: Any) -> str:
    """A message that starts with "/" is a button payload only if it is exactly `/<an intent of the domain>`.

    Anything else that starts with "/" was typed: the slashes are dropped and the rest is read as words.
    Rasa would otherwise try to parse it as `/intent{entities}` and log a warning quoting the whole text
    ("Failed to parse arguments in line '/my email is ...'"), past the masking tracker store.
    """
    if not text.startswith("/"):
        return text
    if BUTTON_PAYLOAD.fullmatch(text) and text[1:] in set(intents or ()):
        return text
    return text.lstrip("/ \t")


def client_key(request: Request) -> str:
    """The client address for rate limits: Sanic's proxy-aware `remote_addr` (set only when the proxy
    settings SANIC_PROXIES_COUNT / SANIC_REAL_IP_HEADER / SANIC_FORWARDED_SECRET are configured),
    else the peer address. IPv6 clients are grouped by /64 (one subscriber's usual allocation)."""
    return _address_key(request.remote_addr or request.ip or "unknown")


@functools.lru_cache(maxsize=4096)
def _address_key(address: str) -> str:
    # Cached: parsing and formatting the address was 2 % of a turn's CPU.
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def allowed_origins(request: Request) -> List[Any]:
    """The origins `rasa run --cors` allowed (sanic_cors keeps them on the app); [] if none."""
    cors = getattr(request.app.ctx, "sanic_cors", None)
    origins: List[Any] = []
    for _, options in getattr(cors, "resources", None) or []:
        origins.extend(o for o in options.get("origins") or [] if o)
    return origins


def origin_allowed(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True
    from sanic_cors.core import try_match_any

    return bool(try_match_any(origin, allowed_origins(request)))


# ---------------------------------------------------------------- turn outcome

_TURN: "contextvars.ContextVar[Optional[TurnReport]]" = contextvars.ContextVar("painfaq_turn", default=None)
ACTION_FAILURE_MARKER = "Encountered an exception while running action"


@dataclass
class TurnReport:
    action_failed: bool = False
    problem: Optional[str] = None  # "timeout" | "error" | "tracker_store"


class _ActionFailureFilter(logging.Filter):
    """Rasa logs, and otherwise swallows, an action that failed (action server down, timed out, 500).
    This notes it on the current turn (a context variable set by the channel for the turn's task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        report = _TURN.get()
        if report is not None and record.levelno >= logging.ERROR and ACTION_FAILURE_MARKER in str(record.msg):
            report.action_failed = True
        return True


def prepare_agent(agent: Any) -> None:
    """Per request, cheap and idempotent (the agent can be replaced by a model reload)."""
    # (A tracker-store error raises instead of starting a fresh conversation: painfaq.rasa_patches.tracker_store_errors.)
    token = settings.ACTION_SERVER_TOKEN.raw()
    endpoint = getattr(agent, "action_endpoint", None)
    if token and endpoint is not None and endpoint.headers.get("Authorization") != f"Bearer {token}":
        endpoint.headers["Authorization"] = f"Bearer {token}"


_installed = False


def install_process_wide(limits: Limits) -> None:
    """Once per Rasa process, before the Sanic app and the agent are created."""
    global _installed
    if _installed:
        return
    _installed = True
    install_log_masking()
    # Sanic reads SANIC_* variables when Rasa creates the app (after the channels are loaded): a cap on
    # every request body (Rasa's HTTP API, if enabled for model uploads, needs a larger one) and JSON
    # error pages for the errors Sanic answers itself (404, 405, 413, malformed HTTP).
    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", str(max(limits.max_body_bytes, 1_048_576)))
    os.environ.setdefault("SANIC_FALLBACK_ERROR_FORMAT", "json")
    # The action timeout (limits.action_timeout) is applied by the launcher: painfaq.rasa_patches.action_timeout.
    logging.getLogger("rasa.core.processor").addFilter(_ActionFailureFilter())


# ---------------------------------------------------------------- the channel


def sender_tag(sender: str) -> str:
    """A short stable tag for log lines (not the sender id itself)."""
    return hashlib.sha256(sender.encode("utf-8")).hexdigest()[:10]


@dataclass
class GuardState:
    """The channel's counters: in this process, or in Redis (shared by every worker and instance) when
    PAINFAQ_RATE_LIMIT_REDIS_URL is set (painfaq/serving/shared_limits.py)."""

    limits: Limits
    per_sender: Any = field(init=False)
    per_address: Any = field(init=False)
    in_flight: Any = field(init=False)

    def __post_init__(self) -> None:
        client = shared_limits.shared_client(settings.RATE_LIMIT_REDIS_URL.raw())
        if client is None:
            self.per_sender = TokenBuckets(self.limits.per_sender)
            self.per_address = TokenBuckets(self.limits.per_address)
            self.in_flight = InFlight(self.limits.in_flight_per_address)
            return
        self.per_sender = shared_limits.RedisTokenBuckets(self.limits.per_sender, client, "sender")
        self.per_address = shared_limits.RedisTokenBuckets(self.limits.per_address, client, "address")
        # A slot outlives no turn: the turn timeout, plus its completion in the background, plus margin.
        expire = int(3 * self.limits.turn_timeout) + 30
        self.in_flight = shared_limits.RedisInFlight(self.limits.in_flight_per_address, client, expire)


class GuardedRestInput(InputChannel):
    """Rasa's REST channel with the checks above; same name ("rest") and URL."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "GuardedRestInput":
        return cls(Limits.from_credentials(credentials))

    def __init__(self, limits: Optional[Limits] = None) -> None:
        self.limits = limits or Limits()
        self.state = GuardState(self.limits)
        install_process_wide(self.limits)

    # -- replies

    def _content(self) -> Any:
        from painfaq.content.loader import load_content

        return load_content()

    def apology(self, sender: str, reason: str) -> List[Dict[str, Any]]:
        try:
            content = self._content()
            text = f"{content.messages['action_error']} If it keeps happening, you can reach a person at {content.support_email}."
            support = content.support_email
        except Exception:  # the apology must not depend on the content file loading
            text, support = "Sorry, something went wrong on my side. Please try again in a moment.", None
        return [
            {"recipient_id": sender, "text": text},
            {"recipient_id": sender, "custom": {"type": "error", "reason": reason, "support_email": support}},
        ]

    def nothing_to_say(self, sender: str) -> List[Dict[str, Any]]:
        try:
            text = self._content().messages["cancel_nothing"]
        except Exception:  # as for the apology
            text = "Okay. If you have a question about anxiety and back pain, just ask."
        return [
            {"recipient_id": sender, "text": text},
            {"recipient_id": sender, "custom": {"type": "notice", "reason": "no_reply"}},
        ]

    def too_long(self, sender: str, length: int) -> List[Dict[str, Any]]:
        """The reply to a message that is not read: how long it may be, and where urgent help is, since what it
        says is unknown (a long post can be a crisis)."""
        limit = self.limits.max_message_chars
        try:
            text = self._content().messages["message_too_long"].format(length=length, limit=limit, **_safety_numbers())
        except Exception:  # as for the apology: the refusal itself must not fail
            text = f"That message is too long for me ({length} characters). Please keep it under {limit} characters."
        return [
            {"recipient_id": sender, "text": text},
            {"recipient_id": sender, "custom": {"type": "error", "reason": "message_too_long", "max_chars": limit}},
        ]

    # -- the turn

    async def run_turn(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sender: str,
        text: str,
        message_id: Optional[str] = None,
    ) -> Tuple[List[Dict[str, Any]], Optional[str]]:
        """Run one turn; (messages to return, reason it degraded or None)."""
        collector = CollectingOutputChannel()
        report = TurnReport()
        token = _TURN.set(report)
        try:
            # The task copies the context now, so Rasa's log records for this turn see `report`.
            task = asyncio.ensure_future(
                on_new_message(UserMessage(text, collector, sender, input_channel=self.name(), message_id=message_id))
            )
        finally:
            _TURN.reset(token)
        try:
            # shield: a slow turn is answered with the apology but still finishes and is stored.
            await asyncio.wait_for(asyncio.shield(task), timeout=self.limits.turn_timeout)
        except asyncio.TimeoutError:
            report.problem = "timeout"
            task.add_done_callback(_log_late_turn)
        except Exception as error:  # whatever failed, the user gets a reply
            from painfaq.stores.tracker_store import TrackerStoreUnavailable, describe_error

            report.problem = "tracker_store" if isinstance(error, TrackerStoreUnavailable) else "error"
            logger.error("turn failed (sender %s): %s", sender_tag(sender), describe_error(error))
        messages = list(collector.messages)
        if report.problem:
            return self.apology(sender, report.problem), report.problem
        if report.action_failed:
            return messages + self.apology(sender, "action_failed"), "action_failed"
        if not messages:
            # Nothing failed and the bot had nothing to say (e.g. "/restart"): a neutral prompt, not silence.
            return self.nothing_to_say(sender), None
        return messages, None

    async def receive(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        started = time.monotonic()
        state = self.state
        address = client_key(request)
        if not origin_allowed(request):
            return Refusal(403, "origin_not_allowed", "This site is not allowed to use the assistant.").to_response()
        wait = state.per_address.take(address)
        if wait:
            return Refusal(
                429, "rate_limited", "Too many requests from your network. Please wait a moment and try again.", wait
            ).to_response()
        try:
            sender, text = parse_body(request.body or b"", self.limits)
        except Refusal as refusal:
            return refusal.to_response()
        wait = state.per_sender.take(sender)
        if wait:
            return Refusal(
                429, "rate_limited", "You're sending messages faster than I can answer. Please wait a moment.", wait
            ).to_response()
        if (
            len(text) > self.limits.max_message_chars
            or message_units(text) > self.limits.max_message_chars // CHARS_PER_UNIT
        ):
            return response.json(self.too_long(sender, len(text)), headers={"X-Painfaq-Refused": "message_too_long"})
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            return Refusal(503, "starting", "The assistant is starting. Please try again in a moment.", 5).to_response()
        if not state.in_flight.acquire(address):
            return Refusal(
                429,
                "too_many_in_progress",
                "Too many questions in progress from your network. Please wait a moment.",
                1,
            ).to_response()
        text = as_typed_text(text, getattr(getattr(agent, "domain", None), "intents", None))
        try:
            prepare_agent(agent)
            messages, degraded = await self.run_turn(on_new_message, sender, text, request_id(request))
        finally:
            state.in_flight.release(address)
        headers = {"X-Painfaq-Degraded": degraded} if degraded else {}
        if degraded:
            logger.warning(
                "turn degraded (sender %s): %s after %.1f s", sender_tag(sender), degraded, time.monotonic() - started
            )
        return response.json(messages, headers=headers)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("painfaq_guarded_rest", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.listener("before_server_start")
        async def die_with_parent(_app: Any, _loop: Any) -> None:
            # A worker must not outlive its main process (painfaq.serving.supervision.die_with_parent).
            supervision.die_with_parent()

        @webhook.route("/ready", methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            """Readiness (a load balancer or Kubernetes may send turns): the model is loaded. Liveness is `/`."""
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return response.json({"status": "starting"}, status=503)
            return response.json({"status": "ready"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request, on_new_message)

        return webhook


def _log_late_turn(task: "asyncio.Future[Any]") -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        logger.error("a turn that had timed out failed later: %s", type(error).__name__)
    else:
        logger.warning("a turn that had timed out finished later (its reply was not delivered)")
