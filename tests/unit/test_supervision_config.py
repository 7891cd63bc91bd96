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
