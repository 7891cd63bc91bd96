"""Rasa's Redis lock store with atomic ticket operations, for several Rasa instances/workers.

Rasa 3.6's `RedisLockStore` issues a ticket as GET lock -> add ticket -> SET lock, in three separate
Redis calls. When two messages of the same conversation reach two instances (or two Sanic workers) at
the same moment, both can read the same lock, both issue the same ticket number and both process
the conversation at once; the second tracker save then counts the stored events, finds "nothing new"
and the second message and its reply are lost from the conversation (reproduced by
tests/production/test_production_cluster.py::test_simultaneous_messages_of_one_conversation: about 1
pair in 13 with the stock lock store). Finishing a ticket has the same read-modify-write race, and its
check-then-delete can delete a ticket another instance just issued (that request then fails with
LockError).

This class keeps Rasa's ticket-lock algorithm, key names and JSON format, and makes every
read-modify-write of a lock atomic: issuing and releasing a ticket (twice per turn) are each one Lua
script that Redis runs atomically (one round trip instead of Rasa's three, or a transaction's five);
the rarer expiry update runs in a WATCH/MULTI transaction, retried on conflict. So tickets are unique
and no update is lost. Use it with `type: painfaq.stores.lock_store.AtomicRedisLockStore` in the
endpoints file; it takes the same settings as `type: redis`.

Tickets are leases. Rasa gives a ticket a fixed lifetime (60 s): when the worker holding it is killed, every
later message of that conversation waits up to a minute; the turns queued behind it time out, their own
tickets expire while they wait, and they end in a LockError, never stored (`make chaos` lost 14 messages
this way in 10 minutes). Here a ticket lives `PAINFAQ_LOCK_LEASE_SECONDS` (10 s) and the turn that holds it
renews it every third of that, from the moment it is issued until the turn ends; a killed worker stops
renewing, so its ticket lapses within one lease and the next turn goes ahead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import asynccontextmanager, suppress
from typing import Any, AsyncGenerator, Callable, Optional, Text, Tuple, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from painfaq import settings

T = TypeVar("T")
logger = logging.getLogger(__name__)


class AtomicRedisLockStore(RedisLockStore):
    """`RedisLockStore` whose ticket issue / expiry / release are atomic across processes."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            settings = dict(endpoint_config.kwargs)
            settings.pop("type", None)
            if endpoint_config.url:
                settings["host"] = endpoint_config.url
            settings.update(kwargs)
        else:
            settings = kwargs
        for key in ("port", "db"):
            if key in settings and settings[key] not in (None, ""):
                settings[key] = int(settings[key])
        if settings.get("password") == "":
            settings["password"] = None
        if settings.get("username") == "":
            settings["username"] = None
        super().__init__(**settings)

    def _update(
        self, conversation_id: Text, change: Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], T]]
    ) -> T:
        """Apply `change` to the stored lock atomically. `change` gets the current lock (or None) and
        returns (lock to store or None to delete it, result); it is re-run if the lock changed meanwhile."""
        key = self.key_prefix + conversation_id
        outcome = {}

        def transaction(pipe: Any) -> None:
            raw = pipe.get(key)
            current = TicketLock.from_dict(json.loads(raw)) if raw else None
            new_lock, result = change(current)
            pipe.multi()
            if new_lock is None:
                pipe.delete(key)
            else:
                pipe.set(key, new_lock.dumps())
            outcome["result"] = result

        self.red.transaction(transaction, key)
        return outcome["result"]

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return int(
                self._scripts()["issue"](
                    keys=[self.key_prefix + conversation_id], args=[time.time(), lock_lifetime, conversation_id]
                )
            )
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    @asynccontextmanager
    async def lock(
        self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's ticket lock, with the ticket held as a renewed lease (`lock_lifetime` is not used)."""
        lease = self.lease_seconds()
        ticket = self.issue_ticket(conversation_id, lease)
        renewer = asyncio.ensure_future(self._renew(conversation_id, ticket, lease))
        try:
            # Poll at most every 0.2 s: with leases the wait for a dead worker's ticket is short anyway.
            yield await self._acquire_lock(conversation_id, ticket, min(wait_time_in_seconds, 0.2))
        finally:
            renewer.cancel()
            with suppress(asyncio.CancelledError):
                await renewer
            self.cleanup(conversation_id, ticket)

    @staticmethod
    def lease_seconds() -> float:
        return max(1.0, settings.LOCK_LEASE_SECONDS.number())

    async def _renew(self, conversation_id: Text, ticket: int, lease: float) -> None:
        while True:
            await asyncio.sleep(lease / 3)
            try:
                self.renew_ticket(conversation_id, ticket, lease)
            except Exception as error:  # Redis away for a moment: the next renewal may succeed
                logger.warning("could not renew the conversation lock's lease: %s", error)

    def renew_ticket(self, conversation_id: Text, ticket: int, lease: float) -> bool:
        """Move `ticket`'s expiry to now + `lease`; False if the ticket is gone (it had lapsed)."""
        key = self.key_prefix + conversation_id
        return bool(self._scripts()["renew"](keys=[key], args=[time.time(), lease, ticket]))

    def update_lock(self, conversation_id: Text) -> None:
        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._update(conversation_id, change)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._update(conversation_id, change)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Remove our ticket; delete the lock only if, at that same moment, nobody else holds a ticket."""
        self._scripts()["cleanup"](keys=[self.key_prefix + conversation_id], args=[time.time(), ticket_number])

    def _scripts(self) -> dict:
        scripts = self.__dict__.get("_lua")
        if scripts is None:
            scripts = self._lua = {name: self.red.register_script(code) for name, code in LUA.items()}
        return scripts


# The two operations of every turn, each one Redis call, run atomically by Redis. They do what
# TicketLock does in Python (rasa/core/lock.py), on the same JSON: {"conversation_id": ..., "tickets":
# ["{\"number\": 0, \"expires\": <unix time>}", ...]}; an expired ticket is one with now > expires.
_LUA_KEEP = """
local function kept_tickets(raw, now, drop_number)
  local kept = {}
  local lock = cjson.decode(raw)
  for _, ticket in ipairs(lock.tickets or {}) do
    local data = cjson.decode(ticket)
    if not (now > tonumber(data.expires)) and tonumber(data.number) ~= drop_number then
      table.insert(kept, ticket)
    end
  end
  return lock, kept
end
local function write(key, conversation_id, tickets)
  local parts = {}
  for i, ticket in ipairs(tickets) do parts[i] = cjson.encode(ticket) end
  redis.call('SET', key, '{"conversation_id": ' .. cjson.encode(conversation_id) ..
    ', "tickets": [' .. table.concat(parts, ', ') .. ']}')
end
"""
LUA = {
    # ARGV: now, lifetime, conversation id -> the new ticket's number (last one + 1, or 0)
    "issue": _LUA_KEEP
    + """
local now = tonumber(ARGV[1])
local raw = redis.call('GET', KEYS[1])
local conversation_id = ARGV[3]
local tickets = {}
if raw then
  local lock
  lock, tickets = kept_tickets(raw, now, nil)
  if type(lock.conversation_id) == 'string' then conversation_id = lock.conversation_id end
end
local number = 0
if #tickets > 0 then number = tonumber(cjson.decode(tickets[#tickets]).number) + 1 end
table.insert(tickets, cjson.encode({number = number, expires = now + tonumber(ARGV[2])}))
write(KEYS[1], conversation_id, tickets)
return number
""",
    # ARGV: now, lease, ticket number -> 1 after moving that ticket's expiry to now + lease, 0 if it is gone
    "renew": """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local lock = cjson.decode(raw)
local now, lease, number = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tickets, found = {}, 0
for i, ticket in ipairs(lock.tickets or {}) do
  local data = cjson.decode(ticket)
  if tonumber(data.number) == number then
    if now > tonumber(data.expires) then return 0 end
    ticket = cjson.encode({number = number, expires = now + lease})
    found = 1
  end
  tickets[i] = ticket
end
if found == 0 then return 0 end
local parts = {}
for i, ticket in ipairs(tickets) do parts[i] = cjson.encode(ticket) end
local conversation_id = lock.conversation_id
if type(conversation_id) ~= 'string' then conversation_id = '' end
redis.call('SET', KEYS[1], '{"conversation_id": ' .. cjson.encode(conversation_id) ..
  ', "tickets": [' .. table.concat(parts, ', ') .. ']}')
return 1
""",
    # ARGV: now, ticket number -> drop it (and expired ones); delete the lock if no ticket is left
    "cleanup": _LUA_KEEP
    + """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local lock, tickets = kept_tickets(raw, tonumber(ARGV[1]), tonumber(ARGV[2]))
if #tickets == 0 then
  redis.call('DEL', KEYS[1])
else
  local conversation_id = lock.conversation_id
  if type(conversation_id) ~= 'string' then conversation_id = '' end
  write(KEYS[1], conversation_id, tickets)
end
return #tickets
""",
}
