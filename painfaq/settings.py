"""Every environment variable the project reads, in one typed place: its name, default and meaning.

Values are read when asked for, not at import, so a test or a launcher can set a variable first.
`python -m painfaq.settings` prints the table (docs/production.md lists the same).

Variables read by the tools underneath are not repeated here: Rasa (SANIC_WORKERS, SANIC_HOST, ...),
rasa_sdk (ACTION_SERVER_SANIC_WORKERS) and the production endpoints file (DB_*, REDIS_*,
ACTION_SERVER_URL: painfaq/serving/production.py checks those).

Each variable declares its kind (text, integer, number, switch, path): reading it as another kind is a
programming error (TypeError), and a value that does not parse as its kind is reported by `problems()` before
any server starts (painfaq/serving/preflight.py, run by the launchers). Variables the launch scripts read
(`read_by="shell"`) are declared here too, with the default the scripts use (tests/unit/test_settings.py
compares them), so this file is the one list.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional

REPO_ROOT = Path(__file__).resolve().parents[1]


KINDS = ("text", "integer", "number", "switch", "path")
_SWITCH_VALUES = {"1", "on", "true", "yes", "0", "off", "false", "no"}


@dataclass(frozen=True)
class Setting:
    name: str
    default: Optional[str]
    meaning: str
    kind: str = "text"
    read_by: str = "python"  # or "shell": the launch scripts read it (scripts/run.sh, run_production.sh, ...)

    def _as(self, kind: str) -> str:
        if self.kind != kind:
            raise TypeError(f"{self.name} is declared as {self.kind}, not read as {kind} (painfaq/settings.py)")
        return self.text()

    def problem(self, environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
        """Why the variable's value cannot be read as its kind, or None."""
        value = self.raw(environ)
        if value is None or self.kind in ("text", "path"):
            return None
        try:
            if self.kind == "integer":
                int(value)
            elif self.kind == "number":
                float(value)
            elif value.strip().lower() not in _SWITCH_VALUES:
                raise ValueError(value)
        except ValueError:
            expected = {"integer": "an integer", "number": "a number"}.get(self.kind, "on or off")
            return f"{self.name}={value!r} is not {expected}"
        return None

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
        return int(self._as("integer"))

    def number(self) -> float:
        return float(self._as("number"))

    def switch(self) -> bool:
        return self._as("switch").strip().lower() not in ("0", "off", "false", "no")

    def path(self) -> Path:
        path = Path(self._as("path"))
        return path if path.is_absolute() else REPO_ROOT / path


ALL: Dict[str, Setting] = {}


def _define(name: str, default: Optional[str], meaning: str, kind: str = "text", read_by: str = "python") -> Setting:
    if kind not in KINDS:
        raise ValueError(f"{name}: unknown kind {kind!r}")
    setting = Setting(name, default, meaning, kind, read_by)
    ALL[name] = setting
    return setting


def problems(environ: Optional[Mapping[str, str]] = None) -> List[str]:
    """Every variable whose value does not parse as its declared kind."""
    return [problem for setting in ALL.values() if (problem := setting.problem(environ))]


# Content and models
CONTENT_DIR = _define("PAINFAQ_CONTENT_DIR", "content", "folder of faq.yml, safety.yml and their schemas", kind="path")
SPACY_MODEL = _define(
    "PAINFAQ_SPACY_MODEL", "models/spacy/en_painfaq", "spaCy pipeline the safety rules use", kind="path"
)
SPEEDUPS = _define(
    "PAINFAQ_SPEEDUPS",
    "on",
    "`off` serves with stock Rasa code paths (painfaq/rasa_patches/speedups.py)",
    kind="switch",
)

