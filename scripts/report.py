#!/usr/bin/env python
"""Deflection report: a self-contained HTML page and a JSON summary for a date range.

    python scripts/report.py [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--endpoints FILE | --db-url URL] [--out-dir DIR]

Reads Rasa's tracker store (the `events` table) and the hand-off and feedback tables from the database of
the endpoints file's tracker_store (default $PAINFAQ_ENDPOINTS or endpoints.yml; SQLite or PostgreSQL), or
from --db-url. Dates are UTC days, both inclusive; default: the last 30 days up to today. Writes
<out-dir>/deflection-report_<from>_<to>.html and .json (default out-dir: reports/). The definitions of
every number are in painfaq/support/report.py and at the end of the HTML page.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from painfaq.stores import db
from painfaq.support.report import write_report

ROOT = Path(__file__).resolve().parent.parent


def parse_day(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="start", type=parse_day, help="first UTC day (default: 29 days before --to)")
    parser.add_argument("--to", dest="end", type=parse_day, help="last UTC day, inclusive (default: today)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--endpoints", help="endpoints file whose tracker_store is read (default: $PAINFAQ_ENDPOINTS or endpoints.yml)"
    )
    source.add_argument(
        "--db-url", help="SQLAlchemy database URL, e.g. postgresql://user:pw@host/rasa (overrides the endpoints file)"
    )
    parser.add_argument(
        "--out-dir", type=Path, default=ROOT / "reports", help="where to write the report (default: reports/)"
    )
    parser.add_argument(
        "--max-items", type=int, default=200, help="longest lists (content gaps, hand-offs) to show (default 200)"
    )
    args = parser.parse_args(argv)

    end = args.end or datetime.now(timezone.utc).date()
    start = args.start or end - timedelta(days=29)
    if start > end:
        parser.error("--from is after --to")
    try:
        url = args.db_url or db.database_url(args.endpoints)
    except db.DatabaseNotConfigured as error:
        parser.error(str(error))
    engine = db.make_engine(url)
    started = time.monotonic()
    html_path, json_path, summary = write_report(engine, start, end, args.out_dir, args.max_items)
    elapsed = time.monotonic() - started
    rate = summary["deflection_rate"]
    print(
        f"report {start} to {end} from {db.safe_url(url)}: {summary['conversations']:,} conversations, "
        f"deflection rate {'n/a' if rate is None else f'{rate:.1%}'}, {summary['content_gaps']['messages']:,} unanswered "
        f"questions, {summary['handoffs']['submitted']:,} hand-off requests ({elapsed:.1f} s)"
    )
    print(f"  {html_path}\n  {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
