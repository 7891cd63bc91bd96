"""Rasa's SQL tracker store, hardened: identifiers masked before storing, a bounded start, no silent loss.

`MaskingSQLTrackerStore` is Rasa's `SQLTrackerStore` (same table, SQLite or PostgreSQL), with the leaner
per-turn queries of painfaq.stores.lean_queries, and three changes:

* **Masking**: before an event is written, e-mail addresses, phone numbers and similar identifiers in what
  the user typed are masked (painfaq.privacy.mask_event). The running conversation is not changed (the
  current turn still sees the real text, so the hand-off form gets the e-mail address it asks for and
  stores it in its own table); what is stored is masked. Setting: `mask` (endpoints file) or
  `PAINFAQ_MASK` (`all` by default, `none`, or a comma-separated list of kinds).
* **Bounded start**: Rasa retries an unreachable database every 5 s forever, printing a warning each
  time. This store tries `connect_attempts` times (`PAINFAQ_DB_CONNECT_ATTEMPTS`, default 6) every
  `connect_retry_seconds` (`PAINFAQ_DB_CONNECT_RETRY_SECONDS`, default 5), then raises
  `TrackerStoreUnavailable` with a clear message, and Rasa exits.
* **Engine**: `pool_pre_ping` (a PostgreSQL restart costs no failed turn), `hide_parameters` (an SQL
  error in a log never carries a user's message), for PostgreSQL a 5 s connect timeout and a 10 s
  statement timeout.

Both endpoints files name it: `tracker_store: type: painfaq.stores.tracker_store.MaskingSQLTrackerStore`
(Rasa's own extension point for custom tracker stores).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import time
from typing import Any, Dict, Iterator, Optional, Text, Tuple

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import (
    TrackerStore,
    create_engine_kwargs,
    is_postgresql_url,
    validate_port,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import ConnectionException
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from painfaq import settings
from painfaq.privacy import Masker, mask_event, parse_kinds
from painfaq.stores.lean_queries import LeanQueries

logger = logging.getLogger(__name__)

PG_CONNECT_TIMEOUT_SECONDS = 5
PG_STATEMENT_TIMEOUT_MS = 10_000


class TrackerStoreUnavailable(ConnectionException):
    """The tracker store's database cannot be reached (at start, or during a turn)."""


def safe_url(url: Any) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # a log helper must not fail
        return "<database>"


def describe_error(error: BaseException) -> str:
    """The error's first line, without SQL parameters (the engine hides them; this is belt and braces)."""
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()[0] if str(original).strip() else ""
    return f"{type(original).__name__}: {text}"[:300]


