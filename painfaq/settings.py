"""Every environment variable the project reads, in one typed place: its name, default and meaning.

Values are read when asked for, not at import, so a test or a launcher can set a variable first.
`python -m painfaq.settings` prints the table (docs/production.md lists the same).

Variables read by the tools underneath are not repeated here: Rasa (SANIC_WORKERS, SANIC_HOST, ...),
rasa_sdk (ACTION_SERVER_SANIC_WORKERS) and the production endpoints file (DB_*, REDIS_*,
ACTION_SERVER_URL: painfaq/serving/production.py checks those).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Setting:
    name: str
    default: Optional[str]
    meaning: str

    def raw(self, environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
        """The variable's value in `environ` (default: this process's environment); the default when it is
        unset or empty. A launcher passes the environment it is preparing for the process it starts."""
        value = (os.environ if environ is None else environ).get(self.name)
        return self.default if value in (None, "") else value

    def is_set(self, environ: Optional[Mapping[str, str]] = None) -> bool:
        return (os.environ if environ is None else environ).get(self.name) not in (None, "")

    def text(self, environ: Optional[Mapping[str, str]] = None) -> str:
        return self.raw(environ) or ""

    def integer(self) -> int:
        return int(self.text())

    def number(self) -> float:
        return float(self.text())

    def switch(self) -> bool:
        return self.text().strip().lower() not in ("0", "off", "false", "no")

    def path(self) -> Path:
        path = Path(self.text())
        return path if path.is_absolute() else REPO_ROOT / path


ALL: Dict[str, Setting] = {}


def _define(name: str, default: Optional[str], meaning: str) -> Setting:
    setting = Setting(name, default, meaning)
    ALL[name] = setting
    return setting


# Content and models
CONTENT_DIR = _define("PAINFAQ_CONTENT_DIR", "content", "folder of faq.yml, safety.yml and their schemas")
SPACY_MODEL = _define("PAINFAQ_SPACY_MODEL", "models/spacy/en_painfaq", "spaCy pipeline the safety rules use")
SPEEDUPS = _define(
    "PAINFAQ_SPEEDUPS", "on", "`off` serves with stock Rasa code paths (painfaq/rasa_patches/speedups.py)"
)

# The guarded REST channel (credentials.yml holds the same settings; the variable wins when set)
MAX_MESSAGE_CHARS = _define("PAINFAQ_MAX_MESSAGE_CHARS", None, "longer messages get 'please keep it shorter'")
MAX_BODY_BYTES = _define("PAINFAQ_MAX_BODY_BYTES", None, "larger request bodies get 413")
MAX_SENDER_CHARS = _define("PAINFAQ_MAX_SENDER_CHARS", None, "longer sender ids are refused")
RATE_PER_SENDER = _define("PAINFAQ_RATE_PER_SENDER", None, "burst/per-minute per sender id; `off` disables")
RATE_PER_ADDRESS = _define("PAINFAQ_RATE_PER_ADDRESS", None, "burst/per-minute per client address; `off` disables")
IN_FLIGHT_PER_ADDRESS = _define("PAINFAQ_IN_FLIGHT_PER_ADDRESS", None, "turns in progress at once per address")
TURN_TIMEOUT = _define(
    "PAINFAQ_TURN_TIMEOUT", "20", "seconds before the user gets the apology (HAProxy waits 5 s longer for the turn)"
)
ACTION_TIMEOUT = _define("PAINFAQ_ACTION_TIMEOUT", None, "seconds Rasa waits for the action server")
RATE_LIMIT_REDIS_URL = _define(
    "PAINFAQ_RATE_LIMIT_REDIS_URL", None, "redis://... to count the limits in Redis, shared by workers and instances"
)
LISTEN_FD = _define(
    "PAINFAQ_LISTEN_FD",
    None,
    "serve Rasa on this inherited listening socket (set by the supervisor, which holds the port across restarts)",
)
LOCK_LEASE_SECONDS = _define(
    "PAINFAQ_LOCK_LEASE_SECONDS",
    "10",
    "Redis lock store: a conversation ticket's lease, renewed every third of it while its turn waits or runs",
)
ACTION_SERVER_TOKEN = _define(
    "ACTION_SERVER_TOKEN", "", "shared secret between Rasa and the action server (scripts/run.sh makes one per run)"
)

# Ports and addresses of the container's servers (painfaq/serving/container.py, healthcheck.py)
RASA_PORT = _define("RASA_PORT", "5005", "container: port Rasa's REST channel listens on")
ACTION_PORT = _define("ACTION_PORT", "5055", "container: port the action server listens on")
WEB_PORT = _define("WEB_PORT", "8080", "container: port of the demo page and the staff pages")
RASA_URL = _define("RASA_URL", "http://localhost:5005", "container: where the demo/staff server finds Rasa")

# Privacy
MASK = _define("PAINFAQ_MASK", "all", "identifiers masked before storing: all, none, or a list (email,phone,...)")
LOG_MASK = _define("PAINFAQ_LOG_MASK", None, "identifiers masked in log records (default: PAINFAQ_MASK, else all)")

# Stores
ENDPOINTS = _define("PAINFAQ_ENDPOINTS", "endpoints.yml", "endpoints file the staff tools read the database from")
DB_URL = _define("PAINFAQ_DB_URL", None, "SQLAlchemy URL of the database (overrides the endpoints file)")
POSTGRESQL_SCHEMA = _define(
    "POSTGRESQL_SCHEMA", None, "PostgreSQL schema (Rasa's own variable); the project's tables follow it too"
)
DB_CONNECT_ATTEMPTS = _define("PAINFAQ_DB_CONNECT_ATTEMPTS", "6", "tries to reach the tracker store at start")
DB_CONNECT_RETRY_SECONDS = _define("PAINFAQ_DB_CONNECT_RETRY_SECONDS", "5", "seconds between those tries")

# Staff pages (painfaq/staff)
STAFF_SECURE_COOKIE = _define(
    "PAINFAQ_STAFF_SECURE_COOKIE", "off", "`on` marks the staff session cookie Secure (serve /staff/ over HTTPS)"
)

# Staff accounts (scripts/staff_user.py)
STAFF_PASSWORD = _define(
    "STAFF_PASSWORD", None, "`make staff-user`: the new password, for scripts (unset: asked without echo)"
)

# Runtime files (scripts/run.sh, scripts/run_production.sh)
RUN_DIR = _define("RUN_DIR", ".run", "supervisor socket and configuration, generated files, the served model's name")

# Retention
RETENTION_DAYS = _define("RETENTION_DAYS", None, "`make prune` keeps this many days of conversations (no default)")

# Hand-off to a person
HANDOFF_WEBHOOK_URL = _define("HANDOFF_WEBHOOK_URL", None, "help-desk webhook that receives hand-off requests")
HANDOFF_WEBHOOK_TOKEN = _define("HANDOFF_WEBHOOK_TOKEN", None, "bearer token sent to that webhook")
HANDOFF_WEBHOOK_ATTEMPTS = _define("HANDOFF_WEBHOOK_ATTEMPTS", "3", "delivery attempts per request")
HANDOFF_WEBHOOK_BACKOFF = _define("HANDOFF_WEBHOOK_BACKOFF", "0.5", "seconds before the first retry (doubles)")
HANDOFF_WEBHOOK_TIMEOUT = _define("HANDOFF_WEBHOOK_TIMEOUT", "5", "seconds per delivery attempt")


def table() -> str:
    rows = [f"{s.name:34} {s.default if s.default is not None else '(unset)':26} {s.meaning}" for s in ALL.values()]
    return "\n".join([f"{'variable':34} {'default':26} meaning", *rows])


if __name__ == "__main__":
    print(table())
