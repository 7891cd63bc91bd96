"""Fixtures for the reliability tests (helpers: tests/harness/reliability_helpers.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.harness.reliability_helpers import ACTION_TIMEOUT, API_TOKEN, Servers, start_servers


@pytest.fixture(scope="session")
def tracker_db(live_servers) -> Path:
    """The SQLite tracker store of the shared `live_servers` stack."""
    return Path(live_servers.workdir) / "tracker.db"


@pytest.fixture(scope="session")
def own_servers() -> Iterator[Servers]:
    """Servers these tests may stop, hang and restart; tracker store, hand-off and feedback tables in one
    SQLite file (`own_servers.db_path`)."""
    servers = start_servers(
        {"PAINFAQ_ACTION_TIMEOUT": str(ACTION_TIMEOUT), "PAINFAQ_TURN_TIMEOUT": "8"},
        extra_rasa_args=["--enable-api", "--auth-token", API_TOKEN],
    )
    yield servers
    servers.stop()
