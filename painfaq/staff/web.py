"""The staff pages and their JSON API, served under /staff/ by the demo server (scripts/serve_demo.py).

    GET    /staff/                  the review inbox page (web/staff/); it logs in through the API
    POST   /staff/api/login         {"username", "password"} as JSON -> session cookie + {"csrf"}   (rate-limited)
    POST   /staff/api/logout
    GET    /staff/api/session       {"username", "csrf", "topics"} for the logged-in user
    GET    /staff/api/inbox         ?from=YYYY-MM-DD&to=YYYY-MM-DD&outcome=a,b&page=1&per_page=50&unlabelled=1
    GET    /staff/api/group         ?key=<a group's key>: its messages, each with its own labels
    GET    /staff/api/labels        ?limit=100&offset=0, newest first; all=1 includes labels taken back
    POST   /staff/api/labels        {"group_key" | "item_id", "label": topic|out_of_scope|needs_content|ignore, "topic"?}
    POST   /staff/api/labels/<id>/undo

Every API call needs the session cookie (401 as JSON without one); every write also needs the CSRF token
in `X-CSRF-Token` (403 as JSON without it). The cookie is HttpOnly, SameSite=Strict, Path=/staff. The login
itself has no CSRF token yet: it takes JSON only (an HTML form cannot send that, and a cross-site script
cannot without a CORS preflight this server never grants) and refuses a request a browser marks as coming
from another site (login CSRF: logging the victim in as the attacker).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from http.cookies import SimpleCookie
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.engine import Engine

from painfaq.content.loader import load_content
from painfaq.serving.ratelimit import Rate, TokenBuckets
from painfaq.staff import accounts, inbox

logger = logging.getLogger(__name__)

COOKIE = "painfaq_staff"
MAX_BODY = 16 * 1024  # what a handler reads: a label or a login is a few hundred bytes
MAX_REQUEST_BODY = 64 * 1024  # what the HTTP server accepts at all (scripts/serve_demo.py)
LABELS_PAGE = 100
MAX_LABELS_PAGE = 500
SYNC_EVERY_SECONDS = 2.0
SYNC_WAIT_SECONDS = 1.5
UNDO_PATH = re.compile(r"^/staff/api/labels/(\d+)/undo$")

API_HEADERS = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, List[str]]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    client: str  # the client's address (login attempts are limited per address)


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: Dict[str, str] = field(default_factory=dict)


def _json(status: int, payload: Any, **headers: str) -> Response:
    return Response(status, json.dumps(payload).encode("utf-8"), {**API_HEADERS, **headers})


def _error(status: int, error: str, message: str, **headers: str) -> Response:
    return _json(status, {"error": error, "message": message}, **headers)


def _day(value: Optional[str]) -> Optional[date]:
    return date.fromisoformat(value) if value else None


class StaffApp:
    """Request handling only: the HTTP server passes method, path, query, headers, body and client address."""

    def __init__(self, engine_factory: Callable[[], Engine], secure_cookie: bool = False) -> None:
        self._engine_factory = engine_factory
        self._secure_cookie = secure_cookie
        # Login attempts: 5 at once, then 5 a minute, per client address and per username.
        self._login_by_address = TokenBuckets(Rate(5, 5 / 60))
        self._login_by_user = TokenBuckets(Rate(5, 5 / 60))
        self._sync_lock = threading.Lock()
        self._sync_thread: Optional[threading.Thread] = None
        self._synced_at = -SYNC_EVERY_SECONDS

    @property
    def engine(self) -> Engine:
        return self._engine_factory()

    # -- entry point

    def handle(self, request: "Request") -> Response:
        try:
            return self._route(request)
        except BodyTooLarge:
            return too_large()
        except (ValueError, KeyError) as error:
            return _error(400, "bad_request", str(error)[:200])

    def _route(self, request: "Request") -> Response:
        method, path, query, headers, body = request.method, request.path, request.query, request.headers, request.body
        if path == "/staff/api/login" and method == "POST":
            refused = _refuse_cross_site_login(headers)
            return refused or self._login(body, request.client)
        token = self._cookie(headers)
        session = accounts.find_session(self.engine, token)
        if session is None:
            return _error(401, "unauthorized", "Log in first.")
        if method == "POST":
            if not accounts.csrf_ok(session, headers.get("x-csrf-token")):
                return _error(403, "forbidden", "Missing or wrong CSRF token.")
            if path == "/staff/api/logout":
                accounts.end_session(self.engine, token)
                return _json(200, {"ok": True}, **{"Set-Cookie": self._cookie_header("", 0)})
            if path == "/staff/api/labels":
                return self._add_label(session, body)
            undo = UNDO_PATH.match(path)
            if undo:
                done = inbox.undo_label(self.engine, int(undo.group(1)))
                return _json(200, {"undone": done}) if done else _error(404, "not_found", "No such active label.")
        if method == "GET":
            if path == "/staff/api/session":
                return _json(200, {"username": session.username, "csrf": session.csrf, "topics": self._topics()})
            if path == "/staff/api/inbox":
                return self._inbox(query)
            if path == "/staff/api/group":
                key = _param(query, "key")
                messages = inbox.group_items(self.engine, key)
                if not messages:
                    return _error(404, "not_found", "No such group in the inbox.")
                return _json(200, {"key": key, "items": messages})
            if path == "/staff/api/labels":
                return self._labels(query)
        return _error(404, "not_found", "No such staff API endpoint.")

    # -- handlers

    def _login(self, body: bytes, client: str) -> Response:
        data = _body(body)
        username = str(data.get("username") or "")[:100]
        password = str(data.get("password") or "")[:1000]
        wait = max(self._login_by_address.take(client), self._login_by_user.take(username.strip().lower()))
        if wait > 0:
            return _error(
                429,
                "too_many_attempts",
                "Too many login attempts; try again later.",
                **{"Retry-After": str(int(wait) + 1)},
            )
        name = accounts.verify_password(self.engine, username, password)
        if name is None:
            return _error(401, "unauthorized", "Wrong username or password.")
        token, session = accounts.start_session(self.engine, name)
        return _json(
            200,
            {"username": name, "csrf": session.csrf},
            **{"Set-Cookie": self._cookie_header(token, accounts.SESSION_SECONDS)},
        )

    def _inbox(self, query: Mapping[str, List[str]]) -> Response:
        self._sync()
        outcomes = [o for o in _param(query, "outcome").split(",") if o] or None
        result = inbox.inbox(
            self.engine,
            start=_day(_param(query, "from")),
            end=_day(_param(query, "to")),
            outcomes=outcomes,
            page=int(_param(query, "page") or 1),
            per_page=int(_param(query, "per_page") or 50),
            include_labelled=not _flag(query, "unlabelled"),
        )
        return _json(200, result)

    def _labels(self, query: Mapping[str, List[str]]) -> Response:
        limit = max(1, min(MAX_LABELS_PAGE, int(_param(query, "limit") or LABELS_PAGE)))
        offset = max(0, int(_param(query, "offset") or 0))
        include_undone = _flag(query, "all")
        labels = inbox.list_labels(self.engine, include_undone=include_undone, limit=limit, offset=offset)
        total = inbox.count_labels(self.engine, include_undone=include_undone)
        following = offset + len(labels)
        return _json(
            200,
            {
                "labels": labels,
                "total": total,
                "limit": limit,
                "offset": offset,
                "next_offset": following if following < total else None,
            },
        )

    def _add_label(self, session: accounts.Session, body: bytes) -> Response:
        data = _body(body)
        item_id = data.get("item_id")
        if item_id is not None and (isinstance(item_id, bool) or not isinstance(item_id, int)):
            return _error(422, "invalid_label", "item_id: the id of a message from GET /staff/api/group")
        group_key = data.get("group_key")
        try:
            label = inbox.add_label(
                self.engine,
                str(group_key) if group_key is not None else None,
                str(data.get("label") or ""),
                data.get("topic"),
                session.username,
                [t["id"] for t in self._topics()],
                item_id=item_id,
            )
        except inbox.LabelError as error:
            return _error(422, "invalid_label", str(error))
        return _json(201, label)

    # -- helpers

    def _sync(self) -> None:
        """Read new events in a background thread; wait for it at most SYNC_WAIT_SECONDS.

        A first sync of a large database takes a while (it reads every event once); the request then shows
        what is read so far instead of hanging, and the next one shows more.
        """
        with self._sync_lock:
            running = self._sync_thread is not None and self._sync_thread.is_alive()
            if not running and time.monotonic() - self._synced_at >= SYNC_EVERY_SECONDS:
                self._sync_thread = threading.Thread(target=self._sync_now, name="staff-inbox-sync", daemon=True)
                self._sync_thread.start()
            thread = self._sync_thread
        if thread is not None:
            thread.join(timeout=SYNC_WAIT_SECONDS)

    def _sync_now(self) -> None:
        try:
            inbox.sync(self.engine)
        except Exception:  # noqa: BLE001 - the inbox still opens with what was read before
            logger.exception("review inbox: reading new events failed")
        finally:
            self._synced_at = time.monotonic()

    def _topics(self) -> List[Dict[str, str]]:
        content = load_content()
        return [{"id": t.id, "title": t.question, "intent": t.intent} for t in content.topics.values()]

    @staticmethod
    def _cookie(headers: Mapping[str, str]) -> Optional[str]:
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed Cookie header is "no session"
            return None
        morsel = cookie.get(COOKIE)
        return morsel.value if morsel else None

    def _cookie_header(self, token: str, max_age: int) -> str:
        secure = "; Secure" if self._secure_cookie else ""
        return f"{COOKIE}={token}; Path=/staff; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"


def _param(query: Mapping[str, List[str]], name: str) -> str:
    values = query.get(name) or [""]
    return values[0]


def _flag(query: Mapping[str, List[str]], name: str) -> bool:
    return _param(query, name) in ("1", "true", "yes")


class BodyTooLarge(ValueError):
    pass


def too_large() -> Response:
    return _error(413, "too_large", f"The request body is over {MAX_BODY // 1024} KB.")


def bad_length() -> Response:
    return _error(400, "bad_request", "Content-Length is not a number of bytes.")


def _refuse_cross_site_login(headers: Mapping[str, str]) -> Optional[Response]:
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return _error(415, "unsupported_media_type", "Send the login as JSON (Content-Type: application/json).")
    # Browsers say where a request comes from; curl and scripts send neither header. An opaque origin
    # ("null": a sandboxed frame, a file) is never this site.
    fetch_site = headers.get("sec-fetch-site", "").lower()
    origin = headers.get("origin", "")
    other_origin = bool(origin) and (
        origin == "null" or urlsplit(origin).netloc.lower() != headers.get("host", "").lower()
    )
    if fetch_site not in ("", "same-origin", "none") or other_origin:
        return _error(403, "forbidden", "A login from another site is refused.")
    return None


def _body(body: bytes) -> Dict[str, Any]:
    if len(body) > MAX_BODY:
        raise BodyTooLarge("request body too large")
    data = json.loads(body.decode("utf-8") or "{}")
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def content_security_policy() -> str:
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


def split_path(raw_path: str) -> Tuple[str, Dict[str, List[str]]]:
    parts = urlsplit(raw_path)
    return parts.path, parse_qs(parts.query)
