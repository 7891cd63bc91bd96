#!/usr/bin/env python
"""Fill a database with N synthetic conversations for the deflection report (benchmark and demos).

    python scripts/seed_report_db.py --db-url sqlite:///results/tmp/report-100k.db -n 100000 [--days 30] [--start YYYY-MM-DD]

Writes Rasa's `events` table (events shaped as Rasa stores them, with real composed answers) plus the
hand-off and feedback tables, with bulk inserts, and prints the numbers the report must show. Refuses to
write into a database that already has events unless --append is given (it never reads the endpoints
file: seeding the real tracker store by mistake would pollute its report).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from painfaq.stores import db
from tests.harness.report_seed import seed

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db-url", required=True, help="SQLAlchemy URL of the database to fill, e.g. sqlite:///results/tmp/report.db"
    )
    parser.add_argument("-n", "--conversations", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30, help="spread over this many UTC days (default 30)")
    parser.add_argument("--start", help="first day, YYYY-MM-DD (default: --days days before today)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--append", action="store_true", help="allow a database that already has events")
    parser.add_argument("--truth", type=Path, help="write the expected report numbers to this JSON file")
    args = parser.parse_args(argv)

    start = (
        datetime.strptime(args.start, "%Y-%m-%d").date()
        if args.start
        else datetime.now(timezone.utc).date() - timedelta(days=args.days)
    )
    engine = db.make_engine(args.db_url)
    if sa.inspect(engine).has_table("events") and not args.append:
        with engine.connect() as connection:
            if connection.execute(sa.select(sa.func.count()).select_from(db.events)).scalar():
                parser.error("the database already has events; use --append to add to them")
    started = time.monotonic()
    truth = seed(engine, args.conversations, start, args.days, args.seed)
    elapsed = time.monotonic() - started
    end = start + timedelta(days=args.days - 1)
    print(
        f"seeded {truth.conversations:,} conversations ({truth.events:,} events, {truth.handoffs_submitted:,} hand-offs) "
        f"from {start} to {end} in {elapsed:.1f} s into {db.safe_url(args.db_url)}"
    )
    print(f"  report: python scripts/report.py --db-url <the same URL> --from {start} --to {end}")
    if args.truth:
        args.truth.write_text(json.dumps(truth.as_dict(), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
