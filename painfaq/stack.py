"""Start and stop the real action server + Rasa server as child processes.

Used by the end-to-end tests, the browser tests and the benchmark, so all of them exercise exactly
what `make run` starts.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, List, Optional

import requests
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    return env


def current_model() -> str:
    """Path of the model for the current data (trains one if missing), as `make` would use."""
    result = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "model.sh")], cwd=REPO_ROOT, check=True,
        stdout=subprocess.PIPE, text=True,
    )
    return result.stdout.strip().splitlines()[-1]


@dataclass
class Stack:
    rasa_url: str
    action_url: str
    demo_origin: str
    workdir: Path
    processes: List[subprocess.Popen] = field(default_factory=list)
    logs: List[IO[bytes]] = field(default_factory=list)
    started_at: float = 0.0

    @property
    def webhook(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    def send(self, sender: str, message: str, timeout: float = 30) -> list:
        response = requests.post(self.webhook, json={"sender": sender, "message": message}, timeout=timeout)
        response.raise_for_status()
        return response.json()

    def pids(self) -> List[int]:
        return [p.pid for p in self.processes]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in self.logs:
            log.close()

    def log_tail(self, chars: int = 3000) -> str:
        return "\n".join(
            f"--- {p.name} ---\n{p.read_text(errors='replace')[-chars:]}" for p in sorted(self.workdir.glob("*.log"))
        )


def start_stack(
    model: Optional[str] = None,
    demo_origin: str = "http://localhost:18080",
    ready_timeout: float = 240,
    endpoints_file: Optional[Path] = None,
    extra_rasa_args: Optional[List[str]] = None,
) -> Stack:
    """Start both servers on free ports with a throwaway SQLite tracker store; wait until they answer."""
    model = model or current_model()
    workdir = Path(tempfile.mkdtemp(prefix="painfaq-stack-"))
    action_port, rasa_port = free_port(), free_port()
    if endpoints_file is None:
        endpoints = yaml.safe_load((REPO_ROOT / "endpoints.yml").read_text())
        endpoints["action_endpoint"]["url"] = f"http://localhost:{action_port}/webhook"
        endpoints["tracker_store"]["db"] = str(workdir / "tracker.db")
        endpoints_file = workdir / "endpoints.yml"
        endpoints_file.write_text(yaml.safe_dump(endpoints))
    env = child_env()
    started_at = time.monotonic()
    stack = Stack(
        rasa_url=f"http://localhost:{rasa_port}",
        action_url=f"http://localhost:{action_port}",
        demo_origin=demo_origin,
        workdir=workdir,
        started_at=started_at,
    )
    action_log = open(workdir / "actions.log", "wb")
    rasa_log = open(workdir / "rasa.log", "wb")
    stack.logs += [action_log, rasa_log]
    stack.processes.append(subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(action_port)],
        cwd=REPO_ROOT, env=env, stdout=action_log, stderr=subprocess.STDOUT,
    ))
    stack.processes.append(subprocess.Popen(
        [sys.executable, "-m", "rasa", "run", "--model", model, "--port", str(rasa_port),
         "--endpoints", str(endpoints_file), "--credentials", str(REPO_ROOT / "credentials.yml"),
         "--cors", demo_origin, *(extra_rasa_args or [])],
        cwd=REPO_ROOT, env=env, stdout=rasa_log, stderr=subprocess.STDOUT,
    ))
    deadline = time.monotonic() + ready_timeout
    pending = [f"{stack.rasa_url}/", f"{stack.action_url}/health"]
    while pending and time.monotonic() < deadline:
        if any(p.poll() is not None for p in stack.processes):
            stack.stop()
            raise RuntimeError("a server exited during start-up:\n" + stack.log_tail())
        for url in list(pending):
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    pending.remove(url)
            except requests.RequestException:
                pass
        time.sleep(0.3)
    if pending:
        stack.stop()
        raise RuntimeError(f"servers not ready after {ready_timeout} s:\n" + stack.log_tail())
    return stack
