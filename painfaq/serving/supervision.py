"""Run the servers under supervisord, which restarts what dies.

    python -m painfaq.serving.supervision run --name embedded --program 'actions=python -m ...' ...

`run` writes a supervisord configuration (one program per server: restarted when it exits, with
supervisord's growing delay between start attempts; output to logs/<program>.log) and runs supervisord in the
foreground. Ctrl-C or SIGTERM stops every program, in the reverse of the order given (SIGTERM, then SIGKILL
after 15 s; whole process groups, so Rasa's and Sanic's workers too) and then supervisord. A server given
SIGTERM stops accepting connections and finishes the requests in progress first (Sanic's graceful shutdown).

A limit on restarts in a row: the event listener (`listen`) counts a program's unexpected exits; more than
`--max-restarts` within `--window` seconds, or a program that cannot start at all (FATAL), stops everything:
`run` then prints which program and exits 1, instead of restarting for ever.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import Deque, Dict, List, Optional

FAILED_FILE = "failed"
PR_SET_PDEATHSIG = 1


def die_with_parent(signum: int = signal.SIGTERM) -> None:
    """Ask Linux to send `signum` to this process when its parent dies.

    A Sanic worker (Rasa's and rasa_sdk's, with SANIC_WORKERS > 1) is a child of the server's main process;
    if the main process is killed, the workers would otherwise live on as orphans, still holding the port,
    and the restarted server could not take it over. Called in every server process when it starts (the
    channel's and the action server's `before_server_start` listeners). No-op off Linux.
    """
    import ctypes
    import ctypes.util

    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)


def write_config(
    run_dir: Path,
    log_dir: Path,
    programs: Dict[str, str],
    max_restarts: int,
    window: float,
    sockets: Optional[Dict[str, str]] = None,
    stop_signals: Optional[Dict[str, str]] = None,
) -> Path:
    """supervisord's configuration. A program with a socket (`sockets[name]`, e.g. "tcp://0.0.0.0:5005") runs as
    an `fcgi-program`: supervisord binds the port and passes the listening socket as file descriptor 0
    (PAINFAQ_LISTEN_FD=0), so connections made while that program restarts wait instead of being refused.
    `stop_signals[name]` replaces SIGTERM as the signal that asks a program to finish and exit (HAProxy: USR1,
    its graceful stop; TERM would drop the requests in progress)."""
    sockets = sockets or {}
    stop_signals = stop_signals or {}
    run_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    python = shlex.quote(sys.executable)
    lines = [
        "[supervisord]",
        "nodaemon=true",
        # Its own log goes to the file only; the listener reports restarts on the console.
        "silent=true",
        f"logfile={log_dir.resolve() / 'supervisord.log'}",
        "logfile_maxbytes=10MB",
        "loglevel=info",
        f"pidfile={run_dir.resolve() / 'supervisord.pid'}",
        f"directory={Path.cwd()}",
        "",
        "[unix_http_server]",
        f"file={run_dir.resolve() / 'supervisor.sock'}",
        "chmod=0700",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{run_dir.resolve() / 'supervisor.sock'}",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
    ]
    for position, (name, command) in enumerate(programs.items()):
        if name in sockets:
            lines += [f"[fcgi-program:{name}]", f"socket={sockets[name]}", "socket_backlog=512"]
            lines += ['environment=PAINFAQ_LISTEN_FD="0"']
        else:
            lines += [f"[program:{name}]"]
        lines += [
            f"command={command}",
            # Started in the order given and stopped in reverse, one after the other: the Rasa server drains
            # its turns in progress while the action server they call is still up.
            f"priority={100 + 10 * position}",
            "autostart=true",
            # Restart whatever the exit: a server that exits is down, whatever its exit code says.
            "autorestart=true",
            # Running this long counts as started; supervisord retries a failed start 3 times, waiting longer
            # each time (1 s, 2 s, 3 s), then marks the program FATAL (the listener then stops everything).
            "startsecs=3",
            "startretries=3",
            f"stopsignal={stop_signals.get(name, 'TERM')}",
            "stopwaitsecs=15",
            "stopasgroup=true",
            "killasgroup=true",
            f"stdout_logfile={log_dir.resolve() / (name + '.log')}",
            "stdout_logfile_maxbytes=20MB",
            "redirect_stderr=true",
            "",
        ]
    lines += [
        "[eventlistener:restart_limit]",
        f"command={python} -m painfaq.serving.supervision listen --max-restarts {max_restarts} --window {window} "
        f"--failed-file {shlex.quote(str(run_dir.resolve() / FAILED_FILE))}",
        "events=PROCESS_STATE_EXITED,PROCESS_STATE_FATAL",
        "autorestart=true",
        # What the listener says (a restart, the limit reached) goes to the console running `make run`.
        "stderr_logfile=/dev/stderr",
        "stderr_logfile_maxbytes=0",
        "",
    ]
    config = run_dir / "supervisord.conf"
    config.write_text("\n".join(lines))
    return config


# The supervisor release hold_fastcgi_sockets was written and tested against (requirements.lock).
SUPERVISOR_TESTED = "4.3.0"


def hold_fastcgi_sockets() -> bool:
    """Keep each fcgi-program's listening socket open for supervisord's whole life.

    supervisord closes a FastCGI group's socket as soon as no process of the group holds it (the group keeps
    no reference of its own), and it notices a dead process only on its next tick (up to 1 s). So when Rasa
    is killed, the connections that queued in the port's backlog meanwhile are reset when supervisord reaps
    it, and new ones are refused until the restart binds the port again. Holding one reference per group here
    keeps the port listening: those connections wait and the restarted Rasa answers them. Applied only on the
    tested supervisor release; returns whether it was applied.
    """
    from importlib.metadata import version

    from supervisor import process

    if version("supervisor") != SUPERVISOR_TESTED:
        print(
            f"supervision: supervisor {version('supervisor')} is untested (tested: {SUPERVISOR_TESTED}); "
            "the port is not held between a death and the restart",
            file=sys.stderr,
        )
        return False
    group_class = process.FastCGIProcessGroup
    if getattr(group_class, "_painfaq_holds_socket", False):
        return True
    original_init = group_class.__init__

    def __init__(self: process.FastCGIProcessGroup, config: object, **kwargs: object) -> None:
        original_init(self, config, **kwargs)
        self._painfaq_socket_reference = self.socket_manager.get_socket()

    group_class.__init__ = __init__
    group_class._painfaq_holds_socket = True
    return True


def restart_promptly() -> bool:
    """supervisord starts a dead program again at once, not up to two of its 1-second ticks later.

    supervisord's main loop polls its pipes with a 1 s timeout, then reaps dead children, and starts an exited
    program on the next loop, after polling again: a death is noticed up to 1 s late and acted on 1 s after
    that (measured: 1.0 s from "exited" to "spawned" on every Rasa kill). Here a signal (SIGCHLD) wakes the
    poll through `signal.set_wakeup_fd`, and the poll after a child was reaped does not wait. Main thread only;
    applied only on the tested supervisor release; returns whether it was applied.
    """
    from importlib.metadata import version

    from supervisor import options, poller

    if version("supervisor") != SUPERVISOR_TESTED:
        return False
    poller_class = poller.Poller
    if getattr(poller_class, "_painfaq_prompt", False):
        return True
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    reaped = [False]
    original_waitpid = options.ServerOptions.waitpid
    original_poll = poller_class.poll

    def waitpid(self: options.ServerOptions) -> tuple:
        pid, status = original_waitpid(self)
        if pid:
            reaped[0] = True
        return pid, status

    def poll(self: poller.BasePoller, timeout: float) -> tuple:
        if reaped[0]:
            reaped[0], timeout = False, 0
        self.register_readable(wake_read)
        readables, writables = original_poll(self, timeout)
        if wake_read in readables:
            readables.remove(wake_read)
            try:
                while os.read(wake_read, 512):
                    pass
            except BlockingIOError:
                pass
        return readables, writables

    options.ServerOptions.waitpid = waitpid
    poller_class.poll = poll
    poller_class._painfaq_prompt = True
    return True


def supervisord_main(argv: List[str]) -> int:
    """supervisord itself, with the FastCGI sockets held (hold_fastcgi_sockets) and prompt restarts
    (restart_promptly)."""
    from supervisor import supervisord

    hold_fastcgi_sockets()
    restart_promptly()
    supervisord.main(args=argv)
    return 0


def run(args: argparse.Namespace) -> int:
    programs: Dict[str, str] = {}
    sockets: Dict[str, str] = {}
    stop_signals: Dict[str, str] = {}
    for item in args.program:
        name, _, command = item.partition("=")
        name, _, socket_url = name.partition("@")
        name, _, stop_signal = name.partition("/")
        if not name or not command or (stop_signal and not stop_signal.isalnum()):
            raise SystemExit(f"--program must be NAME[/STOPSIGNAL][@tcp://HOST:PORT]=COMMAND, got {item!r}")
        programs[name] = command
        if socket_url:
            sockets[name] = socket_url
        if stop_signal:
            stop_signals[name] = stop_signal
    run_dir = Path(args.run_dir)
    (run_dir / FAILED_FILE).unlink(missing_ok=True)
    config = write_config(run_dir, Path(args.log_dir), programs, args.max_restarts, args.window, sockets, stop_signals)
    process = subprocess.Popen(
        [sys.executable, "-m", "painfaq.serving.supervision", "supervisord", "-n", "-c", str(config)]
    )

    def forward(signum: int, _frame: object) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    code = process.wait()
    failed = run_dir / FAILED_FILE
    if failed.exists():
        print(f"supervision: stopped everything: {failed.read_text().strip()}", file=sys.stderr)
        return 1
    return code


def listen(args: argparse.Namespace) -> int:
    """supervisord event listener: stop everything after too many restarts in a row, or a FATAL program."""
    from supervisor import childutils

    exits: Dict[str, Deque[float]] = defaultdict(deque)
    rpc = childutils.getRPCInterface(os.environ)  # process environment: supervisord's SUPERVISOR_SERVER_URL
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        event = headers.get("eventname", "")
        fields = dict(token.split(":", 1) for token in payload.split()) if payload else {}
        name = fields.get("processname", "?")
        reason: Optional[str] = None
        if event == "PROCESS_STATE_FATAL":
            reason = f"{name} could not be started (see logs/{name}.log)"
        elif event == "PROCESS_STATE_EXITED" and fields.get("expected") == "0":
            now = time.monotonic()
            window = exits[name]
            window.append(now)
            while window and now - window[0] > args.window:
                window.popleft()
            print(f"{name} exited unexpectedly ({len(window)} in {args.window:.0f} s); restarting", file=sys.stderr)
            if len(window) > args.max_restarts:
                reason = f"{name} died {len(window)} times within {args.window:.0f} s (see logs/{name}.log)"
        childutils.listener.ok(sys.stdout)
        if reason:
            Path(args.failed_file).write_text(reason + "\n")
            print(reason, file=sys.stderr)
            rpc.supervisor.shutdown()


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["supervisord"]:  # supervisord's own options follow
        return supervisord_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run")
    run_parser.add_argument("--run-dir", default=".run/supervision")
    run_parser.add_argument("--log-dir", default="logs")
    run_parser.add_argument(
        "--program",
        action="append",
        default=[],
        help="NAME=COMMAND (repeat); NAME@tcp://HOST:PORT=... holds its port across restarts; NAME/USR1=... stops it "
        "with SIGUSR1 instead of SIGTERM",
    )
    run_parser.add_argument("--max-restarts", type=int, default=5)
    run_parser.add_argument("--window", type=float, default=60.0)
    listen_parser = commands.add_parser("listen")
    listen_parser.add_argument("--max-restarts", type=int, default=5)
    listen_parser.add_argument("--window", type=float, default=60.0)
    listen_parser.add_argument("--failed-file", required=True)
    args = parser.parse_args(argv)
    return run(args) if args.command == "run" else listen(args)


if __name__ == "__main__":
    sys.exit(main())
