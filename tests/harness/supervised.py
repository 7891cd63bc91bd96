"""`make run` started as a user starts it (scripts/run.sh under supervision), on free ports with a throwaway
SQLite tracker store, for tests that kill, pause and stop its servers."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Dict

import requests

from tests.harness.reliability_helpers import write_endpoints
from tests.harness.stack import REPO_ROOT, child_env, free_ports


class Supervised:
    def __init__(self, tmp: Path, max_restarts: int) -> None:
        self.tmp = tmp
        tmp.mkdir(parents=True, exist_ok=True)
        self.rasa, self.actions, self.web = free_ports(3)
        env = child_env()
        env.update(
            RASA_PORT=str(self.rasa),
            ACTION_PORT=str(self.actions),
            WEB_PORT=str(self.web),
            LOG_DIR=str(tmp / "logs"),
            RUN_DIR=str(tmp / "run"),
            ENDPOINTS=str(write_endpoints(tmp, self.actions, tmp / "tracker.db")),
            SUPERVISE_MAX_RESTARTS=str(max_restarts),
            PAINFAQ_RATE_PER_SENDER="off",
            PAINFAQ_RATE_PER_ADDRESS="off",
        )
        # Append mode: supervisord writes the restart listener's lines through /dev/stderr, a second open file
        # description of this file; without O_APPEND the shared offset of this one overwrote them.
        self.output = open(tmp / "run.out", "ab")
        self.process = subprocess.Popen(
            ["bash", "scripts/run.sh"],
            cwd=REPO_ROOT,
            env=env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_ready(180)

    def ready(self) -> bool:
        try:
            return (
                requests.get(f"http://127.0.0.1:{self.rasa}/webhooks/rest/ready", timeout=2).status_code == 200
                and requests.get(f"http://127.0.0.1:{self.actions}/health", timeout=2).status_code == 200
            )
        except requests.RequestException:
            return False

    def wait_ready(self, timeout: float) -> float:
        started = time.monotonic()
        while not self.ready():
            assert self.process.poll() is None, self.log()
            assert time.monotonic() - started < timeout, "not ready in time:\n" + self.log()
            time.sleep(0.3)
        return time.monotonic() - started

    def supervisorctl(self, *args: str) -> str:
        """What `supervisorctl ARGS` prints for this run's supervisord."""
        conf = self.tmp / "run" / "supervision" / "supervisord.conf"
        return subprocess.run(
            [str(Path(REPO_ROOT / ".venv/bin/supervisorctl")), "-c", str(conf), *args],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout

    def pid(self, program: str) -> int:
        return int(self.supervisorctl("pid", program).strip())

    def wait_running(self, program: str, replacing: int, timeout: float = 60) -> int:
        """The pid of `program` once supervisord reports a process other than `replacing` RUNNING, i.e. past its
        startsecs: a kill before that is a failed start (BACKOFF), not a death the restart limit counts."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            status = self.supervisorctl("status", program).split()
            if len(status) >= 4 and status[1] == "RUNNING" and status[3].rstrip(",") != str(replacing):
                return int(status[3].rstrip(","))
            time.sleep(0.3)
        raise AssertionError(f"{program} not running again within {timeout} s:\n" + self.log())

    def turn(self, sender: str, text: str = "how long does it last?") -> Dict[str, object]:
        try:
            reply = requests.post(
                f"http://127.0.0.1:{self.rasa}/webhooks/rest/webhook",
                json={"sender": sender, "message": text},
                timeout=40,
            )
        except requests.RequestException as error:
            return {"status": None, "error": type(error).__name__}
        return {"status": reply.status_code, "text": " ".join(m.get("text", "") for m in reply.json())}

    def log(self, tail: int = 4000) -> str:
        """The supervisor's output; the last `tail` characters (0: all of it)."""
        self.output.flush()
        text = (self.tmp / "run.out").read_text(errors="replace")
        return text[-tail:] if tail else text

    def stop(self) -> int:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
            self.output.close()
