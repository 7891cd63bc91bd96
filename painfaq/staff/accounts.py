"""Staff accounts and login sessions.

Passwords are hashed with argon2id (argon2-cffi, the OWASP-recommended scheme). A login creates a session:
a random token in an HttpOnly, SameSite=Strict cookie (only its SHA-256 is stored) and a random CSRF token
that every write must send back in the `X-CSRF-Token` header (synchronizer-token pattern).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Optional

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from painfaq.stores import db

SESSION_SECONDS = 8 * 3600
MIN_PASSWORD_CHARS = 12
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")

_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class Session:
    username: str
    csrf: str
    expires_at: float


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_new_credentials(username: str, password: str) -> str:
    name = username.strip().lower()
    if not name or len(name) > 100 or not set(name) <= USERNAME_CHARS:
        raise AccountError("username: 1-100 characters, letters, digits, '.', '_' or '-'")
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"password: at least {MIN_PASSWORD_CHARS} characters")
    return name


def create_user(engine: Engine, username: str, password: str) -> str:
    """Create a staff user, or set a new password for an existing one. Returns the stored username."""
    name = check_new_credentials(username, password)
    password_hash = _hasher.hash(password)
    with engine.begin() as conn:
        updated = conn.execute(
            sa.update(db.staff_users).where(db.staff_users.c.username == name).values(password_hash=password_hash)
        ).rowcount
        if not updated:
            conn.execute(
                sa.insert(db.staff_users).values(username=name, password_hash=password_hash, created_at=time.time())
            )
    return name


def verify_password(engine: Engine, username: str, password: str) -> Optional[str]:
    """The username if the password is right, else None (same work either way)."""
    name = username.strip().lower()
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(db.staff_users.c.password_hash).where(db.staff_users.c.username == name)
        ).scalar_one_or_none()
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return name if stored else None


def start_session(engine: Engine, username: str) -> tuple:
    """(cookie token, Session) for a user who just logged in."""
    token = secrets.token_urlsafe(32)
    session = Session(username=username, csrf=secrets.token_urlsafe(32), expires_at=time.time() + SESSION_SECONDS)
    with engine.begin() as conn:
        conn.execute(sa.delete(db.staff_sessions).where(db.staff_sessions.c.expires_at < time.time()))
        conn.execute(
            sa.insert(db.staff_sessions).values(
                token_hash=_token_hash(token), username=username, csrf=session.csrf, expires_at=session.expires_at
            )
        )
    return token, session


def find_session(engine: Engine, token: Optional[str]) -> Optional[Session]:
    if not token:
        return None
    s = db.staff_sessions
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(s.c.username, s.c.csrf, s.c.expires_at).where(s.c.token_hash == _token_hash(token))
        ).first()
    if row is None or row.expires_at < time.time():
        return None
    return Session(username=row.username, csrf=row.csrf, expires_at=row.expires_at)


def end_session(engine: Engine, token: Optional[str]) -> None:
    if token:
        with engine.begin() as conn:
            conn.execute(sa.delete(db.staff_sessions).where(db.staff_sessions.c.token_hash == _token_hash(token)))


def csrf_ok(session: Session, sent: Optional[str]) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf.encode(), (sent or "").encode())
