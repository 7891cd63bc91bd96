"""Chaos under load: simulated users talk while a random server process is killed with SIGKILL at intervals.

    make chaos                 both profiles, 20 users, 10 minutes each, a kill every 30 s -> results/chaos.json
    python -m scripts.chaos --profile embedded --minutes 1 --kill-every 15      (the short run in make test)

The servers run as the make targets run them: supervised (scripts/run.sh; scripts/run_production.sh twice,
as two instances on one throwaway PostgreSQL and Redis). Each user sends a scripted conversation, one
message at a time, to its instance. A kill picks a process at random among the action server, a Rasa worker
or its parent, and the demo/staff server. Reported per profile: requests sent, answered normally, answered with
the apology, failed (no HTTP answer or a 5xx), recovery after each kill (seconds until the next normal
answer), the longest run of apologies, and, read back from the tracker store, every user's stored messages
checked against what it sent for loss, duplication and order.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import requests

from painfaq.serving.balancer import haproxy_path
from tests.harness import services
from tests.harness.reliability_helpers import write_endpoints
from tests.harness.stack import REPO_ROOT, child_env, free_ports

APOLOGY = "something went wrong"
QUESTIONS = [
    "can anxiety cause back pain?",
    "how long does it last?",
    "does yoga help?",
    "what about breathing exercises",
    "can stress make my back hurt",
    "thanks",
]


@dataclass
class Instance:
    name: str
    rasa: int
    actions: int
    web: int
    run_dir: Path
    backend: int = 0  # Rasa's own port behind HAProxy (the clients use `rasa`)
    process: Optional[subprocess.Popen] = None

    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa}/webhooks/rest/webhook"

    def pids(self) -> Dict[str, List[int]]:
        """Killable processes: program -> pids (Rasa: the parent first, then its workers)."""
        conf = self.run_dir / "supervision" / "supervisord.conf"
        out: Dict[str, List[int]] = {}
        for program in ("actions", "rasa", "demo", "staff"):
            result = subprocess.run(
                [str(REPO_ROOT / ".venv/bin/supervisorctl"), "-c", str(conf), "pid", program],
                capture_output=True, text=True, timeout=30,
            )  # fmt: skip
            text = result.stdout.strip()
            if text.isdigit() and int(text) > 0:
                parent = int(text)
                out[program] = [parent, *children(parent)] if program == "rasa" else [parent]
        return out


def children(pid: int) -> List[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


@dataclass
class Outcome:
    sent: int = 0
    normal: int = 0
    apology: int = 0
    failed: int = 0
    failure_reasons: Dict[str, int] = field(default_factory=dict)  # "HTTP 502", "ConnectionError", ...
    replies: List[tuple] = field(default_factory=list)  # (time, kind)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str) -> None:
        with self.lock:
            self.sent += 1
            setattr(self, kind, getattr(self, kind) + 1)
            self.replies.append((time.monotonic(), kind))


def user(sender: str, instance: Instance, deadline: float, outcome: Outcome, sent: Dict[str, List[tuple]]) -> None:
    session = requests.Session()
    turn = 0
    while time.monotonic() < deadline:
        text = f"{QUESTIONS[turn % len(QUESTIONS)]} #{turn}"  # unique, so the store check needs no guessing
        turn += 1
        try:
            reply = session.post(instance.url(), json={"sender": sender, "message": text}, timeout=45)
            status: Optional[int] = reply.status_code
            reason = f"HTTP {status}"
            body = " ".join(m.get("text", "") for m in reply.json()) if status == 200 else ""
        except (requests.RequestException, ValueError) as error:
            status, body, reason = None, "", type(error).__name__
        if status == 200 and APOLOGY not in body:
            kind = "normal"
        elif status == 200:
            kind = "apology"
        else:
            kind = "failed"
            with outcome.lock:
                outcome.failure_reasons[reason] = outcome.failure_reasons.get(reason, 0) + 1
            time.sleep(1.0)  # a refused connection returns at once: do not spin
        outcome.add(kind)
        sent[sender].append((text, kind, round(time.time(), 1)))
        time.sleep(random.uniform(0.5, 1.5))  # reading the reply


def stored_messages(profile: str, db: Any, sender: str) -> List[str]:
    if profile == "embedded":
        with sqlite3.connect(db) as conn:
            rows = conn.execute(
                "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id", (sender,)
            ).fetchall()
        return [json.loads(r[0]).get("text", "") for r in rows]
    rows = db.query("SELECT data FROM events WHERE sender_id = %s AND type_name = 'user' ORDER BY id", (sender,))
    return [json.loads(r[0]).get("text", "") for r in rows]


def check_conversation(sent: List[tuple], stored: List[str]) -> Dict[str, int]:
    """Messages that got an HTTP 200 must be stored once, in order; one without an answer may or may not be.

    Every sent text is unique (the users number their messages), so each stored message maps to one send."""
    order = {entry[0]: index for index, entry in enumerate(sent)}
    counts: Dict[str, int] = {}
    for text in stored:
        counts[text] = counts.get(text, 0) + 1
    lost = sum(1 for text, kind, *_ in sent if kind != "failed" and text not in counts)
    duplicated = sum(n - 1 for n in counts.values() if n > 1)
    reordered, latest = 0, -1
    seen = set()
    for text in stored:
        if text in seen or text not in order:
            continue
        seen.add(text)
        if order[text] < latest:
            reordered += 1  # stored after a message that was sent later
        latest = max(latest, order[text])
    return {"lost": lost, "duplicated": duplicated, "reordered": reordered}


def recovery_after(kills: List[tuple], replies: List[tuple]) -> List[Optional[float]]:
    """Seconds from each kill to the next normal answer (None: none before the run ended)."""
    out: List[Optional[float]] = []
    for at, _ in kills:
        later = [t for t, kind in replies if t > at and kind == "normal"]
        out.append(round(min(later) - at, 1) if later else None)
    return out


def failures_after_kill(kills: List[tuple], replies: List[tuple]) -> List[str]:
    """Each failed request as "<seconds> s after <the kill before it>", to tell which kind of kill costs what."""
    out = []
    for at, kind in sorted(replies):
        if kind != "failed":
            continue
        before = [(t, what) for t, what in kills if t <= at]
        out.append(f"{at - before[-1][0]:.1f} s after {before[-1][1]}" if before else "before the first kill")
    return out


def longest_apology_run(replies: List[tuple]) -> float:
    longest, start = 0.0, None
    for t, kind in sorted(replies):
        if kind == "apology":
            start = t if start is None else start
            longest = max(longest, t - start)
        elif kind == "normal":
            start = None
    return round(longest, 1)


def start_instance(
    instance: Instance, env: Dict[str, str], sqlite_db: Optional[Path], backups: List[Instance]
) -> Instance:
    """One supervised instance, as its make target starts it; returns once it is ready. Its HAProxy hands
    turns to the `backups`' Rasa when its own fails the readiness check."""
    name = instance.name
    instance.run_dir.mkdir(parents=True)
    env = dict(
        env,
        RASA_PORT=str(instance.rasa), ACTION_PORT=str(instance.actions), WEB_PORT=str(instance.web),
        RASA_BACKEND_PORT=str(instance.backend), RASA_BACKUPS=" ".join(f"127.0.0.1:{b.backend}" for b in backups),
        RUN_DIR=str(instance.run_dir), LOG_DIR=str(instance.run_dir / "logs"),
        # One client address sends every user's turns: lift the per-address limits, as the README says.
        PAINFAQ_RATE_PER_SENDER="off", PAINFAQ_RATE_PER_ADDRESS="off", PAINFAQ_IN_FLIGHT_PER_ADDRESS="0",
    )  # fmt: skip
    if sqlite_db is not None:
        env["ENDPOINTS"] = str(write_endpoints(instance.run_dir, instance.actions, sqlite_db))
        script = "scripts/run.sh"
    else:
        env.update(
            ACTION_SERVER_URL=f"http://127.0.0.1:{instance.actions}/webhook", RASA_WORKERS="2", ACTION_WORKERS="2"
        )
        script = "scripts/run_production.sh"
    out = open(instance.run_dir / "run.out", "ab")  # appended to, as supervisord also writes through /dev/stderr
    instance.process = subprocess.Popen(
        ["bash", script], cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 300
    ready = f"http://127.0.0.1:{instance.rasa}/webhooks/rest/ready"
    while time.monotonic() < deadline:
        try:
            if requests.get(ready, timeout=2).status_code == 200:
                return instance
        except requests.RequestException:
            pass
        if instance.process.poll() is not None:
            break
        time.sleep(0.5)
    raise SystemExit(f"chaos: {name} did not start; see {instance.run_dir / 'run.out'}")


def leftovers(instances: List[Instance]) -> List[str]:
    """Server processes of these instances still running after they were stopped (orphaned workers)."""
    ports = {str(port) for i in instances for port in (i.rasa, i.actions, i.web, i.backend)}
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = {a.decode(errors="replace") for a in args}
        if "--port" in words and words & ports and any("painfaq" in w or "serve_demo" in w for w in words):
            found.append(f"{proc.name}: {' '.join(sorted(words & ports))}")
            try:
                os.kill(int(proc.name), signal.SIGKILL)
            except ProcessLookupError:
                pass
    return found


def stop(instances: List[Instance]) -> None:
    for instance in instances:
        if instance.process and instance.process.poll() is None:
            os.kill(instance.process.pid, signal.SIGTERM)
    for instance in instances:
        if instance.process:
            try:
                instance.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(instance.process.pid, signal.SIGKILL)


def run_profile(profile: str, users: int, seconds: float, kill_every: float, seed: int) -> Dict[str, Any]:
    rng = random.Random(seed)
    workdir = Path(tempfile.mkdtemp(prefix=f"painfaq-chaos-{profile}-"))
    env = child_env()
    pg = redis = None
    sqlite_db: Optional[Path] = None
    if profile == "embedded":
        sqlite_db = workdir / "tracker.db"
        db: Any = sqlite_db
        names = ["embedded"]
    else:
        pg, redis = services.start_postgres(dbname="painfaq_chaos"), services.start_redis()
        env.update(pg.env())
        env.update(redis.env())
        db = pg
        names = ["instance-a", "instance-b"]
    ports = iter(free_ports(4 * len(names)))
    instances = [
        Instance(name, next(ports), next(ports), next(ports), workdir / name, backend=next(ports)) for name in names
    ]
    try:
        for instance in instances:
            start_instance(instance, env, sqlite_db, [other for other in instances if other is not instance])
        outcome = Outcome()
        sent: Dict[str, List[tuple]] = {}
        deadline = time.monotonic() + seconds
        threads = []
        for index in range(users):
            sender = f"chaos-{profile}-{index}-{rng.randrange(10**6)}"
            sent[sender] = []
            instance = instances[index % len(instances)]
            thread = threading.Thread(target=user, args=(sender, instance, deadline, outcome, sent), daemon=True)
            thread.start()
            threads.append(thread)
        kills: List[tuple] = []
        next_kill = time.monotonic() + kill_every
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if time.monotonic() < next_kill:
                continue
            next_kill += kill_every
            instance = rng.choice(instances)
            running = instance.pids()  # one supervisorctl round per program, once per kill
            candidates = [(program, pid) for program, pids in running.items() for pid in pids]
            if not candidates:
                continue
            program, pid = rng.choice(candidates)
            role = program if program != "rasa" else ("rasa parent" if pid == running["rasa"][0] else "rasa worker")
            try:
                os.kill(pid, signal.SIGKILL)
                kills.append((time.monotonic(), f"{instance.name}: {role} (pid {pid}) at {time.time():.1f}"))
            except ProcessLookupError:
                pass
        for thread in threads:
            thread.join(timeout=60)
        time.sleep(2)  # the last turns' events are stored
        integrity = {"lost": 0, "duplicated": 0, "reordered": 0}
        examples: List[Dict[str, Any]] = []
        for sender, messages in sent.items():
            stored = stored_messages(profile, db, sender)
            problems = check_conversation(messages, stored)
            for key, value in problems.items():
                integrity[key] += value
            if any(problems.values()) and len(examples) < 5:
                examples.append({"sender": sender, "sent": messages, "stored": stored, "problems": problems})
        recovery = recovery_after(kills, outcome.replies)
        stop(instances)
        time.sleep(2)
        left = leftovers(instances)
        return {
            "profile": profile,
            "processes_left_after_stop": left,
            "instances": len(instances),
            "users": users,
            "seconds": seconds,
            "kill_every_seconds": kill_every,
            "kills": [what for _, what in kills],
            "requests": outcome.sent,
            "answered_normally": outcome.normal,
            "answered_with_apology": outcome.apology,
            "failed": outcome.failed,
            "failure_reasons": outcome.failure_reasons,
            "failures_after_kill": failures_after_kill(kills, outcome.replies),
            "recovery_seconds_after_each_kill": recovery,
            "worst_recovery_seconds": max((r for r in recovery if r is not None), default=0.0),
            "kills_not_recovered_before_the_end": sum(1 for r in recovery if r is None),
            "longest_apology_run_seconds": longest_apology_run(outcome.replies),
            "tracker_store": {"conversations": len(sent), **integrity, "examples": examples},
        }
    finally:
        stop(instances)
        if pg:
            pg.stop()
        if redis:
            redis.stop()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=["embedded", "production", "both"], default="both")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--kill-every", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "results" / "chaos.json")
    parser.add_argument(
        "--fail-on-integrity", action="store_true", help="exit 1 on any lost, duplicated or reordered event"
    )
    parser.add_argument("--fail-on-failed", action="store_true", help="exit 1 on any failed request")
    args = parser.parse_args(argv)
    if haproxy_path() is None:
        # The profiles run as their make targets run them, which is with HAProxy in front of Rasa.
        print("chaos: HAProxy is not installed (apt-get install haproxy); see README, Prerequisites", file=sys.stderr)
        return 2
    profiles = ["embedded", "production"] if args.profile == "both" else [args.profile]
    results = [run_profile(p, args.users, args.minutes * 60, args.kill_every, args.seed) for p in profiles]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"runs": results}, indent=2) + "\n")
    for r in results:
        store = r["tracker_store"]
        print(
            f"chaos {r['profile']}: {r['requests']} requests, {r['answered_normally']} normal, "
            f"{r['answered_with_apology']} apology, {r['failed']} failed; {len(r['kills'])} kills, worst recovery "
            f"{r['worst_recovery_seconds']} s, longest apology run {r['longest_apology_run_seconds']} s; tracker store: "
            f"{store['lost']} lost, {store['duplicated']} duplicated, {store['reordered']} reordered"
        )
    print(f"wrote {args.out}")
    bad = any(sum(r["tracker_store"][k] for k in ("lost", "duplicated", "reordered")) for r in results)
    failed = any(r["failed"] for r in results)
    return 1 if (bad and args.fail_on_integrity) or (failed and args.fail_on_failed) else 0


if __name__ == "__main__":
    sys.exit(main())
