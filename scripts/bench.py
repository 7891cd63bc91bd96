"""Benchmark (not a test): training time, cold start, turn latency, throughput and memory.

Starts the real action + Rasa servers exactly as the tests do, sends FAQ questions over the REST channel
from several simulated users and prints the numbers; writes them to results/bench.json.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from painfaq.stack import Stack, child_env, current_model, start_stack  # noqa: E402

QUESTIONS = [
    "can anxiety cause back pain?",
    "how long does it last",
    "does yoga help",
    "what can i do to relieve it",
    "is diaphragmatic breathing good for my back",
    "how common is this",
    "what's the source for that?",
    "tell me more",
    "can anxiety cause chest pain?",
    "hi",
]
TARGETS = {"p50_ms_c1": 30, "cold_start_s": 20, "rasa_rss_mb": 800, "train_s": 180}


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (from /proc, no extra dependency)."""
    total_kb = 0
    pids = [pid]
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], stdout=subprocess.PIPE, text=True).stdout.split()
        pids += [int(c) for c in children]
    except FileNotFoundError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except FileNotFoundError:
            continue
    return round(total_kb / 1024, 1)


def percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def one_turn(webhook: str, sender: str, text: str) -> float:
    start = time.perf_counter()
    response = requests.post(webhook, json={"sender": sender, "message": text}, timeout=60)
    response.raise_for_status()
    if not response.json():
        raise RuntimeError(f"empty reply to {text!r}")
    return (time.perf_counter() - start) * 1000


TURNS_PER_CONVERSATION = len(QUESTIONS)


def load(stack: Stack, concurrency: int, turns: int) -> Dict[str, float]:
    """`concurrency` simulated users at once; each asks the 10 questions in order, then starts over as a
    new user (a person never sends their next message before the reply to the last one)."""
    run_id = uuid.uuid4().hex[:8]
    per_worker = max(1, turns // concurrency)

    def worker(worker_id: int) -> List[float]:
        latencies = []
        for i in range(per_worker):
            sender = f"bench-{run_id}-{worker_id}-{i // TURNS_PER_CONVERSATION}"
            latencies.append(one_turn(stack.webhook, sender, QUESTIONS[i % TURNS_PER_CONVERSATION]))
        return latencies

    # Warm-up so lazy initialisation is not measured.
    for i in range(concurrency):
        one_turn(stack.webhook, f"warmup-{run_id}-{i}", "hi")
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        latencies = [ms for result in pool.map(worker, range(concurrency)) for ms in result]
    elapsed = time.perf_counter() - start
    return {
        "concurrency": concurrency,
        "turns": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "mean_ms": round(statistics.mean(latencies), 1),
        "messages_per_s": round(len(latencies) / elapsed, 1),
    }


def train_time() -> float:
    out = Path(tempfile.mkdtemp(prefix="painfaq-bench-train-"))
    env = child_env()
    # An empty training cache: otherwise Rasa reuses cached components and the number means nothing.
    env["RASA_CACHE_DIRECTORY"] = str(out / "cache")
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
         "--out", str(out), "--quiet"],
        cwd=REPO_ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return round(time.perf_counter() - start, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=None)
    parser.add_argument("--turns", type=int, default=300, help="turns per concurrency level")
    parser.add_argument("--skip-train", action="store_true", help="do not measure training time")
    parser.add_argument("--out", default=str(REPO_ROOT / "results" / "bench.json"))
    args = parser.parse_args()

    model = args.model or current_model()
    results: Dict[str, object] = {"model": Path(model).name, "machine": {"cores": __import__("os").cpu_count()}}
    if not args.skip_train:
        print("measuring full training time...", flush=True)
        results["train_s"] = train_time()

    t0 = time.monotonic()
    stack = start_stack(model=model)
    try:
        one_turn(stack.webhook, "bench-cold", "can anxiety cause back pain?")
        results["cold_start_s"] = round(time.monotonic() - t0, 1)
        results["levels"] = [load(stack, 1, args.turns), load(stack, 10, args.turns)]
        action_pid, rasa_pid = stack.pids()
        results["rasa_rss_mb"] = rss_mb(rasa_pid)
        results["action_server_rss_mb"] = rss_mb(action_pid)
    finally:
        stack.stop()

    c1 = results["levels"][0]
    results["targets"] = TARGETS
    results["meets_targets"] = {
        "p50_ms_c1": c1["p50_ms"] <= TARGETS["p50_ms_c1"],
        "cold_start_s": results["cold_start_s"] <= TARGETS["cold_start_s"],
        "rasa_rss_mb": results["rasa_rss_mb"] <= TARGETS["rasa_rss_mb"],
        **({"train_s": results["train_s"] <= TARGETS["train_s"]} if "train_s" in results else {}),
    }
    print(f"model: {results['model']}")
    if "train_s" in results:
        print(f"training time: {results['train_s']} s (target <= {TARGETS['train_s']})")
    print(f"cold start (process start to first answer): {results['cold_start_s']} s (target <= {TARGETS['cold_start_s']})")
    for level in results["levels"]:
        print(f"concurrency {level['concurrency']:>2}: p50 {level['p50_ms']} ms, p95 {level['p95_ms']} ms, "
              f"{level['messages_per_s']} msg/s over {level['turns']} turns")
    print(f"resident memory: Rasa {results['rasa_rss_mb']} MB (target <= {TARGETS['rasa_rss_mb']}), "
          f"action server {results['action_server_rss_mb']} MB")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
