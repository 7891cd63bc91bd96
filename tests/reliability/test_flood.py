"""A flood from one client does not slow the others beyond a stated bound (default limits, the servers
`make run` starts).

One "flooder" address sends well-formed questions from 16 connections as fast as the server answers, each
with a fresh sender id (so only the per-address limits can stop it). Meanwhile a normal user on another
address asks 20 questions one after another. Bound: the normal user's median turn is at most
FLOOD_MEDIAN_BOUND seconds slower than without the flood, and its slowest turn stays under
FLOOD_MAX_SECONDS. The flooder is cut to its burst plus 2 turns a second (60/120 per minute) and 4 turns in
progress at a time; everything else it sends gets 429 at once.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import List
from urllib.parse import urlsplit

import pytest

from tests.harness.reliability_helpers import say
from tests.harness.stack import REPO_ROOT

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

FLOODER, USER = "127.0.0.30", "127.0.0.20"
CONNECTIONS = 16
TURNS = 20
FLOOD_MEDIAN_BOUND = 0.5
FLOOD_MAX_SECONDS = 3.0
QUESTIONS = [
    "does yoga help?",
    "can anxiety cause back pain?",
    "how long does it last?",
    "is walking good for it?",
    "what's the source for that?",
]


def user_turns(webhook: str) -> List[float]:
    seconds = []
    sender = f"user-{uuid.uuid4()}"
    for i, question in zip(range(TURNS), itertools.cycle(QUESTIONS)):
        if i % 8 == 7:
            sender = f"user-{uuid.uuid4()}"  # stay far below the per-sender burst
        reply = say(webhook, sender, question, source=USER)
        assert reply.status == 200 and "x-painfaq-degraded" not in reply.headers, reply.body[:200]
        seconds.append(reply.seconds)
    return seconds


async def flood(host: str, port: int, stop: threading.Event, statuses: Counter) -> None:
    async def connection() -> None:
        while not stop.is_set():
            body = json.dumps({"sender": f"flood-{uuid.uuid4().hex}", "message": "does yoga help?"}).encode()
            try:
                reader, writer = await asyncio.open_connection(host, port, local_addr=(FLOODER, 0))
                writer.write(
                    f"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n"
                    f"Content-Type: application/json\r\nConnection: close\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                raw = await reader.read()
                writer.close()
                statuses[raw.split(b" ", 2)[1].decode() if raw else "none"] += 1
            except OSError as error:
                statuses[type(error).__name__] += 1

    await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))


def test_a_flood_from_one_client_does_not_slow_the_others(live_servers):
    webhook = live_servers.webhook
    say(webhook, f"warm-{uuid.uuid4()}", "does yoga help?", source=USER)
    baseline = user_turns(webhook)

    stop, statuses = threading.Event(), Counter()
    port = urlsplit(webhook).port
    with ThreadPoolExecutor(max_workers=1) as pool:
        flooding = pool.submit(asyncio.run, flood("127.0.0.1", port, stop, statuses))
        time.sleep(1.0)  # the flood is at full speed (its burst is being served) when the user starts
        try:
            flooded = user_turns(webhook)
        finally:
            stop.set()
            flooding.result(timeout=60)

    result = {
        "baseline_seconds": {"median": round(statistics.median(baseline), 3), "max": round(max(baseline), 3)},
        "flooded_seconds": {"median": round(statistics.median(flooded), 3), "max": round(max(flooded), 3)},
        "flooder_statuses": dict(statuses),
        "bound": {"median_slowdown_seconds": FLOOD_MEDIAN_BOUND, "max_seconds": FLOOD_MAX_SECONDS},
    }
    (REPO_ROOT / "test-artifacts").mkdir(exist_ok=True)
    (REPO_ROOT / "test-artifacts" / "flood.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    assert statuses["429"] > statuses["200"], "the flooder should mostly be refused"
    assert statistics.median(flooded) <= statistics.median(baseline) + FLOOD_MEDIAN_BOUND, result
    assert max(flooded) <= FLOOD_MAX_SECONDS, result
