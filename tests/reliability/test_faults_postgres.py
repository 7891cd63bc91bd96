"""The tracker database goes away mid-run and comes back, with PostgreSQL as the tracker store (the
production profile's database): the session's throwaway server (tests/conftest.py), stopped and started again on
the same port with the same data. Skips when PostgreSQL is not installed, unless CI is set (then it fails)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from typing import Iterator, List, Tuple

import pytest

from painfaq.content.loader import load_content
from tests.harness.reliability_helpers import Servers, start_servers

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

YOGA_DOI = "https://doi.org/10.1097/j.pain.0000000000002416"


def stop_keeping_data(server) -> None:
    """Fast shutdown of the postmaster; the data directory stays (services.Postgres.stop would delete it)."""
    pid = server._postmaster_pid() or server.process.pid
    os.kill(pid, signal.SIGINT)
    server.process.wait(timeout=30)


def start_again(server) -> None:
    from tests.harness import services

    args = [
        str(services.postgres_bin_dir() / "postgres"),
        "-D",
        str(server.workdir / "data"),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        f"port={server.port}",
        "-c",
        f"unix_socket_directories={server.workdir}",
        "-c",
        "logging_collector=off",
    ]
    with open(server.workdir / "postgres.log", "ab") as log:
        server.process = subprocess.Popen(services._as_postgres_user(args), stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            server.connect().close()
            return
        except Exception:  # not up yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="module")
def postgres(postgres_server) -> object:
    """This module's database on the session's server (stopped and started again through postgres_server)."""
    return postgres_server.database("painfaq_faults")


@pytest.fixture(scope="module")
def pg_servers(postgres) -> Iterator[Servers]:
    tracker_store = {
        "type": "painfaq.stores.tracker_store.MaskingSQLTrackerStore",
        "dialect": "postgresql",
        "url": postgres.host,
        "port": postgres.port,
        "username": postgres.user,
        "password": postgres.password,
        "db": postgres.dbname,
    }
    url = f"postgresql://{postgres.user}:{postgres.password}@{postgres.host}:{postgres.port}/{postgres.dbname}"
    servers = start_servers(
        {"PAINFAQ_ACTION_TIMEOUT": "3", "PAINFAQ_TURN_TIMEOUT": "8"}, tracker_store=tracker_store, db_url=url
    )
    yield servers
    servers.stop()


def events(postgres, sender: str) -> List[Tuple[str, str]]:
    return [
        (t, d)
        for t, d in postgres.query("SELECT type_name, data FROM events WHERE sender_id = %s ORDER BY id", (sender,))
    ]


def test_postgres_gone_mid_run_gets_an_apology_and_recovers_with_nothing_lost(
    postgres_server, postgres, pg_servers: Servers
):
    content = load_content()
    sender = f"pg-fault-{uuid.uuid4()}"
    assert "Yoga" in pg_servers.say(sender, "does yoga help? mail me at jane@example.org").texts()
    stored = events(postgres, sender)
    assert stored and "jane@example.org" not in "".join(d for _, d in stored), "masked in PostgreSQL too"

    stop_keeping_data(postgres_server)
    try:
        for question in ("how long does it last?", "tell me more"):
            reply = pg_servers.say(sender, question, timeout=30)
            assert reply.status == 200 and reply.headers.get("x-painfaq-degraded") == "tracker_store", reply.body[:300]
            assert content.support_email in reply.texts()
            assert reply.seconds < 10
    finally:
        start_again(postgres_server)

    # Back: the first message after the restart works (stale pooled connections are replaced), with the
    # conversation's context, and nothing stored before the outage is lost or changed.
    reply = pg_servers.say(sender, "what's the source for that?")
    assert reply.status == 200 and "x-painfaq-degraded" not in reply.headers, reply.body[:300]
    assert YOGA_DOI in reply.texts()
    after = events(postgres, sender)
    assert after[: len(stored)] == stored and len(after) > len(stored)
