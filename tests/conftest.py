"""Shared fixtures: tracker fixtures for offline action tests, the real servers for end-to-end tests, and one
throwaway PostgreSQL and Redis for every test that needs them (tests/integration, production, reliability)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

from tests.harness import services
from tests.harness.stack import Stack, start_stack

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def live_servers() -> Iterator[Stack]:
    """The real action server + Rasa server (REST channel), started once for the test session."""
    stack = start_stack()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[services.Postgres]:
    """One throwaway PostgreSQL for the session (tests.harness.services); a module takes a database of its
    own on it with `postgres_server.database(name)`. Skips without PostgreSQL, fails under CI."""
    server = services.postgres_or_skip("painfaq")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[services.Redis]:
    """One throwaway Redis for the session; a module that counts keys empties it first (`flushdb`)."""
    server = services.redis_or_skip()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def tracker_fixture():
    """Load a JSON tracker fixture from tests/fixtures/trackers by name."""
    from rasa_sdk import Tracker

    def load(name: str, **overrides: Any) -> Tracker:
        state: Dict[str, Any] = json.loads((FIXTURES / "trackers" / f"{name}.json").read_text())
        state.update(overrides)
        return Tracker.from_dict(state)

    return load


@pytest.fixture
def support_db(tmp_path, monkeypatch):
    """A fresh SQLite database for hand-off / feedback storage (PAINFAQ_DB_URL), no webhook configured."""
    from painfaq.stores import db

    url = f"sqlite:///{tmp_path / 'support.db'}"
    monkeypatch.setenv("PAINFAQ_DB_URL", url)
    monkeypatch.delenv("HANDOFF_WEBHOOK_URL", raising=False)
    db.dispose_engines()
    engine = db.get_engine(url)
    db.ensure_tables(engine, include_events=True)
    yield engine
    db.dispose_engines()


def pytest_collection_modifyitems(config, items):
    """Run the browser tests last: Playwright's sync API keeps an event loop running in the main thread
    until the session ends, and tests that call asyncio.run() after it would fail."""
    browser = [item for item in items if "tests/browser/" in str(item.fspath).replace("\\", "/")]
    others = [item for item in items if item not in browser]
    items[:] = others + browser
