#!/usr/bin/env python
"""Soak test: many concurrent conversations for a long time against the real servers, on loopback only.

    python scripts/soak.py [--minutes 30] [--users 20] [--think 2.0] [--out results/soak.json]

Starts the action server and the Rasa server as `make run` does (tests.harness.stack.start_stack: loopback,
throwaway SQLite tracker store, default limits), then runs `--users` simulated users for `--minutes`.
Each user holds conversations of 4-9 turns (FAQ questions, follow-ups, "tell me more", out-of-scope
questions, feedback, now and then a hand-off with an e-mail address), waits for each reply, then
thinks `--think` seconds (+/- 50 %) before the next message; a new conversation gets a new sender id.
Each user has its own loopback address (127.0.2.N), as real users do, so the per-address limit does not
apply across users.

Reports, per minute: turns, errors (non-200, connection errors, apologies), p50/p95 latency; and the
resident memory of both servers (main process + workers) every 10 s. The summary has the latency drift
(p95 of the last minutes vs the first ones, after a 1-minute warm-up) and the memory growth of each server
from the end of the warm-up to the end. Written to --out as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import aiohttp

from tests.harness.stack import Stack, process_tree, start_stack

ROOT = Path(__file__).resolve().parent.parent

CONVERSATIONS = [
    ["can anxiety cause back pain?", "how does that happen?", "what's the source for that?", "/feedback_helpful"],
    ["does yoga help?", "tell me more", "how long does it last?", "thanks"],
    ["hi", "is walking good for back pain from stress?", "and breathing exercises?", "/feedback_not_helpful"],
    ["can anxiety cause chest pain?", "what dose of ibuprofen should I take?", "ok, how do I know it's anxiety?"],
    ["how common is back pain from anxiety", "does physical therapy help", "tell me more", "what are the sources"],
    [
        "I want to talk to a person",
        "Can someone explain my MRI results? They mention a bulging disc.",
        "my email is soak.user@example.org",
    ],
    ["does sleep matter", "muscle tension?", "/faq_bridge_and_breathe", "thank you", "bye"],
]


@dataclass
class Minute:
    latencies: List[float] = field(default_factory=list)
    errors: Dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its descendants (Sanic workers), in MB."""
    total = 0
    page = os.sysconf("SC_PAGE_SIZE")
    for p in process_tree(pid):
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            pass
    return round(total / 1e6, 1)


def percentile(values: List[float], q: float) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 4)


async def user(
    index: int,
    webhook: str,
    deadline: float,
    think: float,
    minutes: Dict[int, Minute],
    started: float,
    rng: random.Random,
) -> None:
    connector = aiohttp.TCPConnector(local_addr=(f"127.0.2.{1 + index % 250}", 0), limit=1)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.sleep(rng.uniform(0, think))  # users do not all start at the same instant
        while time.monotonic() < deadline:
            sender = f"soak-{index}-{uuid.uuid4().hex[:12]}"
            conversation = rng.choice(CONVERSATIONS)
            for message in conversation[: rng.randint(min(4, len(conversation)), len(conversation))]:
                if time.monotonic() >= deadline:
                    return
                sent = time.monotonic()
                minute = minutes.setdefault(int((sent - started) // 60), Minute())
                try:
                    async with session.post(webhook, json={"sender": sender, "message": message}) as response:
                        body = await response.read()
                        elapsed = time.monotonic() - sent
                        if response.status != 200:
                            minute.error(f"http_{response.status}")
                        elif response.headers.get("X-Painfaq-Degraded"):
                            minute.error(f"apology_{response.headers['X-Painfaq-Degraded']}")
                        elif not json.loads(body):
                            minute.error("empty_reply")
                        else:
                            minute.latencies.append(elapsed)
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
                    minute.error(type(error).__name__)
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))


async def sample_memory(stack: Stack, deadline: float, started: float, samples: List[Dict[str, Any]]) -> None:
    action_pid, rasa_pid = stack.pids()
    while True:
        samples.append(
            {
                "t": round(time.monotonic() - started, 1),
                "actions_mb": rss_mb(action_pid),
                "rasa_mb": rss_mb(rasa_pid),
                "load_1min": round(os.getloadavg()[0], 2),
            }
        )
        if time.monotonic() >= deadline:
            return
        await asyncio.sleep(min(10.0, max(0.1, deadline - time.monotonic())))


