"""Start and stop the real action server + Rasa server as child processes.

Used by the end-to-end tests, the browser tests and the benchmark, so all of them exercise exactly
what `make run` starts.
"""

from __future__ import annotations

import os
import random
import secrets
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, List, Optional

import requests
import yaml

from painfaq import settings
from painfaq.serving.commands import action_server_command, rasa_command
from scripts.wait_ready import wait_ready

REPO_ROOT = Path(__file__).resolve().parents[2]
SESSION_ACTION_TOKEN = secrets.token_urlsafe(24)


def free_port() -> int:
    return free_ports(1)[0]


def _ephemeral_port_floor() -> int:
    """The lowest port the kernel hands out as the local end of outgoing connections (Linux: 32768)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_ports(count: int) -> List[int]:
    """`count` distinct free ports, drawn below the kernel's ephemeral range.

    A port the kernel picked for us (bind to port 0) comes from the ephemeral range, which outgoing connections also
    use: between our check and the server's own bind, a client connection (to PostgreSQL, Redis, the action server)
    could take it, and Rasa failed with "address already in use" in CI. Below that range only listeners live, and each
    candidate is bound here first. The sockets stay open until all are chosen, so no port is handed out twice.
    """
    ceiling = _ephemeral_port_floor()
    candidates = random.SystemRandom().sample(range(max(1024, ceiling - 12000), ceiling), k=min(400, ceiling - 1024))
    sockets: List[socket.socket] = []
    try:
        for port in candidates:
            if len(sockets) == count:
                break
            sock = socket.socket()
            try:
                sock.bind(("0.0.0.0", port))
            except OSError:
                sock.close()
                continue
            sockets.append(sock)
        if len(sockets) < count:
            raise RuntimeError(f"no {count} free ports below {ceiling}")
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def child_env() -> dict:
    env = dict(os.environ)
    # (No PYTHONPATH: the project is installed in the venv, and servers start with the repository as cwd.)
    for name, value in settings.quiet_environment().items():
        env.setdefault(name, value)
    # Shared secret between Rasa and the action server (painfaq.serving.action_server), one per test session.
    env.setdefault("ACTION_SERVER_TOKEN", SESSION_ACTION_TOKEN)
    return env


def current_model() -> str:
    """Path of the model for the current data (trains one if missing), as `make` would use."""
    result = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "model.sh")],
        cwd=REPO_ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
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
    action_port, rasa_port = free_ports(2)
    if endpoints_file is None:
        endpoints = yaml.safe_load((REPO_ROOT / "endpoints.yml").read_text())
        endpoints["action_endpoint"]["url"] = f"http://localhost:{action_port}/webhook"
        endpoints["tracker_store"]["db"] = str(workdir / "tracker.db")
        endpoints_file = workdir / "endpoints.yml"
        endpoints_file.write_text(yaml.safe_dump(endpoints))
    env = child_env()
    # The action server stores hand-offs and feedback in the tracker store's database: the test one.
    env["PAINFAQ_ENDPOINTS"] = str(endpoints_file)
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
    stack.processes.append(
        subprocess.Popen(
            action_server_command(action_port),
            cwd=REPO_ROOT,
            env=env,
            stdout=action_log,
            stderr=subprocess.STDOUT,
        )
    )
    stack.processes.append(
        subprocess.Popen(
            # As `make run` starts it: `rasa run` through the launcher that applies painfaq.rasa_patches.
            rasa_command(model, rasa_port, endpoints_file, cors=demo_origin, extra=extra_rasa_args or ()),
            cwd=REPO_ROOT,
            env=env,
            stdout=rasa_log,
            stderr=subprocess.STDOUT,
        )
    )
    urls = [f"{stack.rasa_url}/", f"{stack.action_url}/health"]
    try:
        ready = wait_ready(urls, ready_timeout, abort=lambda: any(p.poll() is not None for p in stack.processes))
    except RuntimeError:
        stack.stop()
        raise RuntimeError("a server exited during start-up:\n" + stack.log_tail()) from None
    if not ready:
        stack.stop()
        raise RuntimeError(f"servers not ready after {ready_timeout} s:\n" + stack.log_tail())
    return stack


# --- Production profile: separate action server / Rasa processes, PostgreSQL + Redis (tests.harness.services) ---

PRODUCTION_ENDPOINTS = REPO_ROOT / "endpoints.production.yml"


@dataclass
class Server:
    """One server process (the main process; Sanic workers are its children)."""

    name: str
    url: str
    process: subprocess.Popen
    log_path: Path
    command: List[str]
    env: dict
    ready_path: str = "/"

    def alive(self) -> bool:
        return self.process.poll() is None

    def tree_pids(self) -> List[int]:
        """The main process and its descendants (Sanic workers)."""
        return process_tree(self.process.pid)

    def stop(self, timeout: float = 30) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                for pid in reversed(self.tree_pids()):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.process.wait(timeout=10)

    def log_tail(self, chars: int = 3000) -> str:
        return f"--- {self.name} ---\n{self.log_path.read_text(errors='replace')[-chars:]}"


def process_tree(pid: int) -> List[int]:
    """`pid` and all its descendants (from /proc; empty if `pid` is gone)."""
    children: dict = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    if not Path(f"/proc/{pid}").exists():
        return []
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


# Tests and benchmarks send every request from 127.0.0.1: lift the per-address/per-sender limits of the
# project's REST channel (painfaq.serving.channel), which are meant for many users behind many addresses.
LOAD_TEST_ENV = {
    "PAINFAQ_RATE_PER_SENDER": "off",
    "PAINFAQ_RATE_PER_ADDRESS": "off",
    "PAINFAQ_IN_FLIGHT_PER_ADDRESS": "100000",
}


def production_env(service_env: dict, action_url: str, threads: int = 1, load_test: bool = True) -> dict:
    """Environment for the production profile's servers: `service_env` (DB_*, REDIS_*; see
    tests.harness.services / painfaq.serving.production) plus the action server URL and the TensorFlow thread settings
    scripts/run_production.sh uses (`load_test`: plus LOAD_TEST_ENV)."""
    env = child_env()
    if load_test:
        env.update(LOAD_TEST_ENV)
    env.update(service_env)
    env["ACTION_SERVER_URL"] = action_url
    env["PAINFAQ_ENDPOINTS"] = str(PRODUCTION_ENDPOINTS)
    if "REDIS_HOST" in env:  # as scripts/run_production.sh: the channel's limits count in the same Redis
        from painfaq.serving.production import redis_url

        env.setdefault("PAINFAQ_RATE_LIMIT_REDIS_URL", redis_url(env))
    env.setdefault("TF_INTRA_OP_PARALLELISM_THREADS", str(threads))
    env.setdefault("TF_INTER_OP_PARALLELISM_THREADS", str(threads))
    return env


def start_action_server(
    env: Optional[dict] = None,
    workers: int = 1,
    port: Optional[int] = None,
    workdir: Optional[Path] = None,
    lean: bool = True,
    name: str = "actions",
) -> Server:
    """Start the action server through its launcher (painfaq.serving.action_server), as both profiles do.

    `lean` is kept for callers' readability; there is one launcher now.
    """
    port = port or free_port()
    workdir = workdir or Path(tempfile.mkdtemp(prefix="painfaq-stack-"))
    env = dict(env if env is not None else child_env())
    env["ACTION_SERVER_SANIC_WORKERS"] = str(workers)
    env["SANIC_HOST"] = "127.0.0.1"
    command = action_server_command(port)
    log_path = workdir / f"{name}.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Server(
        name=name,
        url=f"http://127.0.0.1:{port}",
        process=process,
        log_path=log_path,
        command=command,
        env=env,
        ready_path="/health",
    )


def start_rasa_server(
    model: str,
    endpoints_file: Path,
    env: Optional[dict] = None,
    workers: int = 1,
    port: Optional[int] = None,
    workdir: Optional[Path] = None,
    lean: bool = True,
    name: str = "rasa",
    extra_args: Optional[List[str]] = None,
) -> Server:
    """Start a Rasa server with the REST channel and the HTTP API off (`lean`: through painfaq.serving.rasa_server)."""
    port = port or free_port()
    workdir = workdir or Path(tempfile.mkdtemp(prefix="painfaq-stack-"))
    env = dict(env if env is not None else child_env())
    env["SANIC_WORKERS"] = str(workers)
    command = rasa_command(
        model, port, endpoints_file, interface="127.0.0.1", extra=extra_args or (), stock_rasa=not lean
    )
    log_path = workdir / f"{name}.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Server(
        name=name, url=f"http://127.0.0.1:{port}", process=process, log_path=log_path, command=command, env=env
    )


def restart_server(server: Server) -> Server:
    """Stop `server` and start the same command again on the same port (same log file)."""
    server.stop()
    with open(server.log_path, "ab") as log:
        log.write(b"\n--- restarted ---\n")
        server.process = subprocess.Popen(
            server.command, cwd=REPO_ROOT, env=server.env, stdout=log, stderr=subprocess.STDOUT
        )
    return server


def wait_until_ready(servers: List[Server], timeout: float = 240) -> None:
    """Wait until every server answers 200 on its ready path; raise (with the logs) if one exits or times out."""
    deadline = time.monotonic() + timeout
    pending = list(servers)
    while pending and time.monotonic() < deadline:
        for server in list(pending):
            if not server.alive():
                raise RuntimeError(f"{server.name} exited during start-up:\n{server.log_tail()}")
            try:
                if requests.get(server.url + server.ready_path, timeout=2).status_code == 200:
                    pending.remove(server)
            except requests.RequestException:
                pass
        if pending:
            time.sleep(0.3)
    if pending:
        raise RuntimeError(
            f"not ready after {timeout} s: {[s.name for s in pending]}\n" + "\n".join(s.log_tail() for s in pending)
        )


def start_production_stack(
    service_env: dict,
    model: Optional[str] = None,
    rasa_workers: int = 2,
    action_workers: int = 2,
    ready_timeout: float = 300,
    lean: bool = True,
) -> Stack:
    """The production profile as scripts/run_production.sh starts it, against running PostgreSQL/Redis
    (`service_env`: DB_* and REDIS_* variables). Returns a Stack (`.pids()` = [action main, Rasa main])."""
    from painfaq.serving.production import check

    model = model or current_model()
    workdir = Path(tempfile.mkdtemp(prefix="painfaq-prod-"))
    action_port = free_port()
    env = production_env(service_env, f"http://127.0.0.1:{action_port}/webhook")
    check(env)
    started_at = time.monotonic()
    actions = start_action_server(env, workers=action_workers, port=action_port, workdir=workdir, lean=lean)
    rasa = start_rasa_server(model, PRODUCTION_ENDPOINTS, env, workers=rasa_workers, workdir=workdir, lean=lean)
    stack = Stack(
        rasa_url=rasa.url,
        action_url=actions.url,
        demo_origin="",
        workdir=workdir,
        processes=[actions.process, rasa.process],
        started_at=started_at,
    )
    try:
        wait_until_ready([actions, rasa], ready_timeout)
    except BaseException:
        stack.stop()
        raise
    return stack
