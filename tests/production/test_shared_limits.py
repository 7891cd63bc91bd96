"""Rate limits and the in-flight limit counted in Redis (painfaq/serving/shared_limits.py): they hold across
workers (here: two channel states, as two processes would have), expire, fail open while Redis is down and
recover by themselves."""

from __future__ import annotations

import logging
import time

import pytest

from painfaq.serving.channel import GuardState, Limits
from painfaq.serving.ratelimit import Rate
from tests.harness import services


def redis_url(server: services.Redis) -> str:
    return f"redis://:{server.password}@{server.host}:{server.port}/{server.db}"


@pytest.fixture
def workers(redis_server, monkeypatch):
    redis_server.client().flushdb()
    monkeypatch.setenv("PAINFAQ_RATE_LIMIT_REDIS_URL", redis_url(redis_server))
    limits = Limits(per_sender=Rate(10, 30 / 60), per_address=Rate(60, 120 / 60), in_flight_per_address=4)
    return GuardState(limits), GuardState(limits)


def test_the_per_sender_limit_holds_across_workers(workers):
    first, second = workers
    allowed = sum(1 for i in range(40) if (first if i % 2 else second).per_sender.take("alice") == 0.0)
    # Burst 10 plus what refills during the loop (30 a minute): within 10% of the configured figure.
    assert 10 <= allowed <= 11
    wait = first.per_sender.take("alice")
    assert 0 < wait <= 2.1  # about one token at 0.5 a second
    assert second.per_sender.take("bob") == 0.0  # another sender has its own bucket


def test_the_in_flight_limit_holds_across_workers(workers):
    first, second = workers
    taken = [state.in_flight.acquire("10.0.0.1") for state in (first, second, first, second, first)]
    assert taken == [True, True, True, True, False]
    second.in_flight.release("10.0.0.1")
    assert first.in_flight.acquire("10.0.0.1") is True
    assert first.in_flight.current("10.0.0.1") == 4


def test_counters_expire(redis_server, workers):
    first, _ = workers
    first.per_sender.take("carol")
    client = redis_server.client()
    ttl = client.ttl("painfaq:limits:sender:carol")
    assert 0 < ttl <= 21  # a full bucket again after burst / rate seconds: then nothing needs keeping


def test_limits_fail_open_while_redis_is_down_and_recover(redis_server, monkeypatch, caplog):
    monkeypatch.setenv("PAINFAQ_RATE_LIMIT_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    down = GuardState(Limits(per_sender=Rate(1, 1 / 60), in_flight_per_address=1))
    with caplog.at_level(logging.WARNING, logger="painfaq.serving.shared_limits"):
        started = time.monotonic()
        assert [down.per_sender.take("dave") for _ in range(3)] == [0.0, 0.0, 0.0]
        assert down.in_flight.acquire("10.0.0.2") and down.in_flight.acquire("10.0.0.2")
        assert time.monotonic() - started < 5  # a short timeout, not a stalled turn
    warnings = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert 1 <= len(warnings) <= 2  # once a minute per limit, not once per request


def test_the_same_limiter_recovers_when_redis_answers_again(redis_server, monkeypatch, caplog):
    redis_server.client().flushdb()
    monkeypatch.setenv("PAINFAQ_RATE_LIMIT_REDIS_URL", redis_url(redis_server))
    state = GuardState(Limits(per_sender=Rate(1, 1 / 60)))
    assert state.per_sender.take("erin") == 0.0
    redis_server.client().client_pause(1500)  # Redis answers nothing for 1.5 s
    with caplog.at_level(logging.WARNING, logger="painfaq.serving.shared_limits"):
        assert state.per_sender.take("erin") == 0.0  # fails open
    assert any("Redis unreachable" in r.getMessage() for r in caplog.records)
    time.sleep(1.6)
    assert state.per_sender.take("erin") > 0  # limiting again, with the count kept in Redis
