#!/usr/bin/env python
"""Retry hand-off requests the webhook did not accept (status "pending").

    python scripts/handoff_redeliver.py [--endpoints endpoints.yml | --db-url URL] [--include-not-configured]

Uses HANDOFF_WEBHOOK_URL (and the other HANDOFF_WEBHOOK_* settings, see painfaq/support/handoff.py). Exit status 1
if some requests are still pending afterwards, so a cron job or CI step can alert on it.
"""

from __future__ import annotations

import argparse
import logging
import sys

from painfaq.stores import db
from painfaq.support import handoff


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--endpoints",
        help="endpoints file whose tracker_store is the database (default: $PAINFAQ_ENDPOINTS or endpoints.yml)",
    )
    source.add_argument("--db-url", help="SQLAlchemy database URL (overrides the endpoints file)")
    parser.add_argument(
        "--include-not-configured", action="store_true", help="also send requests stored while no webhook URL was set"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    url = args.db_url or db.database_url(args.endpoints)
    engine = db.get_engine(url)
    try:
        counts = handoff.redeliver_pending(engine, include_not_configured=args.include_not_configured)
    except RuntimeError as error:
        print(f"handoff-redeliver: {error}", file=sys.stderr)
        return 2
    print(f"handoff-redeliver: {counts['delivered']} delivered, {counts['still_pending']} still pending")
    return 1 if counts["still_pending"] else 0


if __name__ == "__main__":
    sys.exit(main())
