"""Benchmark (not a test): this project against a stock Rasa 3.6 assistant, in one run on this machine.

Three systems are measured the same way over the REST channel:

* **stock**: the assistant `rasa init --no-prompt` creates, trained by this run in a temporary folder (same
  venv), served with `rasa run` and its own default endpoints (in-memory tracker and lock store, no
  action server: its default bot needs none);
* **project**: this project as `make run` starts it (tests.harness.stack.start_stack: action server + Rasa,
  SQLite tracker store);
* **production**: this project in the production profile with 2 Rasa workers and 2 action-server workers
  (tests.harness.stack.start_production_stack; throwaway PostgreSQL and Redis started by this run, as the
  tests do; skipped with a message if they are not installed).

For each: cold start (processes started -> first answer), p50/p95 turn latency and messages per second at
concurrency 1, 10 and 50 (each simulated user sends its conversation's messages one at a time, then a new
user starts), the servers' CPU time per turn, and memory (RSS and PSS summed over every server process).
Ratios to stock are printed and written with everything else to results/bench.json. The training time of
this project (empty training cache) is measured too unless --skip-train.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import requests

from painfaq.serving.commands import train_command
from tests.harness.stack import (
    LOAD_TEST_ENV,
    Stack,
    child_env,
    current_model,
    free_port,
    process_tree,
    start_production_stack,
    start_stack,
)

REPO_ROOT = Path(__file__).resolve().parent.parent

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
# A conversation with the `rasa init` bot, same length, covering its intents and stories.
STOCK_MESSAGES = [
    "hello",
    "I am sad",
    "yes",
    "are you a bot?",
    "hi",
    "I am feeling great",
    "bye",
    "good morning",
    "not very good",
    "no",
]
TARGETS = {"p50_ms_c1": 30, "cold_start_s": 20, "rasa_rss_mb": 800, "train_s": 180}
# Issue 6: on these 2-core machines, relative to the stock assistant measured in the same run.
TARGETS_VS_STOCK = {
    "p50_c1_ratio_max": 0.6,
    "throughput_c10_ratio_min": 2.0,
    "p95_c10_ms_max": 250,
    "cold_start_ratio_max": 0.35,
    "memory_ratio_max": 0.5,
}
CONCURRENCY_LEVELS = (1, 10, 50)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (from /proc, no extra dependency)."""
    return memory_mb(process_tree(pid))["rss_mb"]


def memory_mb(pids: Sequence[int]) -> Dict[str, float]:
    """RSS and PSS summed over `pids` (PSS shares pages mapped by several processes, e.g. forked workers)."""
    rss_kb = pss_kb = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss_kb += int(line.split()[1])
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss_kb += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return {"rss_mb": round(rss_kb / 1024, 1), "pss_mb": round(pss_kb / 1024, 1), "processes": len(pids)}


