"""The review inbox's benchmark (scripts/bench_inbox.py) on a small database: what it writes to results/inbox.json,
that it labels before timing "unlabelled only", and that it times the HTTP endpoint staff use, logged in."""

from __future__ import annotations

import json
from datetime import date

from painfaq.stores import db
from painfaq.support.report import normalise
from scripts import bench_inbox
from tests.harness.report_seed import seed

OPENS = {"open_inbox_first_page", "open_did_you_mean_last_7_days", "open_page_10", "open_unlabelled_only"}


def test_benchmark_writes_function_and_http_timings(tmp_path):
    out = tmp_path / "inbox.json"
    assert bench_inbox.main(["-n", "300", "--repeat", "1", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["database"] == "sqlite" and result["conversations"] == 300
    # The keys docs/support-staff.md quotes.
    for key in ("events", "groups", "seconds", "target", "target_met"):
        assert key in result
    assert {"seed", "first_sync_all_events", "sync_nothing_new"} | OPENS <= set(result["seconds"])
    assert OPENS | {"first_request_after_login"} <= set(result["http_seconds"])
    assert all(isinstance(v, float) and v > 0 for v in result["http_seconds"].values())
    # Labels were given before "unlabelled only" was timed, and the server saw them.
    assert result["groups_labelled"] > 0
    assert result["groups_unlabelled"] == result["groups"] - result["groups_labelled"]
    assert result["http_groups"]["open_unlabelled_only"] == result["groups_unlabelled"]
    assert result["http_groups"]["open_inbox_first_page"] == result["groups"]
    # Many wordings: far more groups than the seeder's few dozen base texts.
    assert result["groups"] > 100
    assert result["slowest_http_open"] == {"sqlite": max(result["http_seconds"][k] for k in OPENS)}
    assert result["target_met"] is False  # 300 conversations say nothing about 100,000


def test_varied_wording_is_off_by_default_and_spreads_the_gaps(tmp_path):
    def gaps(name: str, **options) -> set:
        engine = db.make_engine(f"sqlite:///{tmp_path / name}")
        truth = seed(engine, 1000, date(2026, 1, 1), days=3, seed=5, **options)
        engine.dispose()
        return {normalise(text) for _, text in truth.gaps}

    assert len(gaps("plain.db")) <= 20  # the report's tests count on the few base texts
    assert len(gaps("varied.db", varied_wording=True)) > 300
