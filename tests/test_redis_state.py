"""The shared state over a REAL redis-server (started here on a free loopback port): one
budget and one gate for several pacers (replicas), locks, bounded results and journal,
and what happens when Redis goes away. Also hosts the `redis_server` fixture that the
replica tests import."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import anyio
import pytest
import redis

from bench.replicas import free_port
from katana_sn_mcp.journal import Journal
from katana_sn_mcp.katana.pacing import Pacer, SharedStateUnavailable
from katana_sn_mcp.state import LockUnavailable
from katana_sn_mcp.state.redis import (
    RedisBudget,
    RedisJournalStream,
    RedisLocks,
    RedisResults,
    RedisUnavailable,
    check,
    connect,
    namespace,
)
from tests.conftest import make_harness, text

pytestmark = pytest.mark.anyio



@dataclass
class RedisServer:
    """A redis-server child process that a test may stop and start again."""

    port: int
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: .ci/run must install it (apt-get install "
                        "redis-server)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(free_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def budget(server: RedisServer, limit: int, window_s: float, key: str = "k") -> RedisBudget:
    return RedisBudget(connect(server.url), namespace(key), limit, window_s)


async def test_two_pacers_spend_one_budget(redis_server: RedisServer) -> None:
    a = Pacer(5, 60, shared=budget(redis_server, 5, 60))
    b = Pacer(5, 60, shared=budget(redis_server, 5, 60))
    for pacer in (a, b, a, b, a):
        await pacer.acquire()
    assert await a.remaining() == 0 and await b.remaining() == 0
    with anyio.move_on_after(0.3) as scope:  # the 6th in the 60 s window must wait
        await b.acquire()
    assert scope.cancelled_caught
    other_account = Pacer(5, 60, shared=budget(redis_server, 5, 60, key="other"))
    assert await other_account.remaining() == 5  # another key's budget is its own


async def held_until(pacer: Pacer) -> float:
    """Acquire one more place and say when it was granted (wall clock)."""
    await pacer.acquire()
    return time.time()


@pytest.mark.parametrize("shared", [True, False], ids=["redis", "one-process"])
async def test_a_request_holds_its_place_until_a_window_after_its_answer_came_back(
        redis_server: RedisServer, shared: bool) -> None:
    """Katana counts a request when it arrives, which may be long after it left (a busy
    event loop, a slow network); its answer is the latest it can have arrived. Stamped
    only on departure, the next request would be let in 0.5 s too early here."""
    window = 1.0
    pacer = Pacer(1, window, shared=budget(redis_server, 1, window) if shared else None)
    slot = await pacer.acquire()
    left = time.time()
    await anyio.sleep(0.5)  # the request is on its way
    await pacer.settle(slot)
    answered = time.time()
    granted = await held_until(pacer)
    assert granted >= answered + window > left + window + 0.4


async def test_an_entry_stamped_ahead_of_this_replicas_clock_still_counts(
        redis_server: RedisServer) -> None:
    """Another replica's clock may run a little ahead, or it re-stamped its entry a moment
    after this one read the time: pyrate alone counts entries only up to its own clock,
    and would let a request in past the limit."""
    b = budget(redis_server, 1, 60)
    ahead_ms = int(time.time() * 1000) + 300
    redis.Redis(port=redis_server.port).zadd(b.bucket_key, {"katana:other:x:1": ahead_ms})
    pacer = Pacer(1, 60, shared=b)
    assert await pacer.remaining() == 0
    with anyio.move_on_after(0.6) as scope:  # well past the entry's stamp
        await pacer.acquire()
    assert scope.cancelled_caught


async def test_the_redis_keys_name_a_hash_of_the_katana_key_never_the_key(
        redis_server: RedisServer) -> None:
    secret = "sk-live-very-secret-katana-key"
    pacer = Pacer(5, 60, shared=budget(redis_server, 5, 60, key=secret))
    await pacer.acquire()
    pacer.hold_for(5)
    await anyio.sleep(0.05)  # the gate is shared in the background
    keys = redis.Redis(port=redis_server.port).keys("*")
    assert keys and all(secret.encode() not in k for k in keys)
    assert {k.decode().rsplit(":", 1)[-1] for k in keys} == {"budget", "gate"}


class FakeTime:
    """A clock both pacers read and a sleep that advances it (no real waiting)."""

    def __init__(self) -> None:
        self.now = time.time()
        self.slept: list[float] = []
        self.during_sleep: list[object] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.during_sleep:
            await self.during_sleep.pop(0)  # type: ignore[misc]
        self.now += seconds


async def test_katanas_gate_closed_by_one_replica_holds_the_others(
        redis_server: RedisServer) -> None:
    t = FakeTime()
    a = Pacer(1000, 60, clock=t.clock, sleep=t.sleep, shared=budget(redis_server, 1000, 60))
    b = Pacer(1000, 60, clock=t.clock, sleep=t.sleep, shared=budget(redis_server, 1000, 60))
    a.observe({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int((t.now + 9) * 1000))})
    await anyio.sleep(0.05)
    await b.acquire()
    assert t.slept == [pytest.approx(9.0, abs=0.01)]
    # re-checked after sleeping: another replica extended the gate meanwhile
    a.hold_for(30)
    await anyio.sleep(0.05)
    assert b.shared is not None
    t.during_sleep.append(b.shared.close_gate(t.now + 45))  # while b sleeps its 30 s
    t.slept.clear()
    await b.acquire()
    assert t.slept == [pytest.approx(30.0, abs=0.01), pytest.approx(15.0, abs=0.01)]
    a.hold_for(600)
    await anyio.sleep(0.05)
    t.slept.clear()
    await b.acquire()
    assert sum(t.slept) == pytest.approx(120.0)  # capped, as in one process


async def test_redis_lost_fails_the_call_and_sends_nothing(
        tmp_path: Path, redis_server: RedisServer) -> None:
    pacer = Pacer(60, 60, shared=budget(redis_server, 60, 60))
    h = make_harness(tmp_path, pacer=pacer)
    ok = await h.call("list_serial_numbers", {"resource_type": "ManufacturingOrder",
                                              "resource_id": 1001})
    assert not ok.is_error and len(h.sandbox.requests) == 1
    redis_server.stop()
    with pytest.raises(SharedStateUnavailable) as caught:
        await pacer.acquire()
    assert "nothing was sent to Katana" in caught.value.message
    assert caught.value.sends == 0
    assert pacer.shared is not None
    for step in (partial(pacer.shared.take, "slot"), pacer.shared.gate_until,
                 pacer.shared.remaining):
        with pytest.raises(SharedStateUnavailable):
            await step()
    await pacer.settle("slot")  # a re-stamp that cannot be made is logged, never raised
    failed = await h.call("create_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                    "resource_id": 1001,
                                                    "serial_numbers": ["R-1"]})
    assert failed.is_error
    assert len(h.sandbox.requests) == 1  # not one request left without the budget
    assert text(failed)
    redis_server.start()  # back (empty, scripts forgotten): calls work again
    again = await h.call("list_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                 "resource_id": 1001})
    assert not again.is_error and len(h.sandbox.requests) == 2


def test_start_up_check_names_the_variable_not_the_password(redis_server: RedisServer) -> None:
    check(redis_server.url)
    port = free_port()
    with pytest.raises(RedisUnavailable) as caught:
        check(f"redis://:hunter2-password@127.0.0.1:{port}/0")
    assert "KATANA_SN_MCP_REDIS_URL" in str(caught.value)
    assert "hunter2" not in str(caught.value)


async def test_the_write_lock_is_account_wide_across_replicas_and_expires_after_a_crash(
        redis_server: RedisServer) -> None:
    one = RedisLocks(connect(redis_server.url), namespace("k"), wait_s=0.2, ttl_s=0.6)
    two = RedisLocks(connect(redis_server.url), namespace("k"), wait_s=0.2, ttl_s=0.6)
    order: list[str] = []
    async with one.hold("ManufacturingOrder:1001"):
        order.append("one")
        with pytest.raises(LockUnavailable):
            async with two.hold("ManufacturingOrder:1001"):
                order.append("two")  # pragma: no cover
        with pytest.raises(LockUnavailable):  # another resource: the same account lock
            async with two.hold("SalesOrderRow:7"):
                order.append("two-other")  # pragma: no cover
        await anyio.sleep(0.8)  # longer than the TTL: renewal keeps a live holder's lock
        with pytest.raises(LockUnavailable):
            async with two.hold("ManufacturingOrder:1001"):
                order.append("two")  # pragma: no cover
    assert order == ["one"]
    # a replica that died holding the lock: it is a key with a TTL, nobody renews it
    raw = redis.Redis(port=redis_server.port)
    raw.set(one.key("SalesOrderRow:7"), "dead-replica", px=300)
    slow = RedisLocks(connect(redis_server.url), namespace("k"), wait_s=2.0, ttl_s=5)
    async with slow.hold("SalesOrderRow:7"):
        order.append("after-expiry")
    assert order[-1] == "after-expiry"


async def test_results_are_shared_and_bounded(redis_server: RedisServer) -> None:
    one = RedisResults(connect(redis_server.url), namespace("k"), capacity=3)
    two = RedisResults(connect(redis_server.url), namespace("k"), capacity=3)
    for i in range(5):
        await one.put(f"r{i}", {"n": i})
    assert await two.get("r4") == {"n": 4}
    assert await two.get("r1") is None  # the oldest were dropped
    assert redis.Redis(port=redis_server.port).hlen(one.hash_key) == 3


def test_the_journal_stream_is_shared_bounded_and_redacted(redis_server: RedisServer) -> None:
    from katana_sn_mcp import redact

    redact.register("sk-journal-stream-secret")
    try:
        one = RedisJournalStream(redis_server.url, namespace("k"), maxlen=50)
        two = RedisJournalStream(redis_server.url, namespace("k"), maxlen=50)
        writer = Journal(None, stream=one)  # every line reaches the stream through Journal
        for i in range(500):
            writer.outcome("w", "create_serial_numbers", n=i,
                           error="echo sk-journal-stream-secret")
        recent = two.recent(3)
        assert [e["n"] for e in recent] == [497, 498, 499]  # oldest first
        assert "sk-journal-stream-secret" not in str(recent)
        assert redis.Redis(port=redis_server.port).xlen(one.key) < 200  # ~50, never 500
    finally:
        redact.forget_all()


async def test_a_write_applied_before_redis_was_lost_is_still_reported_applied(
        tmp_path: Path, redis_server: RedisServer) -> None:
    """Results are kept in Redis after the write happened: losing Redis there must not turn
    an applied write into "nothing was sent" (nor add a second journal outcome)."""
    from katana_sn_mcp.journal import Journal
    from katana_sn_mcp.runtime import sandbox_factory
    from katana_sn_mcp.sandbox import Sandbox
    from katana_sn_mcp.server import build_server
    from katana_sn_mcp.settings import Settings
    from tests.conftest import Harness, no_wait_pacer

    sandbox = Sandbox()
    journal = Journal(tmp_path / "journal.jsonl")
    results = RedisResults(connect(redis_server.url), namespace("k"))
    server = build_server(sandbox_factory(sandbox, Settings(), pacer=no_wait_pacer()), journal,
                          results=results)
    redis_server.stop()
    minted = await Harness(sandbox, server, tmp_path / "journal.jsonl").call(
        "create_serial_numbers", {"resource_type": "ManufacturingOrder", "resource_id": 1001,
                                  "serial_numbers": ["LOST-1"]})
    assert not minted.is_error, text(minted)
    assert minted.structured_content["outcome"] == "applied"
    outcomes = [e for e in journal.recent() if e["phase"] == "outcome"]
    assert [e["outcome"] for e in outcomes] == ["applied"]


async def test_a_long_hold_seen_by_another_replica_fails_at_once_here(
        redis_server: RedisServer) -> None:
    """Katana told replica A to hold for 90 s; B's call may wait 60 s at most, so it is
    refused now ("not sent"), not after sleeping through its deadline."""
    from katana_sn_mcp.katana.errors import GateClosed

    a = Pacer(60, 60, shared=budget(redis_server, 60, 60))
    b = Pacer(60, 60, shared=budget(redis_server, 60, 60))
    a.hold_for(90)
    await anyio.sleep(0.05)  # shared in the background
    with anyio.fail_after(2), pytest.raises(GateClosed) as caught:
        await b.acquire(max_wait=60)
    assert 85 < caught.value.wait_s <= 90
