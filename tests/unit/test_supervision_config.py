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
