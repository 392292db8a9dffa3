"""The shared-state interfaces over Redis, for replicas behind a load balancer.

Katana's limit is per account, so replicas must spend one budget: pyrate-limiter's
`RedisBucket` keeps the sliding-window log in one sorted set for all of them, and the
Retry-After / `X-Ratelimit-Remaining: 0` gate is one key. Every write of ours is
serialised across replicas by one account-wide redis-py `Lock` (why account-wide: the
`WriteLocks` docstring), whose TTL (renewed while held) means a replica that dies
mid-write frees it within seconds. Recent results and the
journal are a bounded hash and a capped stream, so memory stays flat.

Every key lives under `katana-sn-mcp:<first 16 hex of sha256(Katana key)>:`: accounts
sharing one Redis never mix, and the key itself is never written anywhere. A lost Redis
never lets a request go to Katana outside the budget: the call fails with
`SharedStateUnavailable`, which says so.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis
import redis.asyncio as aioredis
from pyrate_limiter import Limiter, Rate, RedisBucket
from pyrate_limiter.buckets.redis_bucket import LuaScript
from pyrate_limiter.limiter import SingleBucketFactory
from redis.backoff import ExponentialBackoff
from redis.exceptions import NoScriptError, RedisError
from redis.retry import Retry

from katana_sn_mcp.katana.pacing import SharedStateUnavailable
from katana_sn_mcp.state import ACCOUNT_KEY, LockUnavailable

log = logging.getLogger(__name__)
PREFIX = "katana-sn-mcp"
# Margin added to each wait for the window, as a share of the window (at least pyrate's
# 50 ms). Entries are re-stamped when their answer is back (`settle`), so this only has to
# cover the replicas' clocks disagreeing: keep them in step (NTP) to well within 1 %.
BUFFER_SHARE = 0.01

# pyrate counts a window's entries from its start up to the caller's own clock. An entry
# re-stamped a moment ago by another replica, or stamped by a replica whose clock runs a
# little ahead, would then drop out of the count and let one request too many in. Count
# up to the newest entry instead (what pyrate's in-memory bucket does).
_PYRATE_COUNT = "redis.call('ZCOUNT', bucket, window_start, now)"
PUT_ITEM = LuaScript.PUT_ITEM.replace(_PYRATE_COUNT,
                                      "redis.call('ZCOUNT', bucket, window_start, '+inf')")
if PUT_ITEM == LuaScript.PUT_ITEM:  # pragma: no cover - pyrate-limiter changed its script
    raise ImportError("pyrate-limiter's Redis script no longer has the window count this "
                      "server adjusts: install the version in constraints.txt")

# Move one request's entry (found by its name's prefix) to when its answer came back,
# never earlier than it was.
_SETTLE = """
local prefix = ARGV[1]
local members = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[3], '+inf')
for i = #members, 1, -1 do
  if string.sub(members[i], 1, #prefix) == prefix then
    local score = tonumber(redis.call('ZSCORE', KEYS[1], members[i]))
    if tonumber(ARGV[2]) > score then
      redis.call('ZADD', KEYS[1], ARGV[2], members[i])
    end
    return 1
  end
end
return 0
"""


def namespace(api_key: str) -> str:
    """The key prefix for one Katana account: a hash prefix, never the key."""
    return f"{PREFIX}:{hashlib.sha256(api_key.encode()).hexdigest()[:16]}"


def _options() -> dict[str, Any]:
    """Fail fast: a call waits seconds at most for a Redis that is gone, not minutes."""
    return {"socket_timeout": 2.0, "socket_connect_timeout": 2.0, "decode_responses": True,
            "retry": Retry(ExponentialBackoff(cap=0.2, base=0.02), 2)}


def connect(url: str) -> aioredis.Redis:
    """One client (one connection pool) per process, shared by budget, locks and results."""
    return aioredis.Redis.from_url(url, **_options())


class RedisUnavailable(RuntimeError):
    """Redis could not be reached at start-up."""


def check(url: str) -> None:
    """Ping once at start-up, so a wrong URL is one clear line, not a failure per call.
    The message names neither the URL nor its password."""
    try:
        with redis.Redis.from_url(url, **_options()) as client:
            client.ping()
    except (RedisError, OSError, ValueError) as exc:
        raise RedisUnavailable(
            f"cannot reach Redis at KATANA_SN_MCP_REDIS_URL ({type(exc).__name__}); start "
            "redis-server or correct the URL (redis://host:6379/0), or unset it to run as one "
            "process") from exc


def unavailable(exc: BaseException) -> SharedStateUnavailable:
    return SharedStateUnavailable(
        f"The shared store (Redis) that holds this server's Katana rate budget and write "
        f"locks cannot be reached ({type(exc).__name__}), so nothing was sent to Katana: "
        "without the shared budget the server's replicas together could exceed Katana's rate "
        "limit. Nothing changed in Katana. Try again in a minute; if it persists, the operator "
        "must check redis-server.")


# Raise the gate only ever later, and let it expire a little after it opens.
_CLOSE_GATE = """
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1
"""


class ArrivalRedisBucket(RedisBucket):
    """pyrate's Redis bucket with the window counted up to its newest entry (`PUT_ITEM`)."""

    @classmethod
    async def create(cls, rates: list[Rate], client: aioredis.Redis,
                     key: str) -> ArrivalRedisBucket:
        return cls(rates, client, key, await client.script_load(PUT_ITEM))


class RedisBudget:
    """`SharedBudget` for the pacer: one sliding window and one gate for all replicas."""

    def __init__(self, client: aioredis.Redis, ns: str, limit: int, window_s: float,
                 buffer_ms: int | None = None) -> None:
        self._client = client
        self.limit, self.window_ms = limit, int(window_s * 1000)
        share = max(50, int(self.window_ms * BUFFER_SHARE))
        self.buffer_ms = share if buffer_ms is None else buffer_ms
        self._takes = 0
        self.bucket_key, self.gate_key = f"{ns}:budget", f"{ns}:gate"
        self._limiter: Limiter | None = None
        self._close = client.register_script(_CLOSE_GATE)  # re-loads itself after NOSCRIPT
        self._settle = client.register_script(_SETTLE)

    async def _get_limiter(self, fresh: bool = False) -> Limiter:
        if self._limiter is None or fresh:
            bucket = await ArrivalRedisBucket.create([Rate(self.limit, self.window_ms)],
                                                     self._client, self.bucket_key)
            # leaking is done in take(): pyrate's background leak task dies with Redis
            self._limiter = Limiter(SingleBucketFactory(bucket, schedule_leak=False),
                                    buffer_ms=self.buffer_ms)
        return self._limiter

    async def take(self, slot: str) -> None:
        try:
            try:
                limiter = await self._get_limiter()
                taken = await limiter.try_acquire_async(slot)
            except NoScriptError:  # Redis restarted and forgot pyrate's script: load it again
                limiter = await self._get_limiter(fresh=True)
                taken = await limiter.try_acquire_async(slot)
            self._takes += 1
            if self._takes % 20 == 1:  # forget what left the window (off the hot path mostly)
                now_ms = int(time.time() * 1000)
                async with self._client.pipeline(transaction=False) as pipe:
                    pipe.zremrangebyscore(self.bucket_key, 0, now_ms - self.window_ms - 1)
                    pipe.pexpire(self.bucket_key, self.window_ms * 2)
                    await pipe.execute()
        except RedisError as exc:
            raise unavailable(exc) from exc
        if not taken:  # pyrate gives up only on a weight above the limit: cannot happen
            raise SharedStateUnavailable("the shared rate budget refused the request")

    async def settle(self, slot: str) -> None:
        now_ms = int(time.time() * 1000)
        try:  # pyrate names the entry f"{slot}:{random id}:1"; older ones are trimmed
            await self._settle(keys=[self.bucket_key],
                               args=[f"{slot}:", now_ms, now_ms - 2 * self.window_ms])
        except RedisError as exc:
            raise unavailable(exc) from exc

    async def gate_until(self) -> float:
        try:
            value = await self._client.get(self.gate_key)
        except RedisError as exc:
            raise unavailable(exc) from exc
        return float(value) if value else 0.0

    async def close_gate(self, until: float) -> None:
        ttl_ms = max(1000, int((until - time.time()) * 1000) + 1000)
        try:
            await self._close(keys=[self.gate_key], args=[repr(until), ttl_ms])
        except RedisError as exc:
            raise unavailable(exc) from exc

    async def remaining(self) -> int:
        now_ms = int(time.time() * 1000)
        try:
            used = await self._client.zcount(self.bucket_key, now_ms - self.window_ms, "+inf")
        except RedisError as exc:
            raise unavailable(exc) from exc
        return max(0, self.limit - int(used))


class RedisLocks:
    """`WriteLocks` across replicas: every key maps to one account lock, `<ns>:lock:account`.
    The TTL bounds how long a dead replica can hold it; a live one renews it every third
    of the TTL, so long writes keep it."""

    def __init__(self, client: aioredis.Redis, ns: str, wait_s: float = 120.0,
                 ttl_s: float = 30.0) -> None:
        self._client, self._ns, self.wait_s, self.ttl_s = client, ns, wait_s, ttl_s

    def key(self, key: str) -> str:
        """The Redis key of the lock a write to `key` takes: the same for every resource."""
        return f"{self._ns}:lock:{ACCOUNT_KEY}"

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._client.lock(self.key(key), timeout=self.ttl_s, sleep=0.05,
                                 blocking_timeout=self.wait_s)
        try:
            got = await lock.acquire()
        except RedisError as exc:
            raise unavailable(exc) from exc
        if not got:
            raise LockUnavailable(key)
        renew = asyncio.get_running_loop().create_task(self._renew(lock))
        try:
            yield
        finally:
            renew.cancel()
            try:
                await lock.release()
            except RedisError as exc:  # Redis gone or the TTL ran out: it expires by itself
                log.warning("could not release the write lock on %s: %s", key, type(exc).__name__)

    async def _renew(self, lock: Any) -> None:
        while True:
            await asyncio.sleep(self.ttl_s / 3)
            try:
                await lock.reacquire()
            except RedisError as exc:
                log.warning("could not renew a write lock: %s", type(exc).__name__)


# Store one result and drop the oldest beyond capacity, atomically.
_PUT_RESULT = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('LREM', KEYS[2], 0, ARGV[1])
redis.call('LPUSH', KEYS[2], ARGV[1])
while redis.call('LLEN', KEYS[2]) > tonumber(ARGV[3]) do
  redis.call('HDEL', KEYS[1], redis.call('RPOP', KEYS[2]))
end
return 1
"""


class RedisResults:
    """`ResultStore` across replicas: a hash of details and a list of ids, newest first,
    trimmed to `capacity` in the same script, so it never grows."""

    def __init__(self, client: aioredis.Redis, ns: str, capacity: int = 200) -> None:
        self._client, self.capacity = client, capacity
        self.hash_key, self.ids_key = f"{ns}:results", f"{ns}:results:ids"
        self._put = client.register_script(_PUT_RESULT)

    async def put(self, result_id: str, detail: dict[str, Any]) -> None:
        """Called after the write happened: a failure is logged, never raised, since the
        result must still reach the caller (the journal holds the items too)."""
        blob = json.dumps(detail, default=str, ensure_ascii=False)
        try:
            await self._put(keys=[self.hash_key, self.ids_key],
                            args=[result_id, blob, self.capacity])
        except RedisError as exc:
            log.warning("could not keep result %s in Redis: %s", result_id, type(exc).__name__)

    async def get(self, result_id: str) -> dict[str, Any] | None:
        try:
            blob = await self._client.hget(self.hash_key, result_id)  # type: ignore[misc]
        except RedisError as exc:
            raise unavailable(exc) from exc
        return json.loads(blob) if blob else None


class RedisJournalStream:
    """The journal every replica appends to: a Redis Stream capped near `maxlen` entries.
    Synchronous, like `Journal.record`; a failure is logged and never fails the tool (the
    write already happened in Katana), exactly like the file journal."""

    def __init__(self, url: str, ns: str, maxlen: int = 10000) -> None:
        self._client = redis.Redis.from_url(url, **_options())
        self.key, self.maxlen = f"{ns}:journal", maxlen

    def append(self, entry: dict[str, Any]) -> None:
        blob = json.dumps(entry, default=str, ensure_ascii=False)  # Journal redacted it
        try:
            self._client.xadd(self.key, {"entry": blob}, maxlen=self.maxlen, approximate=True)
        except RedisError as exc:
            log.warning("could not append to the shared journal: %s", type(exc).__name__)

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        """The last `limit` entries, oldest first (like `Journal.recent`)."""
        try:
            rows: list[Any] = self._client.xrevrange(self.key, count=limit)  # type: ignore[assignment]
        except RedisError as exc:
            raise unavailable(exc) from exc
        entries = []
        for _id, fields in reversed(rows):
            try:
                entries.append(json.loads(fields["entry"]))
            except (KeyError, json.JSONDecodeError):
                continue
        return entries

    def close(self) -> None:
        self._client.close()
