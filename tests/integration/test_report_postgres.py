"""The report, retention and hand-off storage against a real PostgreSQL (a throwaway server from
the session's, tests/conftest.py), found through an endpoints file written
like endpoints.production.yml. Skips with a clear message when PostgreSQL is not installed, unless the
CI environment variable is set: then it fails (CI installs PostgreSQL, see .ci/run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from painfaq.stores import db
from painfaq.support import handoff
from painfaq.support.report import summarise
from painfaq.support.retention import prune
from tests.harness.report_seed import seed
from tests.unit.test_report import END, START, check_known_numbers, known_database

ROOT = Path(__file__).resolve().parents[2]
ENDPOINTS = """tracker_store:
  type: SQL
  dialect: "postgresql"
  url: ${DB_HOST}
  port: ${DB_PORT}
  username: ${DB_USER}
  password: ${DB_PASSWORD}
  db: ${DB_NAME}
"""


@pytest.fixture(scope="module")
def postgres(postgres_server) -> Iterator["object"]:
    yield postgres_server.database("painfaq_report")
    db.dispose_engines()


@pytest.fixture
def pg_engine(postgres, tmp_path, monkeypatch):
    for name, value in postgres.env().items():
        monkeypatch.setenv(name, value)
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(ENDPOINTS)
    url = db.database_url(endpoints)
    assert url.drivername == "postgresql" and url.port == postgres.port and url.database == "painfaq_report"
    engine = db.make_engine(url)
    db.metadata.drop_all(engine)
    yield engine, endpoints
    db.metadata.drop_all(engine)
    engine.dispose()


def test_report_numbers_on_postgresql(pg_engine, tmp_path):
    engine, endpoints = pg_engine
    known_database(engine)
    check_known_numbers(summarise(engine, START, END))
    # The CLI, reading the database from the endpoints file.
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "report.py"),
            "--endpoints",
            str(endpoints),
            "--from",
            str(START),
            "--to",
            str(END),
            "--out-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    assert "9 conversations, deflection rate 22.2%" in result.stdout
    assert os.environ["DB_PASSWORD"] not in result.stdout + result.stderr
    check_known_numbers(json.loads(next(tmp_path.glob("*.json")).read_text()))


def test_seeded_report_and_retention_on_postgresql(pg_engine):
    engine, _ = pg_engine
    truth = seed(engine, 300, START, days=3, seed=3)
    summary = summarise(engine, START, END)
    assert summary["conversations"] == 300
    assert {k: v for k, v in summary["outcomes"].items() if v} == dict(truth.outcomes)
    assert summary["handoffs"]["submitted"] == truth.handoffs_submitted
    # Retention: a cutoff after the last seeded day deletes everything, in PostgreSQL too.
    from painfaq.support.report import day_start

    counts = prune(engine, days=1, now=day_start(END + timedelta(days=2)))
    assert counts["events"] == truth.events and counts["handoff_requests"] == truth.handoffs_submitted
    assert summarise(engine, START, END)["conversations"] == 0


def test_handoff_storage_on_postgresql(pg_engine):
    engine, _ = pg_engine
    db.ensure_tables(engine)
    request_id = handoff.submit(
        "pg-user",
        "a question",
        "jane.doe@example.org",
        [{"role": "user", "text": "hi", "timestamp": 1.0}],
        engine=engine,
        settings=handoff.WebhookSettings(url=None),
    )
    with engine.connect() as connection:
        row = connection.execute(sa.select(db.handoff_requests).where(db.handoff_requests.c.id == request_id)).one()
    assert (row.status, row.email, json.loads(row.transcript)[0]["text"]) == (
        "not_configured",
        "jane.doe@example.org",
        "hi",
    )