def cpu_seconds(pids: Sequence[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (FileNotFoundError, IndexError, ValueError):
            continue
    return total


def percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


_session = requests.Session()


def one_turn(webhook: str, sender: str, text: str, require_reply: bool = True) -> float:
    start = time.perf_counter()
    response = _session.post(webhook, json={"sender": sender, "message": text}, timeout=60)
    response.raise_for_status()
    if require_reply and not response.json():
        raise RuntimeError(f"empty reply to {text!r}")
    return (time.perf_counter() - start) * 1000


def run_level(
    webhook: str,
    concurrency: int,
    turns: int,
    messages: Sequence[str] = QUESTIONS,
    require_reply: bool = True,
    pids: Sequence[int] = (),
) -> Dict[str, Any]:
    """`concurrency` simulated users at once; each sends the conversation's messages in order, then starts
    over as a new user (a person never sends their next message before the reply to the last one).
    Returns the raw latencies, the elapsed time and the servers' CPU seconds."""
    run_id = uuid.uuid4().hex[:8]
    per_worker = max(1, turns // concurrency)
    per_conversation = len(messages)
    sessions = [requests.Session() for _ in range(concurrency)]

    def worker(worker_id: int) -> List[float]:
        latencies = []
        session = sessions[worker_id]
        for i in range(per_worker):
            sender = f"bench-{run_id}-{worker_id}-{i // per_conversation}"
            start = time.perf_counter()
            response = session.post(
                webhook, json={"sender": sender, "message": messages[i % per_conversation]}, timeout=120
            )
            response.raise_for_status()
            if require_reply and not response.json():
                raise RuntimeError(f"empty reply to {messages[i % per_conversation]!r}")
            latencies.append((time.perf_counter() - start) * 1000)
        return latencies

    # Warm-up so lazy initialisation (and connection set-up) is not measured.
    for i in range(concurrency):
        sessions[i].post(webhook, json={"sender": f"warmup-{run_id}-{i}", "message": messages[0]}, timeout=120)
    cpu_before = cpu_seconds(pids)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        latencies = [ms for result in pool.map(worker, range(concurrency)) for ms in result]
    elapsed = time.perf_counter() - start
    cpu_used = cpu_seconds(pids) - cpu_before
    for session in sessions:
        session.close()
    return {"latencies": latencies, "elapsed": elapsed, "cpu": cpu_used}


def summarise(concurrency: int, parts: Sequence[Dict[str, Any]], with_cpu: bool = True) -> Dict[str, float]:
    """One level's numbers from one or more runs of it (their latencies pooled, their times added)."""
    latencies = [ms for part in parts for ms in part["latencies"]]
    elapsed = sum(part["elapsed"] for part in parts)
    cpu = sum(part["cpu"] for part in parts)
    return {
        "concurrency": concurrency,
        "turns": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "mean_ms": round(statistics.mean(latencies), 1),
        "messages_per_s": round(len(latencies) / elapsed, 1),
        **({"server_cpu_ms_per_turn": round(cpu / len(latencies) * 1000, 1)} if with_cpu else {}),
    }


def load(
    webhook: str,
    concurrency: int,
    turns: int,
    messages: Sequence[str] = QUESTIONS,
    require_reply: bool = True,
    pids: Sequence[int] = (),
) -> Dict[str, float]:
    """One level, measured in one go."""
    return summarise(concurrency, [run_level(webhook, concurrency, turns, messages, require_reply, pids)], bool(pids))


def train_time() -> float:
    out = Path(tempfile.mkdtemp(prefix="painfaq-bench-train-"))
    env = child_env()
    # An empty training cache: otherwise Rasa reuses cached components and the number means nothing.
    env["RASA_CACHE_DIRECTORY"] = str(out / "cache")
    start = time.perf_counter()
    try:
        subprocess.run(
            train_command(out=out),
            cwd=REPO_ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return round(time.perf_counter() - start, 1)
    finally:
        shutil.rmtree(out, ignore_errors=True)


# ------------------------------------------------------------------------------------------ stock Rasa


class StockRasa:
    """The `rasa init` assistant, created and trained in a temp folder, served by `rasa run`."""

    def __init__(self, existing: Optional[Path] = None) -> None:
        self.owned = existing is None  # a temporary folder of ours: removed by cleanup()
        if existing is not None:
            self.dir = existing.resolve()
        else:
            self.dir = Path(tempfile.mkdtemp(prefix="painfaq-bench-stock-")) / "stock"
            self.dir.mkdir()
        self.process: Optional[subprocess.Popen] = None
        self.url = ""

    def env(self) -> dict:
        env = child_env()
        env["PYTHONPATH"] = str(self.dir)  # nothing of this project on its path
        env["RASA_CACHE_DIRECTORY"] = str(self.dir / ".rasa-cache")
        return env

    def init_and_train(self) -> float:
        start = time.perf_counter()
        with open(self.dir.parent / "init.log", "wb") as log:
            subprocess.run(
                [sys.executable, "-m", "rasa", "init", "--no-prompt", "--init-dir", str(self.dir)],
                cwd=self.dir,
                env=self.env(),
                check=True,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return round(time.perf_counter() - start, 1)

    def model(self) -> str:
        models = sorted((self.dir / "models").glob("*.tar.gz"))
        if not models:
            raise RuntimeError(f"rasa init trained no model (see {self.dir.parent / 'init.log'})")
        return str(models[-1])

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        log = open(self.dir.parent / f"stock-run-{port}.log", "wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rasa",
                "run",
                "--model",
                self.model(),
                "--port",
                str(port),
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
            ],
            cwd=self.dir,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("stock Rasa exited:\n" + Path(log.name).read_text()[-3000:])
            try:
                if requests.get(self.url + "/", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError("stock Rasa not ready after 300 s")

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"

    def cleanup(self) -> None:
        if self.owned:
            shutil.rmtree(self.dir.parent, ignore_errors=True)

    def pids(self) -> List[int]:
        return process_tree(self.process.pid) if self.process else []

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


# ---------------------------------------------------------------------------------------- measuring


@dataclass
class System:
    """How to start, reach and stop one of the measured systems."""

    name: str
    label: str
    start: Callable[[], object]
    webhook: Callable[[Any], str]
    roles: Callable[[Any], Dict[str, int]]  # role ("rasa", "actions") -> main process id
    stop: Callable[[Any], None]
    messages: Sequence[str]
    require_reply: bool = True
    handle: object = None

    def pids(self) -> List[int]:
        return [pid for main_pid in self.roles(self.handle).values() for pid in process_tree(main_pid)]


class ForeignLoad:
    """CPU time used by processes outside this benchmark (other jobs on a shared machine), in cores.

    Busy time of the whole machine (/proc/stat) minus the CPU time of this process and all its
    descendants (the systems under test, PostgreSQL, Redis), counting the time of exited descendants
    (their parents' cutime/cstime) so that starting and stopping servers does not look like other jobs."""

    def __init__(self) -> None:
        self.ticks = os.sysconf("SC_CLK_TCK")

    def own_seconds(self) -> float:
        total = 0
        for pid in process_tree(os.getpid()):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
            except (FileNotFoundError, IndexError, ValueError):
                continue
        return total / self.ticks

    def snapshot(self) -> Tuple[float, float, float]:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        busy = sum(values[:8]) - values[3] - values[4]  # user..steal, minus idle and iowait
        return time.monotonic(), busy / self.ticks, self.own_seconds()

    @staticmethod
    def cores(before: Tuple[float, float, float], after: Tuple[float, float, float]) -> float:
        elapsed = after[0] - before[0]
        if elapsed <= 0:
            return 0.0
        return max(0.0, ((after[1] - before[1]) - (after[2] - before[2])) / elapsed)

    def wait_until_quiet(self, max_cores: float, timeout: float) -> float:
        """Wait (up to `timeout` s) until other jobs use at most `max_cores`; return what they used."""
        deadline = time.monotonic() + timeout
        announced = False
        while True:
            before = self.snapshot()
            time.sleep(1.0)
            used = self.cores(before, self.snapshot())
            if used <= max_cores or time.monotonic() >= deadline:
                return used
            if not announced:
                print(f"    waiting: other jobs use {used:.2f} cores (max {max_cores})", flush=True)
                announced = True


def measure_all(
    systems: List[System],
    turns: int,
    turns_per_user: int,
    rounds: int = 4,
    max_foreign_cores: float = 0.3,
    quiet_timeout: float = 300,
    attempts: int = 3,
) -> Dict[str, Dict[str, Any]]:
    """Cold start of each system in turn (the others idle), then every load level interleaved: each
    system runs 1/`rounds` of a level's turns in the order A B C, the next part in the order C B A, and so
    on, so a change in the machine's background load falls on all alike. Before each part the benchmark
    waits until other jobs use at most `max_foreign_cores`; a part (or cold start) during which they used
    more is measured again (up to `attempts` times; the CPU other jobs used is recorded either way)."""
    monitor = ForeignLoad()
    results: Dict[str, Dict[str, Any]] = {}

    def guarded(what: str, run: Callable[[], object], undo: Callable[[], None] = lambda: None):
        for attempt in range(1, attempts + 1):
            monitor.wait_until_quiet(max_foreign_cores, quiet_timeout)
            before = monitor.snapshot()
            outcome = run()
            foreign = monitor.cores(before, monitor.snapshot())
            if foreign <= max_foreign_cores or attempt == attempts:
                return outcome, foreign
            print(f"    {what}: other jobs used {foreign:.2f} cores meanwhile; measuring again", flush=True)
            undo()

    try:
        for system in systems:
            print(f"--- {system.label}: starting", flush=True)

            def cold_start(system: System = system) -> float:
                t0 = time.monotonic()
                system.handle = system.start()
                one_turn(
                    system.webhook(system.handle),
                    f"bench-cold-{uuid.uuid4().hex[:6]}",
                    system.messages[0],
                    system.require_reply,
                )
                return round(time.monotonic() - t0, 1)

            def stop(system: System = system) -> None:
                system.stop(system.handle)
                system.handle = None

            seconds, foreign = guarded("cold start", cold_start, stop)
            results[system.name] = {
                "label": system.label,
                "cold_start_s": seconds,
                "cold_start_foreign_cores": round(foreign, 2),
                "levels": [],
            }
            print(f"    cold start {seconds} s (other jobs: {foreign:.2f} cores)", flush=True)
        for concurrency in CONCURRENCY_LEVELS:
            level_turns = max(turns, turns_per_user * concurrency)
            part_turns = max(concurrency, level_turns // rounds)
            parts: Dict[str, List[Dict[str, Any]]] = {system.name: [] for system in systems}
            foreign_by_system: Dict[str, List[float]] = {system.name: [] for system in systems}
            for round_number in range(rounds):
                for system in systems if round_number % 2 == 0 else systems[::-1]:

                    def measure(
                        system: System = system, concurrency: int = concurrency, turns: int = part_turns
                    ) -> Any:
                        return run_level(
                            system.webhook(system.handle),
                            concurrency,
                            turns,
                            system.messages,
                            system.require_reply,
                            pids=system.pids(),
                        )

                    part, foreign = guarded(f"{system.name} c={concurrency}", measure)
                    parts[system.name].append(part)
                    foreign_by_system[system.name].append(foreign)
            for system in systems:
                summary = summarise(concurrency, parts[system.name])
                summary["foreign_cores"] = round(statistics.mean(foreign_by_system[system.name]), 2)
                results[system.name]["levels"].append(summary)
                print(
                    f"    {system.name:>10} c={concurrency:>2}: p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms, "
                    f"{summary['messages_per_s']} msg/s, server CPU {summary['server_cpu_ms_per_turn']} ms/turn "
                    f"(other jobs: {summary['foreign_cores']} cores)",
                    flush=True,
                )
        for system in systems:
            result = results[system.name]
            result["memory"] = memory_mb(system.pids())
            result["memory_by_role"] = {
                role: memory_mb(process_tree(pid)) for role, pid in system.roles(system.handle).items()
            }
            print(
                f"    {system.name:>10} memory: RSS {result['memory']['rss_mb']} MB, PSS {result['memory']['pss_mb']} "
                f"MB over {result['memory']['processes']} processes",
                flush=True,
            )
    finally:
        for system in systems:
            if system.handle is not None:
                system.stop(system.handle)
    return results


def level(result: Dict[str, Any], concurrency: int) -> Dict[str, float]:
    return next(level for level in result["levels"] if level["concurrency"] == concurrency)


def ratios(system: Dict[str, Any], stock: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {
        "p50_c1": round(level(system, 1)["p50_ms"] / level(stock, 1)["p50_ms"], 2),
        "throughput_c10": round(level(system, 10)["messages_per_s"] / level(stock, 10)["messages_per_s"], 2),
        "throughput_c50": round(level(system, 50)["messages_per_s"] / level(stock, 50)["messages_per_s"], 2),
        "p95_c10_ms": level(system, 10)["p95_ms"],
        "cold_start": round(system["cold_start_s"] / stock["cold_start_s"], 2),
        "memory_rss": round(system["memory"]["rss_mb"] / stock["memory"]["rss_mb"], 2),
        "memory_pss": round(system["memory"]["pss_mb"] / stock["memory"]["pss_mb"], 2),
    }
    t = TARGETS_VS_STOCK
    out["meets_targets"] = {
        "p50_c1": out["p50_c1"] <= t["p50_c1_ratio_max"],
        "throughput_c10": out["throughput_c10"] >= t["throughput_c10_ratio_min"]
        and out["p95_c10_ms"] <= t["p95_c10_ms_max"],
        "cold_start": out["cold_start"] <= t["cold_start_ratio_max"],
        "memory": out["memory_rss"] <= t["memory_ratio_max"],
    }
    return out


def print_ratios(name: str, r: Dict[str, Any]) -> None:
    ok = r["meets_targets"]
    mark = lambda good: "ok" if good else "MISSED"  # noqa: E731
    t = TARGETS_VS_STOCK
    print(f"{name} / stock:")
    print(f"  p50 latency c=1    {r['p50_c1']:>5}x  (target <= {t['p50_c1_ratio_max']}x)  {mark(ok['p50_c1'])}")
    print(
        f"  throughput c=10    {r['throughput_c10']:>5}x  (target >= {t['throughput_c10_ratio_min']}x with p95 "
        f"{r['p95_c10_ms']} ms <= {t['p95_c10_ms_max']} ms)  {mark(ok['throughput_c10'])}"
    )
    print(f"  throughput c=50    {r['throughput_c50']:>5}x")
    print(
        f"  cold start         {r['cold_start']:>5}x  (target <= {t['cold_start_ratio_max']}x)  {mark(ok['cold_start'])}"
    )
    print(
        f"  memory (RSS)       {r['memory_rss']:>5}x  (target <= {t['memory_ratio_max']}x)  {mark(ok['memory'])}; "
        f"PSS {r['memory_pss']}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None)
    parser.add_argument("--turns", type=int, default=300, help="turns per concurrency level")
    parser.add_argument(
        "--turns-per-user",
        type=int,
        default=10,
        help="at least this many turns per simulated user at each level (default 10: one conversation)",
    )
    parser.add_argument("--skip-train", action="store_true", help="do not measure this project's training time")
    parser.add_argument("--skip-stock", action="store_true", help="do not measure the stock Rasa assistant")
    parser.add_argument("--skip-production", action="store_true", help="do not measure the production profile")
    parser.add_argument("--rounds", type=int, default=4, help="parts each load level is split into, interleaved")
    parser.add_argument(
        "--max-foreign-cores",
        type=float,
        default=0.3,
        help="measure again a part during which other jobs used more CPU than this (cores)",
    )
    parser.add_argument("--stock-dir", type=Path, help="reuse a folder where `rasa init` already trained a model")
    parser.add_argument("--out", default=str(REPO_ROOT / "results" / "bench.json"))
    args = parser.parse_args()

    # Every request comes from 127.0.0.1: lift the REST channel's per-address/per-sender rate limits.
    os.environ.update(LOAD_TEST_ENV)
    model = args.model or current_model()
    results: Dict[str, Any] = {
        "model": Path(model).name,
        "machine": {"cores": os.cpu_count(), "load_average_at_start": round(os.getloadavg()[0], 2)},
        "method": "REST channel; each simulated user sends its conversation one message at a time, then a new "
        "user starts; cold start = processes started -> first answer (one system at a time); each load "
        "level is split into --rounds parts run per system in the order stock, project, production, then "
        "reversed, and so on; a part (or cold start) during which other jobs on the machine used more than "
        "--max-foreign-cores is measured again (foreign_cores records what they used); memory (RSS, PSS) after the load, summed over every server process "
        "(PostgreSQL/Redis not counted; PSS shares the venv's libraries between systems running together)",
    }
    if not args.skip_train:
        print("measuring full training time...", flush=True)
        results["train_s"] = train_time()
        print(f"    this project: {results['train_s']} s", flush=True)

    def stack_roles(stack: Stack) -> Dict[str, int]:
        action_pid, rasa_pid = stack.pids()
        return {"rasa": rasa_pid, "actions": action_pid}

    to_measure: List[System] = []
    stock_train_s: Optional[float] = None
    stock: Optional[StockRasa] = None
    if not args.skip_stock:
        stock = StockRasa(args.stock_dir)
        if args.stock_dir is None:
            print("stock: rasa init --no-prompt (creates and trains the default assistant)...", flush=True)
            stock_train_s = stock.init_and_train()
            print(f"    trained in {stock_train_s} s", flush=True)

        def start_stock() -> StockRasa:
            stock.start()
            return stock

        to_measure.append(
            System(
                "stock",
                "stock Rasa 3.6 (rasa init)",
                start_stock,
                lambda s: s.webhook,
                lambda s: {"rasa": s.process.pid},
                lambda s: s.stop(),
                STOCK_MESSAGES,
                require_reply=False,
            )
        )
    to_measure.append(
        System(
            "project",
            "this project (make run)",
            lambda: start_stack(model=model),
            lambda s: s.webhook,
            stack_roles,
            lambda s: s.stop(),
            QUESTIONS,
        )
    )
    services = None
    if not args.skip_production:
        from tests.harness import services as svc

        missing = svc.missing_binaries()
        if missing:
            print(f"--- production profile skipped: missing {', '.join(missing)} ({svc.INSTALL_HINT})", flush=True)
            results["production_skipped"] = f"missing {', '.join(missing)}"
        else:
            services = svc.start_services()
            to_measure.append(
                System(
                    "production",
                    "production profile (2 Rasa + 2 action-server workers, PostgreSQL, Redis)",
                    lambda: start_production_stack(services.env(), model=model, rasa_workers=2, action_workers=2),
                    lambda s: s.webhook,
                    stack_roles,
                    lambda s: s.stop(),
                    QUESTIONS,
                )
            )
    try:
        systems = measure_all(
            to_measure, args.turns, args.turns_per_user, rounds=args.rounds, max_foreign_cores=args.max_foreign_cores
        )
    finally:
        if services is not None:
            services.stop()
        if stock is not None:
            stock.cleanup()
    if stock_train_s is not None:
        systems["stock"]["train_s"] = stock_train_s

    results["systems"] = systems
    # The keys this file had before the comparison (this project, `make run`), kept for continuity.
    project = systems["project"]
    results["cold_start_s"] = project["cold_start_s"]
    results["levels"] = project["levels"]
    results["rasa_rss_mb"] = project["memory_by_role"]["rasa"]["rss_mb"]
    results["action_server_rss_mb"] = project["memory_by_role"]["actions"]["rss_mb"]
    results["targets"] = TARGETS
    c1 = level(project, 1)
    results["meets_targets"] = {
        "p50_ms_c1": c1["p50_ms"] <= TARGETS["p50_ms_c1"],
        "cold_start_s": project["cold_start_s"] <= TARGETS["cold_start_s"],
        "rasa_rss_mb": project["memory_by_role"]["rasa"]["rss_mb"] <= TARGETS["rasa_rss_mb"],
        **({"train_s": results["train_s"] <= TARGETS["train_s"]} if "train_s" in results else {}),
    }
    if "stock" in systems:
        results["targets_vs_stock"] = TARGETS_VS_STOCK
        results["ratios_to_stock"] = {
            name: ratios(system, systems["stock"]) for name, system in systems.items() if name != "stock"
        }

    print()
    print(f"model: {results['model']}")
    if "train_s" in results:
        print(
            f"training time: {results['train_s']} s (target <= {TARGETS['train_s']})"
            + (
                f"; stock rasa init + train: {systems['stock']['train_s']} s"
                if systems.get("stock", {}).get("train_s")
                else ""
            )
        )
    for name, system in systems.items():
        lv = {level["concurrency"]: level for level in system["levels"]}
        print(
            f"{name:>10}: cold start {system['cold_start_s']} s; "
            + "; ".join(
                f"c={c} p50 {lv[c]['p50_ms']} p95 {lv[c]['p95_ms']} ms {lv[c]['messages_per_s']} msg/s"
                for c in CONCURRENCY_LEVELS
            )
            + f"; RSS {system['memory']['rss_mb']} MB, PSS {system['memory']['pss_mb']} MB"
        )
    for name, r in results.get("ratios_to_stock", {}).items():
        print_ratios(name, r)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