def summarize(
    args: argparse.Namespace, minutes: Dict[int, Minute], memory: List[Dict[str, Any]], seconds: float
) -> Dict[str, Any]:
    per_minute: List[Dict[str, Any]] = []
    for m in sorted(minutes):
        minute = minutes[m]
        per_minute.append(
            {
                "minute": m + 1,
                "turns": len(minute.latencies) + sum(minute.errors.values()),
                "errors": minute.errors,
                "p50": percentile(minute.latencies, 0.5),
                "p95": percentile(minute.latencies, 0.95),
            }
        )
    measured = [row for row in per_minute if row["minute"] > 1 and row["p95"] is not None] or per_minute
    head = measured[: max(1, min(3, len(measured) // 3))]
    tail = measured[-len(head) :]
    first_p95 = statistics.median([r["p95"] for r in head if r["p95"] is not None] or [0])
    last_p95 = statistics.median([r["p95"] for r in tail if r["p95"] is not None] or [0])
    first_p50 = statistics.median([r["p50"] for r in head if r["p50"] is not None] or [0])
    last_p50 = statistics.median([r["p50"] for r in tail if r["p50"] is not None] or [0])
    warm = [s for s in memory if s["t"] >= 60] or memory
    all_latencies = [x for minute in minutes.values() for x in minute.latencies]
    errors: Dict[str, int] = {}
    for minute in minutes.values():
        for kind, count in minute.errors.items():
            errors[kind] = errors.get(kind, 0) + count
    turns = len(all_latencies) + sum(errors.values())
    return {
        "settings": {
            "minutes": args.minutes,
            "users": args.users,
            "think_seconds": args.think,
            "loopback_only": True,
            "stack": "tests.harness.stack.start_stack (as make run), SQLite tracker store",
        },
        "duration_seconds": round(seconds, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "load_1min_max": max((s["load_1min"] for s in memory), default=None),
            "load_1min_median": statistics.median([s["load_1min"] for s in memory]) if memory else None,
        },
        "turns": turns,
        "turns_per_second": round(turns / seconds, 2) if seconds else None,
        "errors": errors,
        "error_rate": round(sum(errors.values()) / turns, 5) if turns else None,
        "latency_seconds": {
            "p50": percentile(all_latencies, 0.5),
            "p95": percentile(all_latencies, 0.95),
            "p99": percentile(all_latencies, 0.99),
            "max": percentile(all_latencies, 1.0),
        },
        "latency_drift": {
            "what": "median of the per-minute p50/p95 over the first vs the last minutes (after a 1-minute warm-up)",
            "first_p50": first_p50,
            "last_p50": last_p50,
            "first_p95": first_p95,
            "last_p95": last_p95,
            "p95_change_seconds": round(last_p95 - first_p95, 4),
        },
        "memory_mb": {
            "what": "resident memory (main process + workers), from the end of the first minute to the end",
            "actions": {
                "start": warm[0]["actions_mb"],
                "end": memory[-1]["actions_mb"],
                "max": max(s["actions_mb"] for s in memory),
                "growth": round(memory[-1]["actions_mb"] - warm[0]["actions_mb"], 1),
            },
            "rasa": {
                "start": warm[0]["rasa_mb"],
                "end": memory[-1]["rasa_mb"],
                "max": max(s["rasa_mb"] for s in memory),
                "growth": round(memory[-1]["rasa_mb"] - warm[0]["rasa_mb"], 1),
            },
        },
        "per_minute": per_minute,
        "memory_samples": memory,
    }


async def soak(args: argparse.Namespace, stack: Stack) -> Dict[str, Any]:
    minutes: Dict[int, Minute] = {}
    memory: List[Dict[str, Any]] = []
    started = time.monotonic()
    deadline = started + args.minutes * 60
    rng = random.Random(args.seed)
    tasks = [
        user(i, stack.webhook, deadline, args.think, minutes, started, random.Random(rng.random()))
        for i in range(args.users)
    ]
    await asyncio.gather(sample_memory(stack, deadline, started, memory), *tasks)
    return summarize(args, minutes, memory, time.monotonic() - started)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30, help="how long to run (default 30; at most 240)")
    parser.add_argument("--users", type=int, default=20, help="concurrent conversations (default 20; at most 200)")
    parser.add_argument("--think", type=float, default=2.0, help="seconds between a reply and the next message")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "soak.json")
    args = parser.parse_args(argv)
    if not (0 < args.minutes <= 240 and 0 < args.users <= 200):
        parser.error("--minutes must be in (0, 240] and --users in (0, 200]")
    # The actions' own tables (hand-off requests, feedback) go to a throwaway file, not the repo's database.
    support_db = Path(tempfile.mkdtemp(prefix="painfaq-soak-")) / "support.db"
    os.environ.setdefault("PAINFAQ_DB_URL", f"sqlite:///{support_db}")
    stack = start_stack()
    print(
        f"soak: {args.users} users for {args.minutes} min against {stack.rasa_url} (logs in {stack.workdir})",
        flush=True,
    )
    try:
        summary = asyncio.run(soak(args, stack))
        alive = [p.poll() is None for p in stack.processes]
        summary["servers_alive_at_end"] = all(alive)
    finally:
        stack.stop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    brief = {
        k: summary[k]
        for k in (
            "turns",
            "turns_per_second",
            "errors",
            "error_rate",
            "latency_seconds",
            "latency_drift",
            "memory_mb",
            "servers_alive_at_end",
        )
    }
    print(json.dumps(brief, indent=2))
    print(f"written to {args.out}")
    return 0 if summary["servers_alive_at_end"] and not summary["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
