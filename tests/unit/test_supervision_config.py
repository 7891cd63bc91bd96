"""The supervisord configuration painfaq/serving/supervision.py writes: start order, and a held port for Rasa."""

from __future__ import annotations

import configparser

from painfaq.serving.supervision import write_config


def test_programs_start_in_order_and_a_socket_program_gets_its_port_held(tmp_path):
    config = write_config(
        tmp_path / "run",
        tmp_path / "logs",
        {"actions": "python -m a", "rasa": "python -m r", "demo": "python -m d"},
        max_restarts=5,
        window=60.0,
        sockets={"rasa": "tcp://127.0.0.1:5005"},
    )
    parsed = configparser.RawConfigParser()
    parsed.read(config)
    assert parsed.has_section("program:actions") and parsed.has_section("program:demo")
    assert not parsed.has_section("program:rasa")
    rasa = parsed["fcgi-program:rasa"]
    assert rasa["socket"] == "tcp://127.0.0.1:5005"
    assert rasa["environment"] == 'PAINFAQ_LISTEN_FD="0"'
    priorities = [int(parsed[s]["priority"]) for s in ("program:actions", "fcgi-program:rasa", "program:demo")]
    assert priorities == sorted(priorities) and len(set(priorities)) == 3  # started in order, stopped in reverse


def test_supervisord_keeps_a_fastcgi_port_listening_while_no_process_holds_it(monkeypatch):
    import socket

    from supervisor.datatypes import InetStreamSocketConfig
    from supervisor.process import FastCGIProcessGroup
    from supervisor.tests.base import DummyFCGIGroupConfig, DummyOptions

    from painfaq.serving.supervision import hold_fastcgi_sockets

    # The patch is process-wide: put supervisord's own class back after this test.
    monkeypatch.setattr(FastCGIProcessGroup, "__init__", FastCGIProcessGroup.__init__)
    monkeypatch.setattr(FastCGIProcessGroup, "_painfaq_holds_socket", False, raising=False)

    def port_listens(port: int) -> bool:
        with socket.socket() as client:
            return client.connect_ex(("127.0.0.1", port)) == 0

    def group() -> FastCGIProcessGroup:
        with socket.socket() as probe:  # a free port
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        config = DummyFCGIGroupConfig(DummyOptions(), socket_config=InetStreamSocketConfig("127.0.0.1", port))
        return FastCGIProcessGroup(config)

    # Stock supervisord: once the last process lets go of the socket (a Rasa killed), the port closes.
    stock = group()
    process_reference = stock.socket_manager.get_socket()
    port = stock.socket_manager.config().port
    assert port_listens(port)
    del process_reference
    assert not port_listens(port)

    assert hold_fastcgi_sockets()
    held = group()
    process_reference = held.socket_manager.get_socket()
    port = held.socket_manager.config().port
    del process_reference
    assert port_listens(port)  # the connection waits for the restarted process instead of being refused
    held._painfaq_socket_reference = None


def test_a_program_can_be_stopped_with_another_signal(tmp_path):
    config = write_config(
        tmp_path / "run",
        tmp_path / "logs",
        {"rasa": "python -m r", "proxy": "haproxy -f x"},
        max_restarts=5,
        window=60.0,
        stop_signals={"proxy": "USR1"},  # HAProxy's graceful stop; SIGTERM drops the requests in progress
    )
    parsed = configparser.RawConfigParser()
    parsed.read(config)
    assert parsed["program:proxy"]["stopsignal"] == "USR1"
    assert parsed["program:rasa"]["stopsignal"] == "TERM"


def test_supervisord_wakes_at_a_child_death_and_does_not_wait_after_reaping(monkeypatch):
    """restart_promptly: supervisord's 1-second poll returns when a signal arrives, and the poll after a reap
    does not wait, so a dead program is started again at once (stock: 1-2 s later)."""
    import os
    import signal
    import subprocess
    import threading
    import time

    from supervisor import options, poller

    from painfaq.serving.supervision import restart_promptly

    monkeypatch.setattr(options.ServerOptions, "waitpid", options.ServerOptions.waitpid)
    monkeypatch.setattr(poller.Poller, "poll", poller.Poller.poll)
    monkeypatch.setattr(poller.Poller, "_painfaq_prompt", False, raising=False)
    previous_handler = signal.signal(signal.SIGCHLD, lambda *_: None)  # supervisord handles SIGCHLD in Python
    try:
        assert restart_promptly()
        the_poller = poller.Poller(options.ServerOptions())
        # Far longer than the test may take: the poll must return because of the signal, not the timeout.
        timer = threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGCHLD))
        timer.start()
        started = time.monotonic()
        assert the_poller.poll(30) == ([], [])
        assert time.monotonic() - started < 10
        # A child reaped: the next poll returns at once.
        child = subprocess.Popen(["true"])
        server_options = options.ServerOptions()
        deadline = time.monotonic() + 10
        pid = None
        while pid != child.pid and time.monotonic() < deadline:  # (another test's finished child may come first)
            pid, _ = server_options.waitpid()
        assert pid == child.pid
        started = time.monotonic()
        the_poller.poll(30)
        assert time.monotonic() - started < 10
    finally:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, previous_handler)