def sqlite_file(url: Any) -> Optional[str]:
    """The database file of an SQLite URL, None for other databases and in-memory SQLite."""
    url = sa.engine.make_url(url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return str(url.database)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Write-ahead log: a commit (one per turn) is an append instead of waiting for the journal and the
    # database file to reach the disk. A committed turn survives a crash of the process; a power cut can
    # lose the turns since the last checkpoint. The mode stays with the file (the action server shares it).
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def create_engine(url: Any) -> Any:
    engine = sa.create_engine(url, **engine_kwargs(url))
    if sqlite_file(engine.url):
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def engine_kwargs(url: Any) -> Dict[str, Any]:
    kwargs: Dict[str, Any] = {**create_engine_kwargs(url), "pool_pre_ping": True, "hide_parameters": True}
    if sqlite_file(url):
        # One connection kept per thread (Rasa uses the store from its event loop's thread) instead of a
        # new one per query (SQLAlchemy 1.4's NullPool for SQLite files): with the write-ahead log, closing
        # the last connection checkpoints and deletes the log, which made every turn slower, not faster.
        kwargs["poolclass"] = sa.pool.SingletonThreadPool
    if is_postgresql_url(url):
        connect_args = dict(kwargs.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", PG_CONNECT_TIMEOUT_SECONDS)
        # A query stuck behind a lock fails after this long instead of holding Rasa's event loop.
        options = f"{connect_args.get('options', '')} -c statement_timeout={PG_STATEMENT_TIMEOUT_MS}"
        connect_args["options"] = options.strip()
        kwargs["connect_args"] = connect_args
    return kwargs


class MaskingSQLTrackerStore(LeanQueries):
    """See the module docstring."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        dialect: Text = "sqlite",
        host: Optional[Text] = None,
        port: Optional[int] = None,
        db: Text = "rasa.db",
        username: Optional[Text] = None,
        password: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        login_db: Optional[Text] = None,
        query: Optional[Dict] = None,
        mask: Any = None,
        connect_attempts: Optional[int] = None,
        connect_retry_seconds: Optional[float] = None,
        **kwargs: Dict[Text, Any],
    ) -> None:
        # Not SQLTrackerStore.__init__: it loops forever while the database is unreachable.
        self.masker = Masker(parse_kinds(mask) if mask is not None else parse_kinds(settings.MASK.text()))
        attempts = int(connect_attempts or settings.DB_CONNECT_ATTEMPTS.integer())
        retry_seconds = float(
            connect_retry_seconds if connect_retry_seconds is not None else settings.DB_CONNECT_RETRY_SECONDS.number()
        )
        engine_url = self.get_db_url(dialect, host, validate_port(port), db, username, password, login_db, query)
        self.engine = create_engine(engine_url)
        for attempt in range(1, max(1, attempts) + 1):
            try:
                if login_db:
                    self._create_database_and_update_engine(db, engine_url)
                    self.engine = create_engine(self.engine.url)
                with self.engine.connect():
                    pass
                try:
                    self.Base.metadata.create_all(self.engine)
                except (sa.exc.OperationalError, sa.exc.ProgrammingError) as error:
                    # Several Rasa workers may create the table at once; one of them wins. If the table is
                    # still missing, the first query fails and says so.
                    logger.warning("tracker store: could not create tables (%s)", describe_error(error))
                break
            except (sa.exc.OperationalError, sa.exc.IntegrityError, sa.exc.InterfaceError) as error:
                where = safe_url(self.engine.url)
                if attempt >= attempts:
                    message = (
                        f"cannot reach the tracker store database {where} after {attempts} attempt(s): "
                        f"{describe_error(error)}. Check the tracker_store section of the endpoints file and that "
                        f"the database is running (attempts: {settings.DB_CONNECT_ATTEMPTS.name}, "
                        f"{settings.DB_CONNECT_RETRY_SECONDS.name})."
                    )
                    logger.critical(message)
                    self.engine.dispose()
                    raise TrackerStoreUnavailable(message) from None
                logger.warning(
                    "tracker store: database %s unreachable (attempt %d of %d): %s; retrying in %.0f s",
                    where,
                    attempt,
                    attempts,
                    describe_error(error),
                    retry_seconds,
                )
                time.sleep(retry_seconds)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._sqlite_path = sqlite_file(self.engine.url)
        self._sqlite_identity = _file_identity(self._sqlite_path)
        TrackerStore.__init__(self, domain, event_broker, **kwargs)

    @contextlib.contextmanager
    def session_scope(self) -> Iterator[Any]:
        self._follow_sqlite_file()
        with super().session_scope() as session:
            yield session

    def _follow_sqlite_file(self) -> None:
        """A kept SQLite connection holds the file it opened. If the file at the configured path was
        removed or replaced (restored from a backup, deleted by mistake), drop the kept connections so
        the next query opens the path again: it fails if nothing usable is there (the turn gets the
        apology), and it uses the new file if one is."""
        if self._sqlite_path is None:
            return
        identity = _file_identity(self._sqlite_path)
        if identity != self._sqlite_identity:
            self.engine.dispose()
            self._sqlite_identity = identity

    def serialise_event(self, data: Dict[str, Any]) -> str:
        return json.dumps(mask_event(data, self.masker))

    async def save(self, tracker: DialogueStateTracker) -> None:
        """SQLTrackerStore.save, with the stored JSON masked.

        The new events go in as one multi-row INSERT (same rows and columns, in event order) instead of an
        ORM object per event: SQLAlchemy's unit of work was 10 % of a Rasa worker's CPU per turn."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = []
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        "action_name": data.get("name"),
                        "data": self.serialise_event(data),
                    }
                )
            if rows:
                session.execute(sa.insert(self.SQLEvent.__table__), rows)
            session.commit()


def _file_identity(path: Optional[str]) -> Optional[Tuple[int, int, bool]]:
    if path is None:
        return None
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino, stat.S_ISREG(status.st_mode)
