"""How fast the review inbox opens on a large database: `make bench-inbox` -> results/inbox.json.

Seeds N synthetic conversations (tests/harness/report_seed.py, the deflection report's seeder: real event
shapes, declines, "did you mean", answers, safety turns, hand-offs) into a throwaway SQLite database, then
measures the first sync (reading every event once), a sync with nothing new, and opening the inbox (first
page, a filtered page, a later page) through the same code the /staff/api/inbox handler runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from painfaq.staff import inbox
from painfaq.stores import db
from tests.harness.report_seed import seed

ROOT = Path(__file__).resolve().parent.parent


def timed(function, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append(time.perf_counter() - started)
    return round(statistics.median(runs), 4)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--conversations", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "inbox.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        engine = db.make_engine(f"sqlite:///{Path(workdir) / 'tracker.db'}")
        db.ensure_tables(engine, include_events=True)
        started = time.perf_counter()
        seed(engine, args.conversations, date.today() - timedelta(days=30), days=30)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        events = inbox.sync(engine)
        first_sync = time.perf_counter() - started
        page = inbox.inbox(engine)
        result = {
            "conversations": args.conversations,
            "events": events,
            "groups": page["total_groups"],
            "seconds": {
                "seed": round(seeded, 1),
                "first_sync_all_events": round(first_sync, 2),
                "sync_nothing_new": timed(lambda: inbox.sync(engine)),
                "open_inbox_first_page": timed(lambda: inbox.inbox(engine)),
                "open_did_you_mean_last_7_days": timed(
                    lambda: inbox.inbox(engine, start=date.today() - timedelta(days=7), outcomes=["did_you_mean"])
                ),
                "open_page_10": timed(lambda: inbox.inbox(engine, page=10)),
                "open_unlabelled_only": timed(lambda: inbox.inbox(engine, include_labelled=False)),
            },
            "target": "the inbox opens in under 2 s with 100,000 conversations",
        }
        engine.dispose()
    opened = max(v for k, v in result["seconds"].items() if k.startswith("open"))
    result["target_met"] = args.conversations >= 100_000 and opened < 2.0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
