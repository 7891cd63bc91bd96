"""Token buckets keyed by sender id or client address, with bounded memory.

In-process: with several Sanic workers each worker counts for itself (a client spread over N workers gets
up to N times the limit). A shared limit needs a reverse proxy or a Redis-based limiter in front.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Dict, Optional


@dataclass(frozen=True)
class Rate:
    """`burst` requests at once, then `per_second` on average (both > 0; burst 0 = unlimited)."""

    burst: float
    per_second: float

    @property
    def unlimited(self) -> bool:
        return self.burst <= 0 or self.per_second <= 0

    @classmethod
    def parse(cls, value: str) -> "Rate":
        """`"10/20"` -> burst 10, 20 per minute; `"0"` or `"off"` -> unlimited."""
        text = value.strip().lower()
        if text in ("0", "off", "none", "unlimited"):
            return cls(0, 0)
        burst, _, per_minute = text.partition("/")
        if not per_minute:
            raise ValueError(f"rate {value!r}: expected BURST/PER_MINUTE, e.g. 10/20")
        return cls(float(burst), float(per_minute) / 60.0)


class TokenBuckets:
    """One token bucket per key; the least recently used keys are dropped beyond `max_keys`."""

    def __init__(self, rate: Rate, max_keys: int = 50_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: "OrderedDict[str, list]" = OrderedDict()  # key -> [tokens, last refill time]
        self._lock = threading.Lock()

    def take(self, key: str, cost: float = 1.0) -> float:
        """Take `cost` tokens for `key`: 0.0 if allowed, else the seconds until it would be allowed."""
        if self.rate.unlimited:
            return 0.0
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = [self.rate.burst, now]
                self._buckets[key] = bucket
                if len(self._buckets) > self.max_keys:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(key)
                bucket[0] = min(self.rate.burst, bucket[0] + (now - bucket[1]) * self.rate.per_second)
                bucket[1] = now
            if bucket[0] >= cost:
                bucket[0] -= cost
                return 0.0
            return (cost - bucket[0]) / self.rate.per_second

    def __len__(self) -> int:
        return len(self._buckets)


class InFlight:
    """At most `limit` requests being processed at once per key (0 = unlimited)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._counts: Dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> bool:
        if self.limit <= 0:
            return True
        with self._lock:
            count = self._counts.get(key, 0)
            if count >= self.limit:
                return False
            self._counts[key] = count + 1
            return True

    def release(self, key: str) -> None:
        if self.limit <= 0:
            return
        with self._lock:
            count = self._counts.get(key, 0) - 1
            if count > 0:
                self._counts[key] = count
            else:
                self._counts.pop(key, None)

    def current(self, key: str) -> int:
        return self._counts.get(key, 0)


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


def optional_float(value: Optional[str], default: float) -> float:
    return float(value) if value not in (None, "") else default