# The guarded REST channel (credentials.yml holds the same settings; the variable wins when set)
MAX_MESSAGE_CHARS = _define(
    "PAINFAQ_MAX_MESSAGE_CHARS", None, "longer messages get 'please keep it shorter'", kind="integer"
)
MAX_BODY_BYTES = _define("PAINFAQ_MAX_BODY_BYTES", None, "larger request bodies get 413", kind="integer")
MAX_SENDER_CHARS = _define("PAINFAQ_MAX_SENDER_CHARS", None, "longer sender ids are refused", kind="integer")
RATE_PER_SENDER = _define("PAINFAQ_RATE_PER_SENDER", None, "burst/per-minute per sender id; `off` disables")
RATE_PER_ADDRESS = _define("PAINFAQ_RATE_PER_ADDRESS", None, "burst/per-minute per client address; `off` disables")
IN_FLIGHT_PER_ADDRESS = _define(
    "PAINFAQ_IN_FLIGHT_PER_ADDRESS", None, "turns in progress at once per address", kind="integer"
)
TURN_TIMEOUT = _define(
    "PAINFAQ_TURN_TIMEOUT",
    "20",
    "seconds before the user gets the apology (HAProxy waits 5 s longer for the turn)",
    kind="number",
)
ACTION_TIMEOUT = _define("PAINFAQ_ACTION_TIMEOUT", None, "seconds Rasa waits for the action server", kind="number")
RATE_LIMIT_REDIS_URL = _define(
    "PAINFAQ_RATE_LIMIT_REDIS_URL", None, "redis://... to count the limits in Redis, shared by workers and instances"
)
LISTEN_FD = _define(
    "PAINFAQ_LISTEN_FD",
    None,
    "serve Rasa on this inherited listening socket (set by the supervisor, which holds the port across restarts)",
    kind="integer",
)
LOCK_LEASE_SECONDS = _define(
    "PAINFAQ_LOCK_LEASE_SECONDS",
    "10",
    "Redis lock store: a conversation ticket's lease, renewed every third of it while its turn waits or runs",
    kind="number",
)
ACTION_SERVER_TOKEN = _define(
    "ACTION_SERVER_TOKEN", "", "shared secret between Rasa and the action server (scripts/run.sh makes one per run)"
)

# Ports and addresses of the container's servers (painfaq/serving/container.py, healthcheck.py)
RASA_PORT = _define("RASA_PORT", "5005", "container: port Rasa's REST channel listens on", kind="integer")
ACTION_PORT = _define("ACTION_PORT", "5055", "container: port the action server listens on", kind="integer")
WEB_PORT = _define("WEB_PORT", "8080", "container: port of the demo page and the staff pages", kind="integer")
RASA_URL = _define("RASA_URL", "http://localhost:5005", "container: where the demo/staff server finds Rasa")

# Privacy
MASK = _define("PAINFAQ_MASK", "all", "identifiers masked before storing: all, none, or a list (email,phone,...)")
LOG_MASK = _define("PAINFAQ_LOG_MASK", None, "identifiers masked in log records (default: PAINFAQ_MASK, else all)")

# Stores
ENDPOINTS = _define(
    "PAINFAQ_ENDPOINTS", "endpoints.yml", "endpoints file the staff tools read the database from", kind="path"
)
DB_URL = _define("PAINFAQ_DB_URL", None, "SQLAlchemy URL of the database (overrides the endpoints file)")
POSTGRESQL_SCHEMA = _define(
    "POSTGRESQL_SCHEMA", None, "PostgreSQL schema (Rasa's own variable); the project's tables follow it too"
)
DB_CONNECT_ATTEMPTS = _define(
    "PAINFAQ_DB_CONNECT_ATTEMPTS", "6", "tries to reach the tracker store at start", kind="integer"
)
DB_CONNECT_RETRY_SECONDS = _define(
    "PAINFAQ_DB_CONNECT_RETRY_SECONDS", "5", "seconds between those tries", kind="number"
)

# Staff pages (painfaq/staff)
STAFF_SECURE_COOKIE = _define(
    "PAINFAQ_STAFF_SECURE_COOKIE",
    "off",
    "`on` marks the staff session cookie Secure (serve /staff/ over HTTPS)",
    kind="switch",
)

# Staff accounts (scripts/staff_user.py)
STAFF_PASSWORD = _define(
    "STAFF_PASSWORD", None, "`make staff-user`: the new password, for scripts (unset: asked without echo)"
)

