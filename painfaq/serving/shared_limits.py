"""Rate limits and the in-flight limit counted in Redis, so they hold across workers and instances.

The embedded profile counts in memory (painfaq.serving.ratelimit); with PAINFAQ_RATE_LIMIT_REDIS_URL set
(the production profile sets it to its Redis) the channel counts here instead, with the same interface:

* `RedisTokenBuckets.take(key)`: one token bucket per key in a Redis hash, refilled and taken in one Lua
  script (atomic; the clock is Redis's own `TIME`, the same for every instance), expiring once full again;
* `RedisInFlight.acquire(key)` / `release(key)`: a counter per key (INCR/DECR in one script), with an expiry
  so a worker killed mid-turn cannot hold a slot for ever.

If Redis does not answer (timeout 0.25 s), the limits fail open: the turn goes on, a warning is logged (at
most once a minute), and the next call tries Redis again; answers matter more than limits.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Optional

from painfaq.serving.ratelimit import Rate

logger = logging.getLogger(__name__)

KEY_PREFIX = "painfaq:limits:"
SOCKET_TIMEOUT_SECONDS = 0.25
WARN_EVERY_SECONDS = 60.0

TAKE = """
local burst = tonumber(ARGV[1])
local per_second = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then tokens = burst; at = now end
tokens = math.min(burst, tokens + math.max(0, now - at) * per_second)
local wait = 0
if tokens >= cost then tokens = tokens - cost else wait = (cost - tokens) / per_second end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / per_second) + 1)
return tostring(wait)
"""

ACQUIRE = """
local count = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
if count > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 0
end
return 1
"""

RELEASE = """
local count = redis.call('DECR', KEYS[1])
if count <= 0 then redis.call('DEL', KEYS[1]) end
return count
"""


class _FailOpen:
    """Remembers when Redis last failed, to log that at most once a minute."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._warned_at = -WARN_EVERY_SECONDS

    def failed(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            logger.warning(
                "%s: Redis unreachable (%s); not limiting until it answers again", self.what, type(error).__name__
            )


def connect(url: str) -> Any:
    import redis

    return redis.Redis.from_url(
        url, socket_timeout=SOCKET_TIMEOUT_SECONDS, socket_connect_timeout=SOCKET_TIMEOUT_SECONDS
    )


class RedisTokenBuckets:
    def __init__(self, rate: Rate, client: Any, name: str) -> None:
        self.rate = rate
        self._client = client
        self._prefix = f"{KEY_PREFIX}{name}:"
        self._take = client.register_script(TAKE)
        self._fail = _FailOpen(f"rate limit {name}")

    def take(self, key: str, cost: float = 1.0) -> float:
        """0.0 if allowed, else the seconds until it would be; 0.0 while Redis is unreachable."""
        if self.rate.unlimited:
            return 0.0
        import redis

        try:
            return float(self._take(keys=[self._prefix + key], args=[self.rate.burst, self.rate.per_second, cost]))
        except redis.RedisError as error:
            self._fail.failed(error)
            return 0.0


class RedisInFlight:
    def __init__(self, limit: int, client: Any, expire_seconds: int) -> None:
        self.limit = limit
        self._client = client
        self._expire = max(1, int(expire_seconds))
        self._acquire = client.register_script(ACQUIRE)
        self._release = client.register_script(RELEASE)
        self._fail = _FailOpen("in-flight limit")

    def acquire(self, key: str) -> bool:
        if self.limit <= 0:
            return True
        import redis

        try:
            return bool(int(self._acquire(keys=[KEY_PREFIX + "inflight:" + key], args=[self.limit, self._expire])))
        except redis.RedisError as error:
            self._fail.failed(error)
            return True

    def release(self, key: str) -> None:
        if self.limit <= 0:
            return
        import redis

        try:
            self._release(keys=[KEY_PREFIX + "inflight:" + key])
        except redis.RedisError as error:
            self._fail.failed(error)

    def current(self, key: str) -> int:
        import redis

        try:
            return int(self._client.get(KEY_PREFIX + "inflight:" + key) or 0)
        except redis.RedisError:
            return 0


def shared_client(url: Optional[str]) -> Optional[Any]:
    return connect(url) if url else None
