"""`python -m painfaq.serving.preflight [--endpoints FILE]`: do the settings parse, is the tracker store's database reachable?

scripts/run.sh runs it before starting any server, so an unreachable database is reported in a second,
in one line, instead of after Rasa has loaded (the tracker store itself also gives up after a bounded
number of attempts: painfaq.stores.tracker_store). Exit status 0 = reachable, 2 = not (message on stdout).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import List, Optional

import sqlalchemy as sa
import yaml

from painfaq import settings
from painfaq.stores import db


def check_tracker_store(endpoints: Path, attempts: int = 1, retry_seconds: float = 2.0) -> Optional[str]:
    """None if the database answers `SELECT 1`, else the reason."""
    config = yaml.safe_load(endpoints.read_text(encoding="utf-8")) or {}
    store = config.get("tracker_store") or {}
    if not db.is_sql_tracker_store(store):
        return None  # not an SQL tracker store: nothing to check here
    url = db.url_from_tracker_store(db.expand_env_vars(store))
    where = db.safe_url(url)
    connect_args = {"connect_timeout": 5} if sa.engine.make_url(url).get_backend_name() == "postgresql" else {}
    engine = sa.create_engine(url, connect_args=connect_args, hide_parameters=True)
    error: Optional[BaseException] = None
    try:
        for attempt in range(max(1, attempts)):
            try:
                with engine.connect() as conn:
                    conn.execute(sa.text("SELECT 1"))
                return None
            except sa.exc.SQLAlchemyError as exc:
                error = exc
                if attempt + 1 < attempts:
                    time.sleep(retry_seconds)
    finally:
        engine.dispose()
    original = getattr(error, "orig", None) or error
    first_line = (str(original).strip().splitlines() or [""])[0]
    return f"cannot reach the tracker store database {where}: {type(original).__name__}: {first_line}"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=Path, default=db.endpoints_path())
    parser.add_argument("--attempts", type=int, default=3)
    parser.add_argument("--retry-seconds", type=float, default=2.0)
    parser.add_argument("--settings-only", action="store_true", help="check the environment variables only")
    args = parser.parse_args(argv)
    # A value that does not parse as its kind ("PAINFAQ_TURN_TIMEOUT=soon") is reported here, in one line each,
    # not as a traceback from whichever server reads it first.
    bad_settings = settings.problems()
    for bad in bad_settings:
        print(f"painfaq: {bad} (painfaq/settings.py lists every variable: python -m painfaq.settings)")
    if bad_settings:
        return 2
    if args.settings_only:
        return 0
    problem = check_tracker_store(args.endpoints, args.attempts, args.retry_seconds)
    if problem:
        print(
            f"painfaq: {problem}. Check the tracker_store section of {args.endpoints} and that the database is running."
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