# Read by the launch scripts (scripts/run.sh, scripts/run_production.sh, scripts/lib/, scripts/model.sh)
MODEL = _define(
    "MODEL", None, "model archive to serve (unset: the one for the current data, scripts/model.sh)", read_by="shell"
)
FORCE_TRAIN = _define("FORCE_TRAIN", "0", "`1`: scripts/model.sh trains even if a model exists", "switch", "shell")
FRONT_DOOR_MODE = _define(
    "FRONT_DOOR_MODE", "on", "`off`: no HAProxy in front of Rasa (Rasa takes the port)", "switch", "shell"
)
RASA_INTERFACE = _define("RASA_INTERFACE", "0.0.0.0", "address the front door (or Rasa) listens on", read_by="shell")
RASA_BACKEND_INTERFACE = _define(
    "RASA_BACKEND_INTERFACE", "127.0.0.1", "address Rasa listens on behind HAProxy", read_by="shell"
)
RASA_BACKEND_PORT = _define(
    "RASA_BACKEND_PORT", None, "port Rasa listens on behind HAProxy (unset: a free one)", "integer", "shell"
)
RASA_BACKUPS = _define(
    "RASA_BACKUPS",
    "",
    "production: other instances (host:port, space-separated) HAProxy may hand turns to",
    read_by="shell",
)
RASA_WORKERS = _define("RASA_WORKERS", "2", "production: Rasa worker processes", "integer", "shell")
ACTION_WORKERS = _define("ACTION_WORKERS", "2", "production: action-server worker processes", "integer", "shell")
ACTION_INTERFACE = _define("ACTION_INTERFACE", "127.0.0.1", "address the action server listens on", read_by="shell")
WEB_INTERFACE = _define("WEB_INTERFACE", "127.0.0.1", "address the demo and staff pages listen on", read_by="shell")
CORS_ORIGINS = _define(
    "CORS_ORIGINS",
    None,
    "space-separated origins of pages that embed the widget (make run: the demo page)",
    read_by="shell",
)
SUPERVISE_MAX_RESTARTS = _define(
    "SUPERVISE_MAX_RESTARTS", "5", "restarts of a crashing server before the supervisor gives up", "integer", "shell"
)
LOG_DIR = _define("LOG_DIR", "logs", "servers' log files", "path", "shell")
VENV = _define("VENV", ".venv", "the virtual environment scripts/setup.sh creates", "path", "shell")
PYTHON = _define(
    "PYTHON", None, "the Python 3.8-3.10 interpreter setup uses (unset: the first one found)", read_by="shell"
)

# Runtime files (scripts/run.sh, scripts/run_production.sh)
RUN_DIR = _define(
    "RUN_DIR", ".run", "supervisor socket and configuration, generated files, the served model's name", kind="path"
)

# Retention
RETENTION_DAYS = _define(
    "RETENTION_DAYS", None, "`make prune` keeps this many days of conversations (no default)", kind="integer"
)

# Hand-off to a person
HANDOFF_WEBHOOK_URL = _define("HANDOFF_WEBHOOK_URL", None, "help-desk webhook that receives hand-off requests")
HANDOFF_WEBHOOK_TOKEN = _define("HANDOFF_WEBHOOK_TOKEN", None, "bearer token sent to that webhook")
HANDOFF_WEBHOOK_ATTEMPTS = _define("HANDOFF_WEBHOOK_ATTEMPTS", "3", "delivery attempts per request", kind="integer")
HANDOFF_WEBHOOK_BACKOFF = _define(
    "HANDOFF_WEBHOOK_BACKOFF", "0.5", "seconds before the first retry (doubles)", kind="number"
)
HANDOFF_WEBHOOK_TIMEOUT = _define("HANDOFF_WEBHOOK_TIMEOUT", "5", "seconds per delivery attempt", kind="number")


QUIET_ENV_FILE = REPO_ROOT / "scripts" / "lib" / "quiet.env"


def quiet_environment() -> Dict[str, str]:
    """The variables every process starts with unless already set (scripts/lib/quiet.env says why each)."""
    pairs = {}
    for line in QUIET_ENV_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def table() -> str:
    rows = [
        f"{s.name:34} {s.kind:8} {s.default if s.default is not None else '(unset)':26} {s.meaning}"
        for s in ALL.values()
    ]
    return "\n".join([f"{'variable':34} {'kind':8} {'default':26} meaning", *rows])


def markdown_table() -> str:
    """The same list for docs/production.md (written there by scripts/docs_figures.py)."""

    def default(setting: Setting) -> str:
        return "unset" if setting.default is None else ("empty" if setting.default == "" else f"`{setting.default}`")

    rows = [f"| `{s.name}` | {s.kind} | {default(s)} | {s.meaning.replace('|', '/')} |" for s in ALL.values()]
    return "\n".join(["| variable | kind | default | meaning |", "|---|---|---|---|", *rows]) + "\n"


if __name__ == "__main__":
    print(table())
    for problem in problems():
        print(f"problem: {problem}")
