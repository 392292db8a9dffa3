"""429s ridden out within the call's deadline: Katana stricter than our pacer (another
program on the same key) makes requests wait as Katana asks, as often as it takes; a call
that finally gives up names the true cause."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from katana_sn_mcp.journal import Journal
from katana_sn_mcp.katana.client import RetryPolicy
from katana_sn_mcp.katana.pacing import Pacer
from katana_sn_mcp.runtime import sandbox_factory
from katana_sn_mcp.sandbox import Fault, Sandbox, SandboxConfig
from katana_sn_mcp.server import build_server
from katana_sn_mcp.settings import Settings
from tests.conftest import text

pytestmark = pytest.mark.anyio
RETRY = RetryPolicy(backoff_initial=0.001, backoff_max=0.01)  # 429s: no attempt count
MO = {"resource_type": "ManufacturingOrder", "resource_id": 1001}


class VirtualTime:
    """One clock for the sandbox's rate window and our pacer; a pacer sleep moves it on and
    is recorded with how many requests Katana had seen by then."""

    def __init__(self, sandbox: Sandbox | None = None) -> None:
        self.now = 1_900_000_000.0
        self.sandbox = sandbox
        self.sleeps: list[tuple[float, int]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Sleepers that start together wake together: time moves to the latest wake-up
        asked for, not to the sum of them."""
        self.sleeps.append((seconds, len(self.sandbox.requests) if self.sandbox else -1))
        start = self.now
        await anyio.sleep(0)
        self.now = max(self.now, start + seconds)


def server(sandbox: Sandbox, pacer: Pacer, **options: Any) -> Any:
    return build_server(sandbox_factory(sandbox, Settings(), retry=RETRY, pacer=pacer),
                        Journal(None), **options)


async def test_fourteen_reads_against_a_stricter_katana_all_succeed() -> None:
    clock = VirtualTime()
    sandbox = Sandbox(SandboxConfig(rate_limit=6, rate_window=3.0, clock=clock))
    clock.sandbox = sandbox
    mcp = server(sandbox, Pacer(60, 60.0, clock=clock, sleep=clock.sleep))
    sandbox.spend(6)  # another program just spent the window: our pacer cannot know
    results: list[Any] = []

    async def read() -> None:
        async with Client(mcp) as c:
            results.append(await c.call_tool("list_serial_numbers", MO))

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            for _ in range(14):
                tg.start_soon(read)
    assert sandbox.rate_limited > 0  # Katana did refuse: the storm happened
    assert [r.is_error for r in results] == [False] * 14, [text(r) for r in results if r.is_error]
    assert clock.sleeps and all(s > 0 for s, _ in clock.sleeps)


async def test_a_request_refused_many_times_is_sent_until_it_passes() -> None:
    clock = VirtualTime()
    sandbox = Sandbox(SandboxConfig(clock=clock))
    sandbox.inject(Fault(kind="status", method="GET", status=429, retry_after=2, count=9))
    mcp = server(sandbox, Pacer(60, 60.0, clock=clock, sleep=clock.sleep))
    async with Client(mcp) as c:
        r = await c.call_tool("list_serial_numbers", MO)
    assert not r.is_error, text(r)
    assert [q.status for q in sandbox.requests] == [429] * 9 + [200]
    assert [s for s, _ in clock.sleeps] == [2.0] * 9


async def test_the_retry_after_wait_happens_before_the_retry(tmp_path: Path) -> None:
    clock = VirtualTime()
    sandbox = Sandbox(SandboxConfig(clock=clock))
    clock.sandbox = sandbox
    sandbox.inject(Fault(kind="status", method="POST", status=429, retry_after=7))
    mcp = server(sandbox, Pacer(60, 60.0, clock=clock, sleep=clock.sleep))
    async with Client(mcp) as c:
        r = await c.call_tool("create_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1003,
            "serial_numbers": ["RA-1"]})
    assert not r.is_error, text(r)
    posts = [i for i, q in enumerate(sandbox.requests) if q.method == "POST"]
    assert [sandbox.requests[i].status for i in posts] == [429, 200]
    # 7 s slept after the 429 (one request seen) and before the re-sent POST
    assert clock.sleeps == [(7.0, posts[0] + 1)]
    assert posts[1] == posts[0] + 1


async def test_a_wait_longer_than_the_time_left_names_both() -> None:
    clock = VirtualTime()
    sandbox = Sandbox(SandboxConfig(clock=clock))
    sandbox.inject(Fault(kind="status", method="GET", status=429, retry_after=30))
    mcp = server(sandbox, Pacer(60, 60.0, clock=clock, sleep=clock.sleep), deadline_s=5.0)
    async with Client(mcp) as c:
        r = await c.call_tool("list_serial_numbers", MO)
    assert r.is_error
    assert re.sub(r"\b\d\d:\d\d:\d\d UTC\b", "<time>", text(r)) == (
        "Error executing tool list_serial_numbers: Katana's rate limit for this key is used "
        "up (this server paces itself to 60 requests per minute), and Katana asked to wait "
        "about 30 seconds, longer than the 5 seconds this call had left. Katana refused the "
        "request, so nothing was changed. Wait about 30 seconds (until <time>) and try again.\n"
        "(Katana answered 429 TooManyRequests: Too Many Requests)")
    assert len(sandbox.requests) == 1


async def test_429s_until_the_deadline_say_the_time_ran_out() -> None:
    sandbox = Sandbox()
    sandbox.inject(Fault(kind="status", method="GET", status=429, count=10**6))  # no Retry-After
    mcp = server(sandbox, Pacer(1000, 60.0), deadline_s=0.3)
    async with Client(mcp) as c:
        r = await c.call_tool("list_serial_numbers", MO)
    assert r.is_error
    first, _, katana = re.sub(r"\b\d\d:\d\d:\d\d UTC\b", "<time>", text(r)).partition("\n")
    assert first == (
        "Error executing tool list_serial_numbers: Katana's rate limit for this key is used "
        "up (this server paces itself to 60 requests per minute): Katana refused the request "
        "each time it was sent, waiting between sends as it asked, until this call's time ran "
        "out, so nothing was changed. Try again in a minute (after <time>).")
    sends = len(sandbox.requests)
    assert sends > 4  # not a fixed count of attempts
    assert katana == f"(Katana answered 429 TooManyRequests: Too Many Requests (sent {sends} times))"


async def test_a_long_retry_after_within_the_deadline_is_waited_out() -> None:
    """90 s asked, 120 s left: waited, not refused (the deadline is the bound)."""
    clock = VirtualTime()
    sandbox = Sandbox(SandboxConfig(clock=clock))
    clock.sandbox = sandbox
    sandbox.inject(Fault(kind="status", method="GET", status=429, retry_after=90))
    mcp = server(sandbox, Pacer(60, 60.0, max_gate_s=300, clock=clock, sleep=clock.sleep),
                 deadline_s=120.0)
    async with Client(mcp) as c:
        r = await c.call_tool("list_serial_numbers", MO)
    assert not r.is_error, text(r)
    assert clock.sleeps == [(90.0, 1)]
