"""How fast the review inbox opens on a large database: `make bench-inbox` -> results/inbox.json.

Seeds N synthetic conversations (tests/harness/report_seed.py, the deflection report's seeder: real event
shapes, declines, "did you mean", answers, safety turns, hand-offs; with `varied_wording`, so the questions
come in thousands of distinct wordings with a long tail, as in a real inbox) into a throwaway SQLite database
(and with --postgres, the same into a throwaway PostgreSQL: tests/harness/services.py), then measures

  * the first sync (reading every event once) and a sync with nothing new;
  * labels a share of the groups (default 20%) through painfaq.staff.inbox.add_label, as reviewers would,
    with a few labels for single messages and a few taken back;
  * opening the inbox (first page, "did you mean" of the last 7 days, page 10, unlabelled only), median of 5:
    as function calls (`seconds`) and over HTTP (`http_seconds`): the demo server's staff API
    (scripts/serve_demo.py) started in a thread against the benchmark's database, a staff user logged in with
    the session cookie, GET /staff/api/inbox as the staff page sends it.

`target_met`: every HTTP open under 2 s, with at least 100,000 conversations, on every database measured.
The SQLite figures are the top-level keys; PostgreSQL's are under "postgresql" with the same keys.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import requests
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from painfaq import settings
from painfaq.content.loader import load_content
from painfaq.staff import accounts, inbox, tables
from painfaq.stores import db
from tests.harness.report_seed import seed

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 2.0
TARGET_CONVERSATIONS = 100_000
STAFF_USER = "bench"
STAFF_PASSWORD = "benchmark staff password"  # a throwaway database's throwaway account
REVIEWERS = ("alice", "bob", "carol")


def timed(function: Callable[[], Any], repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append(time.perf_counter() - started)
    return round(statistics.median(runs), 4)


def opens(last_week: date) -> Dict[str, Dict[str, Any]]:
    """The inbox openings measured: name -> inbox() keyword arguments (the HTTP query is derived from them)."""
    return {
        "open_inbox_first_page": {},
        "open_did_you_mean_last_7_days": {"start": last_week, "outcomes": ["did_you_mean"]},
        "open_page_10": {"page": 10},
        "open_unlabelled_only": {"include_labelled": False},
    }


def query_string(kwargs: Dict[str, Any]) -> Dict[str, str]:
    """inbox() arguments as GET /staff/api/inbox parameters (painfaq/staff/web.py)."""
    params = {}
    if "start" in kwargs:
        params["from"] = kwargs["start"].isoformat()
    if "outcomes" in kwargs:
        params["outcome"] = ",".join(kwargs["outcomes"])
    if "page" in kwargs:
        params["page"] = str(kwargs["page"])
    if kwargs.get("include_labelled") is False:
        params["unlabelled"] = "1"
    return params


def label_groups(engine: Engine, share: float, rng: random.Random) -> Dict[str, int]:
    """Label `share` of the groups as reviewers would: a group label each (the four kinds), a few labels for
    one message only (the group stays in "unlabelled only"), a few changed minds (undone)."""
    topics = list(load_content().topics)
    items = db.review_items
    with engine.connect() as conn:
        keys = sorted(conn.execute(sa.select(sa.distinct(items.c.group_key))).scalars())
    chosen = rng.sample(keys, round(len(keys) * share))
    labelled = undone = single = 0
    for key in chosen:
        kind = rng.choice(inbox.LABELS)
        reviewer = rng.choice(REVIEWERS)
        topic = rng.choice(topics) if kind == "topic" else None
        label = inbox.add_label(engine, key, kind, topic, reviewer, topics)
        labelled += 1
        if rng.random() < 0.05:  # taken back: the group is unlabelled again
            inbox.undo_label(engine, label["id"])
            undone += 1
        if rng.random() < 0.05:  # one message of another group labelled alone
            other = rng.choice(keys)
            with engine.connect() as conn:
                item_id = conn.execute(sa.select(sa.func.min(items.c.id)).where(items.c.group_key == other)).scalar()
            inbox.add_label(engine, None, "ignore", None, reviewer, topics, item_id=item_id)
            single += 1
    return {"group_labels": labelled, "undone": undone, "single_message_labels": single}


@contextmanager
def staff_server(url: str) -> Iterator[str]:
    """The demo server (its staff API) in a thread, reading `url` as `make run` reads PAINFAQ_DB_URL."""
    from scripts import serve_demo

    previous = settings.DB_URL.raw()
    os.environ[settings.DB_URL.name] = url  # the server's only way to its database: PAINFAQ_DB_URL / endpoints file
    db.dispose_engines()
    server = serve_demo.start_in_thread(host="127.0.0.1", port=0, rasa_url="http://localhost:5005", quiet=True)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        db.dispose_engines()
        if previous is None:
            os.environ.pop(settings.DB_URL.name, None)
        else:
            os.environ[settings.DB_URL.name] = previous


def http_opens(url: str, engine: Engine, cases: Dict[str, Dict[str, Any]], repeat: int) -> Dict[str, Any]:
    """Log in as a staff user and time GET /staff/api/inbox for each case (median of `repeat`)."""
    accounts.create_user(engine, STAFF_USER, STAFF_PASSWORD)
    with staff_server(url) as base, requests.Session() as session:
        login = session.post(
            f"{base}/staff/api/login", json={"username": STAFF_USER, "password": STAFF_PASSWORD}, timeout=30
        )
        login.raise_for_status()
        groups: Dict[str, int] = {}

        def get(name: str, params: Dict[str, str]) -> None:
            response = session.get(f"{base}/staff/api/inbox", params=params, timeout=60)
            response.raise_for_status()
            page = response.json()
            groups[name] = page["total_groups"]
            if not page["groups"] and page["total_groups"] > (page["page"] - 1) * page["per_page"]:
                raise RuntimeError(f"{name}: an empty page of {page['total_groups']} groups")

        started = time.perf_counter()
        get("first_request", {})  # the page's first request: starts the server's own (nothing new) sync
        first = time.perf_counter() - started
        seconds = {
            name: timed(functools.partial(get, name, query_string(kwargs)), repeat) for name, kwargs in cases.items()
        }
    return {"seconds": {"first_request_after_login": round(first, 4), **seconds}, "groups": groups}


def run(url: str, conversations: int, label_share: float, repeat: int) -> Dict[str, Any]:
    """Seed, sync, label and time the inbox on the (empty) database at `url`."""
    engine = db.make_engine(url)
    db.ensure_tables(engine, include_events=True)
    tables.ensure(engine)
    today = date.today()
    started = time.perf_counter()
    truth = seed(engine, conversations, today - timedelta(days=30), days=30, varied_wording=True)
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    events = inbox.sync(engine)
    first_sync = time.perf_counter() - started
    with engine.connect() as conn:
        messages = conn.execute(sa.select(sa.func.count()).select_from(db.review_items)).scalar() or 0
    groups = inbox.inbox(engine)["total_groups"]
    started = time.perf_counter()
    labelled = label_groups(engine, label_share, random.Random(1))
    labelling = time.perf_counter() - started
    unlabelled = inbox.inbox(engine, include_labelled=False)["total_groups"]
    cases = opens(today - timedelta(days=7))
    seconds = {
        "seed": round(seeded, 1),
        "first_sync_all_events": round(first_sync, 2),
        "sync_nothing_new": timed(lambda: inbox.sync(engine)),
        "label_groups": round(labelling, 1),
    }
    seconds.update(
        {name: timed(functools.partial(inbox.inbox, engine, **kwargs), repeat) for name, kwargs in cases.items()}
    )
    http = http_opens(url, engine, cases, repeat)
    engine.dispose()
    return {
        "database": sa.engine.make_url(url).get_backend_name(),
        "conversations": conversations,
        "events": events,
        "seeded_events": truth.events,
        "inbox_messages": messages,
        "groups": groups,
        "groups_labelled": labelled["group_labels"] - labelled["undone"],
        "groups_unlabelled": unlabelled,
        "labels": labelled,
        "seconds": seconds,
        "http_seconds": http["seconds"],
        "http_groups": http["groups"],
    }


def slowest_http_open(result: Dict[str, Any]) -> float:
    return max(v for k, v in result["http_seconds"].items() if k.startswith("open"))


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    from tests.harness import services

    server = services.start_postgres(dbname="bench_inbox")
    try:
        yield f"postgresql://{server.user}:{server.password}@{server.host}:{server.port}/{server.dbname}"
    finally:
        server.stop()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--conversations", type=int, default=TARGET_CONVERSATIONS)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "inbox.json")
    parser.add_argument("--postgres", action="store_true", help="also on a throwaway PostgreSQL (Debian packages)")
    parser.add_argument("--label-share", type=float, default=0.2, help="share of the groups labelled (default 0.2)")
    parser.add_argument("--repeat", type=int, default=5, help="timings are the median of this many runs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        result = run(f"sqlite:///{Path(workdir) / 'tracker.db'}", args.conversations, args.label_share, args.repeat)
    measured: List[Tuple[str, Dict[str, Any]]] = [("sqlite", result)]
    if args.postgres:
        with throwaway_postgres() as url:
            result["postgresql"] = run(url, args.conversations, args.label_share, args.repeat)
        measured.append(("postgresql", result["postgresql"]))
    slowest = {name: slowest_http_open(r) for name, r in measured}
    result["target"] = (
        f"every HTTP open of the inbox (GET /staff/api/inbox, logged in) under {TARGET_SECONDS:g} s "
        f"with {TARGET_CONVERSATIONS:,} conversations, on every database measured"
    )
    result["slowest_http_open"] = slowest
    result["target_met"] = args.conversations >= TARGET_CONVERSATIONS and all(
        s < TARGET_SECONDS for s in slowest.values()
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
