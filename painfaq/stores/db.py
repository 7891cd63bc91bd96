"""The project's SQL database: the same one as Rasa's tracker store (SQLite by default, PostgreSQL in
production), plus the tables this project adds for hand-off requests and feedback.

The database is found the way Rasa finds it: the `tracker_store` section of the endpoints file
(`$PAINFAQ_ENDPOINTS`, default `endpoints.yml` in the repo root), with `${ENV_VAR}` references expanded
like Rasa does. A relative SQLite `db` path is taken relative to the repo root (where `make run` starts
Rasa). `$PAINFAQ_DB_URL` (an SQLAlchemy URL) overrides the endpoints file.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from pathlib import Path
from typing import Any, Dict, Optional, Union
from urllib.parse import urlsplit

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import URL, Engine

from painfaq import settings

REPO_ROOT = settings.REPO_ROOT
ENV_VAR_PATTERN = re.compile(r"\$\{([^}]+)\}")

metadata = sa.MetaData()

# Rasa's own table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent), mirrored so the report, the
# retention job and the test seeders can read and write it without importing Rasa.
# tests/unit/test_handoff_storage.py checks that this mirror matches Rasa's definition.
events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)

# One row per submitted hand-off request. `transcript` is JSON (a list of {role, text, timestamp, ...}).
# `status`: "not_configured" (no webhook URL was set), "pending" (webhook failed; to be retried) or
# "delivered".
handoff_requests = sa.Table(
    "painfaq_handoff_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("created_at", sa.Float, nullable=False, index=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("email", sa.String(320)),
    sa.Column("transcript", sa.Text, nullable=False),
    sa.Column("status", sa.String(32), nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),
    sa.Column("last_attempt_at", sa.Float),
    sa.Column("delivered_at", sa.Float),
)

# One row per answer the user rated ("Was this helpful?"); rating the same answer again replaces the row.
feedback = sa.Table(
    "painfaq_feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("created_at", sa.Float, nullable=False, index=True),
    sa.Column("topic", sa.String(100), nullable=False),
    sa.Column("helpful", sa.Boolean, nullable=False),
    sa.Column("prompt_at", sa.Float),  # timestamp of the "Was this helpful?" message it answers
)

# Support staff (painfaq/staff): accounts, login sessions, the review inbox and its labels.
staff_users = sa.Table(
    "painfaq_staff_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(100), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),  # argon2id, painfaq.staff.accounts
    sa.Column("created_at", sa.Float, nullable=False),
)

# A session cookie holds a random token; only its SHA-256 is stored. `csrf` is sent back on every write.
staff_sessions = sa.Table(
    "painfaq_staff_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
)

# One row per user message the assistant failed or hesitated on, read from the events table by
# painfaq.staff.inbox.sync (text masked as in the report; safety turns are counted, never stored).
review_items = sa.Table(
    "painfaq_review_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.Integer, nullable=False),  # the user event's id in `events`
    sa.Column("sender_tag", sa.String(16), nullable=False),
    sa.Column("timestamp", sa.Float, nullable=False, index=True),
    sa.Column("outcome", sa.String(32), nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("group_key", sa.String(500), nullable=False, index=True),
    sa.Column("guesses", sa.Text, nullable=False),  # JSON: [{"intent", "confidence"}], best first
    sa.Column("reply", sa.Text, nullable=False),
    sa.Column("clicked", sa.String(255)),  # after "did you mean": the button payload the person clicked
)
sa.Index("ix_review_items_outcome_time", review_items.c.outcome, review_items.c.timestamp)
# One message can be in the inbox twice (declined, then a hand-off request), never twice for one reason.
sa.Index("ux_review_items_event_outcome", review_items.c.event_id, review_items.c.outcome, unique=True)

# Counters the sync keeps: the events cursor and the number of safety turns (counted, never shown).
review_state = sa.Table(
    "painfaq_review_state",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
)

# A reviewer's label for a group of messages (its group_key). `undone_at` set = taken back.
review_labels = sa.Table(
    "painfaq_review_labels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("group_key", sa.String(500), nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),  # the group's example, as the reviewer saw it
    sa.Column("label", sa.String(32), nullable=False),  # topic | out_of_scope | needs_content | ignore
    sa.Column("topic", sa.String(100)),
    sa.Column("labelled_by", sa.String(100), nullable=False),
    sa.Column("labelled_at", sa.Float, nullable=False, index=True),
    sa.Column("undone_at", sa.Float),
)

PROJECT_TABLES = (
    handoff_requests,
    feedback,
    staff_users,
    staff_sessions,
    review_items,
    review_state,
    review_labels,
)


class DatabaseNotConfigured(RuntimeError):
    """The endpoints file has no SQL tracker store and no PAINFAQ_DB_URL is set."""


def expand_env_vars(value: Any) -> Any:
    """Expand `${VAR}` in strings (nested in dicts/lists), failing on unset variables like Rasa does."""
    if isinstance(value, dict):
        return {k: expand_env_vars(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env_vars(v) for v in value]
    if isinstance(value, str):

        def replace(match: "re.Match[str]") -> str:
            # process environment: any ${VAR} the endpoints file names, expanded as Rasa expands it.
            name = match.group(1)
            value = os.environ.get(name)  # process environment: as above
            if value is None:
                raise DatabaseNotConfigured(f"environment variable {name} used in the endpoints file is not set")
            return value

        return ENV_VAR_PATTERN.sub(replace, value)
    return value


def endpoints_path(path: Optional[Union[str, Path]] = None) -> Path:
    return Path(path) if path else settings.ENDPOINTS.path()


def is_sql_tracker_store(config: Optional[Dict[str, Any]]) -> bool:
    """`type: SQL`, or a tracker store class configured like it (the project's MaskingSQLTrackerStore)."""
    return str((config or {}).get("type", "")).lower() == "sql" or bool({"dialect", "db"} & set(config or {}))


def url_from_tracker_store(config: Dict[str, Any], base_dir: Path = REPO_ROOT) -> Union[URL, str]:
    """The SQLAlchemy URL for a `tracker_store` section, built like Rasa's SQLTrackerStore.get_db_url."""
    if not config or not is_sql_tracker_store(config):
        raise DatabaseNotConfigured(
            "the endpoints file has no SQL tracker_store (type: SQL); set one or set PAINFAQ_DB_URL"
        )
    dialect = str(config.get("dialect") or "sqlite")
    db = str(config.get("db") or "rasa.db")
    if dialect.split("+")[0] == "sqlite":
        path = Path(db)
        if db != ":memory:" and not path.is_absolute():
            path = base_dir / path
        return URL.create(dialect, database=str(path))
    # Rasa passes the endpoint's `url` as the host (rasa.core.tracker_store.create_tracker_store).
    host = config.get("url") or config.get("host")
    port = config.get("port")
    if host and "://" in str(host):
        return str(host)  # a complete URL in `host`, as Rasa allows
    if host:
        parsed = urlsplit(f"scheme://{host}")
        port = parsed.port or port
        host = parsed.hostname or host
    return URL.create(
        dialect,
        username=config.get("username"),
        password=config.get("password"),
        host=host,
        port=int(port) if port else None,
        database=db,  # Rasa connects to `login_db` first only to create `db`; the data lives in `db`
        query=config.get("query") or {},
    )


def database_url(endpoints: Optional[Union[str, Path]] = None) -> Union[URL, str]:
    """$PAINFAQ_DB_URL, else the tracker store of the endpoints file."""
    if endpoints is None and settings.DB_URL.is_set():
        return settings.DB_URL.text()
    path = endpoints_path(endpoints)
    if not path.exists():
        raise DatabaseNotConfigured(f"endpoints file not found: {path}")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return url_from_tracker_store(expand_env_vars(raw.get("tracker_store") or {}))


def safe_url(url: Union[URL, str]) -> str:
    """The URL for log lines: never the password."""
    try:
        return sa.engine.make_url(str(url) if isinstance(url, str) else url).render_as_string(hide_password=True)
    except Exception:  # a log helper must not fail
        return "<unparseable database URL>"


_engines: Dict[str, Engine] = {}
_engines_lock = threading.Lock()


def make_engine(url: Union[URL, str]) -> Engine:
    url = sa.engine.make_url(url) if isinstance(url, str) else url
    # hide_parameters: an SQL error message must never carry a user's email or question into a log.
    kwargs: Dict[str, Any] = {"future": True, "hide_parameters": True}
    if url.get_backend_name() == "sqlite":
        # Rasa writes to the same file; wait for its lock instead of failing at once.
        kwargs["connect_args"] = {"timeout": 30}
    elif url.get_backend_name() == "postgresql":
        kwargs["pool_pre_ping"] = True
        schema = settings.POSTGRESQL_SCHEMA.raw()  # same variable Rasa's tracker store honours
        if schema:
            kwargs["connect_args"] = {"options": f"-csearch_path={schema}"}
    return sa.create_engine(url, **kwargs)


def get_engine(url: Optional[Union[URL, str]] = None, create_tables: bool = True) -> Engine:
    """A cached engine for `url` (default: database_url()), with the project's tables created."""
    url = url if url is not None else database_url()
    key = url.render_as_string(hide_password=False) if isinstance(url, URL) else str(url)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = make_engine(url)
            if create_tables:
                ensure_tables(engine)
            _engines[key] = engine
    return engine


def ensure_tables(engine: Engine, include_events: bool = False) -> None:
    """Create the project's tables (and Rasa's `events` table if asked, for seeding) when missing."""
    tables = list(PROJECT_TABLES) + ([events] if include_events else [])
    metadata.create_all(engine, tables=tables, checkfirst=True)


def dispose_engines() -> None:
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@functools.lru_cache(maxsize=1)
def _email_pattern() -> "re.Pattern[str]":
    return re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def find_email(text: str) -> Optional[str]:
    match = _email_pattern().search(text or "")
    return match.group(0) if match else None


def mask_email(email: Optional[str]) -> str:
    """`jane.doe@example.org` -> `j***@e***.org`: enough to tell two apart in a log, not to read one."""
    if not email:
        return "-"
    local, _, domain = email.partition("@")
    host, _, tld = domain.rpartition(".")
    return f"{local[:1]}***@{host[:1]}***.{tld}" if host else f"{local[:1]}***@***"


def redact_emails(text: str, replacement: str = "[email]") -> str:
    return _email_pattern().sub(replacement, text or "")
