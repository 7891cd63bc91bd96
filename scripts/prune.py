#!/usr/bin/env python
"""Retention: delete conversations (tracker events, hand-off requests, feedback) older than N days.

    python scripts/prune.py --days 90 [--endpoints FILE | --db-url URL] [--dry-run]
    RETENTION_DAYS=90 python scripts/prune.py

A conversation is deleted when its last event is older than N days; hand-off and feedback rows when they
were created more than N days ago (details in painfaq/support/retention.py). Run it daily (cron, systemd timer or
`make prune DAYS=90`).
"""

from __future__ import annotations

import argparse
import logging
import sys

from painfaq import settings
from painfaq.stores import db
from painfaq.support.retention import prune


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--days",
        type=int,
        default=settings.RETENTION_DAYS.integer() if settings.RETENTION_DAYS.is_set() else None,
        help="keep this many days (default: $RETENTION_DAYS)",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--endpoints",
        help="endpoints file whose tracker_store is pruned (default: $PAINFAQ_ENDPOINTS or endpoints.yml)",
    )
    source.add_argument("--db-url", help="SQLAlchemy database URL (overrides the endpoints file)")
    parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
    args = parser.parse_args(argv)
    if args.days is None:
        parser.error("set --days or RETENTION_DAYS")
    if args.days < 1:
        parser.error("--days must be at least 1")
    logging.basicConfig(level=logging.WARNING)
    url = args.db_url or db.database_url(args.endpoints)
    counts = prune(db.make_engine(url), args.days, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(
        f"prune (keep {args.days} days) {verb}: {counts['events']:,} events, {counts['handoff_requests']:,} hand-off "
        f"requests, {counts['feedback']:,} feedback rows from {db.safe_url(url)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
