"""Load test for any deployment of the assistant's REST channel (or any Rasa REST webhook).

Simulated users hold conversations at once: each sends its messages one at a time (a person waits
for the reply before typing the next message), then a new user takes its place. The run is bounded
by --requests and --duration, whichever comes first, and reports errors (by kind), latency
percentiles and throughput; --json writes the same report to a file.

Only loopback targets (localhost, 127.0.0.0/8, ::1) are allowed unless --allow-remote is given: a load
test is a lot of traffic, so pointing it at a machine you do not own must be a deliberate choice.
The project's REST channel rate-limits per client address and per sender (painfaq/serving/channel.py): a load
test from one machine needs those limits lifted on the target (PAINFAQ_RATE_PER_ADDRESS=off
PAINFAQ_RATE_PER_SENDER=off PAINFAQ_IN_FLIGHT_PER_ADDRESS=100000), or it measures the 429s.

    python scripts/loadtest.py --url http://127.0.0.1:5005/webhooks/rest/webhook -c 10 --duration 30
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import socket
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence
from urllib.parse import urlsplit

DEFAULT_URL = "http://127.0.0.1:5005/webhooks/rest/webhook"
# One conversation: questions, then the follow-ups that need the stored conversation state.
DEFAULT_MESSAGES = [
    "can anxiety cause back pain?",
    "what's the source for that?",
    "tell me more",
    "does yoga help?",
    "how long does it last?",
    "hi",
]
MAX_REQUESTS = 1_000_000
MAX_DURATION_S = 3600
MAX_CONCURRENCY = 2000


def is_loopback_target(url: str) -> bool:
    """True if every address the URL's host resolves to is a loopback address."""
    host = urlsplit(url).hostname
    if not host:
        return False
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    addresses = {str(info[4][0]) for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


@dataclass
class Tally:
    latencies_ms: List[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    sent: int = 0
    error_samples: List[str] = field(default_factory=list)

    def error(self, kind: str, detail: str = "") -> None:
        self.errors[kind] += 1
        if detail and len(self.error_samples) < 5:
            self.error_samples.append(f"{kind}: {detail[:200]}")


async def user_loop(
    session,
    url: str,
    messages: Sequence[str],
    tally: Tally,
    budget: Dict[str, float],
    timeout: float,
    think_s: float,
    run_id: str,
    user_index: int,
) -> None:
    import aiohttp

    conversation = 0
    while True:
        sender = f"loadtest-{run_id}-{user_index}-{conversation}"
        for message in messages:
            if budget["remaining"] <= 0 or time.monotonic() >= budget["deadline"]:
                return
            budget["remaining"] -= 1
            tally.sent += 1
            start = time.perf_counter()
            try:
                async with session.post(
                    url, json={"sender": sender, "message": message}, timeout=aiohttp.ClientTimeout(total=timeout)
                ) as response:
                    body = await response.read()
                    elapsed_ms = (time.perf_counter() - start) * 1000
                    if response.status != 200:
                        tally.error(f"http_{response.status}", body.decode("utf-8", "replace"))
                        continue
                    try:
                        replies = json.loads(body)
                    except ValueError:
                        tally.error("invalid_json", body.decode("utf-8", "replace"))
                        continue
                    if not isinstance(replies, list) or not replies:
                        tally.error("empty_reply", f"{message!r} -> {body[:100]!r}")
                        continue
                    tally.latencies_ms.append(elapsed_ms)
            except asyncio.TimeoutError:
                tally.error("timeout", message)
            except aiohttp.ClientError as error:
                tally.error("connection", f"{type(error).__name__}: {error}")
                await asyncio.sleep(0.05)  # a refused connection fails instantly: do not spin
            if think_s:
                await asyncio.sleep(think_s)
        conversation += 1


async def run_load(
    url: str,
    concurrency: int,
    max_requests: int,
    duration_s: float,
    messages: Sequence[str],
    timeout: float,
    think_s: float = 0.0,
    warmup: int = 0,
) -> Dict[str, Any]:
    import aiohttp

    run_id = uuid.uuid4().hex[:8]
    connector = aiohttp.TCPConnector(limit=concurrency + 4, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        if warmup:
            warm = Tally()
            await user_loop(
                session,
                url,
                messages,
                warm,
                {"remaining": warmup, "deadline": time.monotonic() + 300},
                timeout,
                0.0,
                f"warmup-{run_id}",
                0,
            )
        tally = Tally()
        budget = {"remaining": float(max_requests), "deadline": time.monotonic() + duration_s}
        start = time.perf_counter()
        await asyncio.gather(
            *(user_loop(session, url, messages, tally, budget, timeout, think_s, run_id, i) for i in range(concurrency))
        )
        elapsed = time.perf_counter() - start
    latencies = sorted(tally.latencies_ms)
    ok = len(latencies)
    errors = sum(tally.errors.values())
    return {
        "url": url,
        "concurrency": concurrency,
        "duration_s": round(elapsed, 2),
        "requests": tally.sent,
        "ok": ok,
        "errors": errors,
        "error_rate": round(errors / tally.sent, 4) if tally.sent else 0.0,
        "errors_by_kind": dict(tally.errors),
        "error_samples": tally.error_samples,
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 1),
            "p90": round(percentile(latencies, 90), 1),
            "p95": round(percentile(latencies, 95), 1),
            "p99": round(percentile(latencies, 99), 1),
            "max": round(latencies[-1], 1) if latencies else float("nan"),
            "mean": round(sum(latencies) / ok, 1) if ok else float("nan"),
        },
        "messages_per_s": round(ok / elapsed, 1) if elapsed > 0 else 0.0,
    }


def print_report(report: Dict[str, Any]) -> None:
    lat = report["latency_ms"]
    print(f"target      : {report['url']}")
    print(f"users       : {report['concurrency']} at once, {report['duration_s']} s")
    print(
        f"requests    : {report['requests']} sent, {report['ok']} answered, {report['errors']} errors "
        f"({report['error_rate'] * 100:.2f} %)"
    )
    if report["errors_by_kind"]:
        print(f"errors      : {report['errors_by_kind']}")
        for sample in report["error_samples"]:
            print(f"  e.g. {sample}")
    print(f"latency ms  : p50 {lat['p50']}  p90 {lat['p90']}  p95 {lat['p95']}  p99 {lat['p99']}  max {lat['max']}")
    print(f"throughput  : {report['messages_per_s']} answered messages/s")


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=DEFAULT_URL, help=f"REST webhook URL (default {DEFAULT_URL})")
    parser.add_argument("-c", "--concurrency", type=int, default=10, help="simulated users at once (default 10)")
    parser.add_argument("-n", "--requests", type=int, default=2000, help="stop after this many requests (default 2000)")
    parser.add_argument("-d", "--duration", type=float, default=60, help="stop after this many seconds (default 60)")
    parser.add_argument("--timeout", type=float, default=30, help="per-request timeout in seconds (default 30)")
    parser.add_argument("--think-ms", type=float, default=0, help="pause between a user's messages (default 0)")
    parser.add_argument("--warmup", type=int, default=6, help="requests sent before measuring (default 6)")
    parser.add_argument("--messages", type=Path, help="text file, one message per line: one conversation")
    parser.add_argument("--json", type=Path, help="also write the report to this JSON file")
    parser.add_argument(
        "--max-error-rate",
        type=float,
        default=0.0,
        help="exit 1 if the share of failed requests is above this (default 0)",
    )
    parser.add_argument("--allow-remote", action="store_true", help="allow a target that is not on this machine")
    args = parser.parse_args(argv)
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        parser.error(f"--concurrency must be 1..{MAX_CONCURRENCY}")
    if not 1 <= args.requests <= MAX_REQUESTS:
        parser.error(f"--requests must be 1..{MAX_REQUESTS}")
    if not 0 < args.duration <= MAX_DURATION_S:
        parser.error(f"--duration must be in (0, {MAX_DURATION_S}] seconds")
    if urlsplit(args.url).scheme not in ("http", "https"):
        parser.error("--url must be an http(s) URL")
    if not args.allow_remote and not is_loopback_target(args.url):
        parser.error(f"{args.url} is not a loopback address; pass --allow-remote to load-test another machine")
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    messages = DEFAULT_MESSAGES
    if args.messages:
        messages = [line.strip() for line in args.messages.read_text().splitlines() if line.strip()]
        if not messages:
            raise SystemExit(f"{args.messages}: no messages")
    report = asyncio.run(
        run_load(
            args.url,
            args.concurrency,
            args.requests,
            args.duration,
            messages,
            args.timeout,
            think_s=args.think_ms / 1000,
            warmup=args.warmup,
        )
    )
    print_report(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 1 if report["error_rate"] > args.max_error_rate or not report["ok"] else 0


if __name__ == "__main__":
    sys.exit(main())
