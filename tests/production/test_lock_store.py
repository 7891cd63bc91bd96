"""painfaq.stores.lock_store.AtomicRedisLockStore against a real Redis: unique tickets and no lost update when
many processes' worth of threads issue and release tickets for one conversation at once."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig

from painfaq.stores.lock_store import AtomicRedisLockStore


def make_store(services) -> AtomicRedisLockStore:
    redis_env = services.redis.env()
    config = EndpointConfig(
        url=redis_env["REDIS_HOST"],
        port=redis_env["REDIS_PORT"],
        db=redis_env["REDIS_DB"],
        password=redis_env["REDIS_PASSWORD"],
        key_prefix="locktest",
        type="painfaq.stores.lock_store.AtomicRedisLockStore",
    )
    store = LockStore.create(config)  # as Rasa creates it from the endpoints file
    assert isinstance(store, AtomicRedisLockStore)
    return store


def test_tickets_are_unique_under_contention(services):
    stores = [make_store(services) for _ in range(4)]  # separate connections, like separate instances
    conversation = f"c-{uuid.uuid4().hex[:8]}"
    barrier = threading.Barrier(16)

    def issue(index: int) -> int:
        barrier.wait()
        return stores[index % 4].issue_ticket(conversation, 60)

    with ThreadPoolExecutor(max_workers=16) as pool:
        tickets = list(pool.map(issue, range(16)))
    assert sorted(tickets) == list(range(16)), tickets
    lock = stores[0].get_lock(conversation)
    assert [t.number for t in lock.tickets] == list(range(16))

    def release(ticket: int) -> None:
        stores[ticket % 4].cleanup(conversation, ticket)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(release, tickets))
    assert stores[0].get_lock(conversation) is None, "lock should be deleted once every ticket is released"


def test_cleanup_keeps_a_ticket_issued_meanwhile(services):
    store = make_store(services)
    conversation = f"c-{uuid.uuid4().hex[:8]}"
    first = store.issue_ticket(conversation, 60)
    second = store.issue_ticket(conversation, 60)
    store.cleanup(conversation, first)
    lock = store.get_lock(conversation)
    assert lock is not None and not lock.is_locked(second), "the waiting ticket must now be served"
    store.cleanup(conversation, second)
    assert store.get_lock(conversation) is None


def test_expired_tickets_are_dropped(services):
    store = make_store(services)
    conversation = f"c-{uuid.uuid4().hex[:8]}"
    stale = store.issue_ticket(conversation, 0.3)  # a crashed instance's ticket, soon expired
    fresh = store.issue_ticket(conversation, 60)
    time.sleep(0.4)
    store.update_lock(conversation)
    lock = store.get_lock(conversation)
    assert [t.number for t in lock.tickets] == [fresh] and stale != fresh
    store.cleanup(conversation, fresh)


def test_scripts_read_and_write_rasas_lock_format(services):
    """Locks written by Rasa's TicketLock (Python) are read by the Lua scripts and vice versa."""
    from rasa.core.lock import Ticket, TicketLock

    store = make_store(services)
    conversation = f'c-"quoted" ünïcode/{uuid.uuid4().hex[:6]}'
    now = time.time()
    python_lock = TicketLock(conversation)
    python_lock.tickets.extend([Ticket(4, now - 5), Ticket(7, now + 60)])  # one expired, one live
    store.save_lock(python_lock)
    assert store.issue_ticket(conversation, 60) == 8
    lock = store.get_lock(conversation)
    assert lock.conversation_id == conversation
    assert [t.number for t in lock.tickets] == [7, 8]
    assert all(t.expires > now for t in lock.tickets)
    assert lock.is_locked(8) and not lock.is_locked(7)
    store.cleanup(conversation, 7)
    lock = store.get_lock(conversation)
    assert [t.number for t in lock.tickets] == [8] and not lock.is_locked(8)
    store.cleanup(conversation, 8)
    assert store.get_lock(conversation) is None
    assert store.issue_ticket(conversation, 60) == 0  # numbering starts again, as in Rasa
    store.cleanup(conversation, 0)


def _hold_the_lock_forever(redis_env: dict, conversation: str) -> None:
    """A worker's turn that never ends: run in a child process, which the test kills."""
    import asyncio

    class Services:  # make_store reads services.redis.env()
        class redis:
            @staticmethod
            def env() -> dict:
                return redis_env

    async def turn() -> None:
        async with make_store(Services).lock(conversation):
            await asyncio.sleep(3600)

    asyncio.run(turn())


def test_a_killed_workers_ticket_lapses_within_one_lease(services, monkeypatch):
    """A worker killed (SIGKILL) mid-turn never releases its ticket: the next turn of that conversation waits
    about one lease (here 1 s), not Rasa's 60 s ticket lifetime."""
    import asyncio
    import multiprocessing
    import os
    import signal

    monkeypatch.setenv("PAINFAQ_LOCK_LEASE_SECONDS", "1")
    store = make_store(services)
    conversation = f"c-{uuid.uuid4().hex[:8]}"
    worker = multiprocessing.get_context("fork").Process(
        target=_hold_the_lock_forever, args=(services.redis.env(), conversation)
    )
    worker.start()
    deadline = time.monotonic() + 10
    while store.get_lock(conversation) is None:
        assert time.monotonic() < deadline, "the worker never took the lock"
        time.sleep(0.05)
    time.sleep(1.5)  # the worker renews its lease meanwhile: still held
    assert store.get_lock(conversation).tickets, "a live worker's ticket must not lapse"
    os.kill(worker.pid, signal.SIGKILL)
    worker.join()

    async def next_turn() -> float:
        started = time.monotonic()
        async with store.lock(conversation):
            return time.monotonic() - started

    waited = asyncio.run(next_turn())
    assert waited < 2.5, waited
    assert store.get_lock(conversation) is None


def test_a_live_turn_keeps_its_ticket_past_the_lease(services, monkeypatch):
    """The lease is renewed while the turn runs: a turn three leases long is never overtaken by the next one."""
    import asyncio

    monkeypatch.setenv("PAINFAQ_LOCK_LEASE_SECONDS", "1")
    store = make_store(services)
    conversation = f"c-{uuid.uuid4().hex[:8]}"
    order = []

    async def turn(name: str, hold: float) -> None:
        async with store.lock(conversation):
            order.append(f"{name} start")
            await asyncio.sleep(hold)
            order.append(f"{name} end")

    async def both() -> None:
        first = asyncio.ensure_future(turn("long", 3.0))
        await asyncio.sleep(0.1)
        await asyncio.gather(first, turn("next", 0.0))

    asyncio.run(both())
    assert order == ["long start", "long end", "next start", "next end"]
    assert store.renew_ticket(conversation, 0, 1.0) is False  # released tickets cannot be renewed
