"""The test harness's free ports: distinct, bindable, and outside the range outgoing connections use."""

import socket

import pytest

from tests.harness import stack
from tests.harness.stack import _ephemeral_port_floor, free_ports


def test_free_ports_are_distinct_bindable_and_below_the_ephemeral_range() -> None:
    ports = free_ports(3)
    assert len(set(ports)) == 3
    assert all(1024 <= port < _ephemeral_port_floor() for port in ports)
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("0.0.0.0", port))  # raises if the port was not free


def test_a_port_in_use_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    taken, spare = free_ports(2)

    class FirstTheTakenPort:
        def sample(self, population: range, k: int) -> list:
            return [taken, spare]

    monkeypatch.setattr(stack.random, "SystemRandom", FirstTheTakenPort)
    with socket.socket() as listener:
        listener.bind(("0.0.0.0", taken))
        listener.listen()
        assert free_ports(1) == [spare]
