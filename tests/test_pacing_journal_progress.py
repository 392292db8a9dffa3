"""The process-wide pacer, the write journal and progress reporting."""

from __future__ import annotations

import json

import anyio
import httpx
import pytest

from katana_sn_mcp.journal import row
from katana_sn_mcp.katana.client import RetryPolicy
from katana_sn_mcp.katana.pacing import Pacer
from katana_sn_mcp.runtime import SANDBOX_BASE_URL, client_factory
from katana_sn_mcp.sandbox import Sandbox, SandboxConfig
from katana_sn_mcp.settings import Settings
from tests.conftest import make_harness

pytestmark = pytest.mark.anyio


async def test_a_burst_of_150_calls_never_lets_a_429_reach_the_caller(tmp_path) -> None:
    # Katana's 60 requests / 60 s, scaled down to 60 / 0.6 s on both sides.
    h = make_harness(tmp_path, rate_limit=60, rate_window=0.6, pacer=Pacer(60, 0.6))
    results = []
    async with h.client() as client:
        async def one(i: int) -> None:
            results.append(await client.call_tool("list_serial_numbers", {
                "resource_type": "ManufacturingOrder", "resource_id": 1001 + i % 3}))

        async with anyio.create_task_group() as tg:
            for i in range(150):
                tg.start_soon(one, i)
    assert len(results) == 150
    assert not any(r.is_error for r in results)
    assert h.sandbox.rate_limited == 0
    assert len(h.sandbox.requests) == 150


class SlowNetwork(httpx.AsyncBaseTransport):
    """The network between us and Katana: request n takes `transit[n]` s to arrive. It
    drops Katana's X-Ratelimit-* headers, so only the pacer's own count stands between a
    request and a 429 (with them, Katana's Reset would also hold the second request)."""

    def __init__(self, app: Sandbox, transit: list[float]) -> None:
        self.inner, self.transit = httpx.ASGITransport(app=app), transit

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.transit:
            await anyio.sleep(self.transit.pop(0))
        response = await self.inner.handle_async_request(request)
        for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
            response.headers.pop(name, None)
        return response


async def test_a_request_slow_to_reach_katana_keeps_its_place_until_its_answer() -> None:
    """1 request per 1 s. The first takes 0.4 s to reach Katana. Counted from when it
    left, the second would leave 1 s after it, while Katana still counts the first (a
    429); counted until the first's answer came back, the second waits."""
    sandbox = Sandbox(SandboxConfig(rate_limit=1, rate_window=1.0))
    make = client_factory(Settings(), transport=SlowNetwork(sandbox, [0.4]),
                          api_key=sandbox.config.api_key, base_url=SANDBOX_BASE_URL,
                          pacer=Pacer(1, 1.0), retry=RetryPolicy(attempts=1))
    client = make()
    for _ in range(2):
        await client.list_page(resource_type="ManufacturingOrder", resource_id=1001)
    await client.aclose()
    assert [r.status for r in sandbox.requests] == [200, 200]
    assert sandbox.rate_limited == 0


async def test_pacer_follows_katanas_remaining_and_reset_headers() -> None:
    now = 1_785_744_000.0
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        nonlocal now
        slept.append(seconds)
        now += seconds

    pacer = Pacer(1000, 60, clock=lambda: now, sleep=sleep)
    pacer.observe({"x-ratelimit-remaining": "5", "x-ratelimit-reset": str(int((now + 9) * 1000))})
    await pacer.acquire()
    assert slept == []  # budget left: no wait
    pacer.observe({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int((now + 9) * 1000))})
    await pacer.acquire()
    assert slept == [pytest.approx(9.0)]  # spent: wait until Reset (epoch milliseconds)
    fresh = Pacer(1000, 60, clock=lambda: now, sleep=sleep)
    fresh.observe({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(now - 60_000))})
    await fresh.acquire()
    assert len(slept) == 1  # a Reset in seconds reads as long past: ignored
    fresh.hold_for(600)
    await fresh.acquire()
    assert slept[-1] == 120  # Retry-After holds everyone, capped


async def test_every_write_is_journalled_as_json_without_the_key(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era, api_key="sk-journal-secret-42")
    await h.call("create_serial_numbers", {"resource_type": "ManufacturingOrder",
                                           "resource_id": 1003, "serial_numbers": ["J-1"]})
    jid = h.sandbox.find("J-1").id
    await h.call("delete_serial_numbers", {"resource_type": "ManufacturingOrder",
                                           "resource_id": 1003, "ids": [jid], "confirm": True})
    await h.call("create_serial_numbers", {"resource_type": "ManufacturingOrder",
                                           "resource_id": 999, "serial_numbers": ["J-2"]})
    raw = h.journal_path.read_text()
    assert "sk-journal-secret-42" not in raw
    lines = [json.loads(line) for line in raw.splitlines()]
    outcomes = [e for e in lines if e["phase"] == "outcome"]
    assert [(e["tool"], e["outcome"]) for e in outcomes] == [
        ("create_serial_numbers", "applied"), ("delete_serial_numbers", "applied"),
        ("create_serial_numbers", "not_applied")]
    assert [e["katana_answer"].split(":")[0] for e in outcomes] == [
        "Katana answered 200", "Katana answered 204", "Katana answered 422 UnprocessableEntityError"]
    assert outcomes[1]["items"] == [{"id": jid, "state": "removed", "serial_number": "J-1"}]
    async with h.client() as client:
        res = await client.read_resource("katana://journal/recent")
    shown = json.loads(res.contents[0].text)
    assert shown["rows"] == [list(row(line).values()) for line in lines]


async def test_a_torn_last_line_does_not_hide_earlier_entries(tmp_path) -> None:
    h = make_harness(tmp_path)
    await h.call("create_serial_numbers", {"resource_type": "ManufacturingOrder",
                                           "resource_id": 1003, "serial_numbers": ["T-1"]})
    with h.journal_path.open("a") as fh:
        fh.write('{"time": "2026-11-24T10:00:00", "tool": "crea')  # a crash mid-write
    async with h.client() as client:
        res = await client.read_resource("katana://journal/recent")
    assert len(json.loads(res.contents[0].text)["rows"]) == 2  # the write's intent + outcome


async def test_long_listings_report_progress_when_asked(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    h.sandbox.mint("ManufacturingOrder", 1003, [f"P-{i}" for i in range(600)])
    seen: list[tuple[float, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, message))

    async with h.client() as client:
        r = await client.call_tool("verify_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1003,
            "expect_attached": ["P-1"]}, progress_callback=on_progress)
    assert r.structured_content["on_resource"] == 600
    assert [p for p, _ in seen] == [1, 2, 3]
    assert "600 rows read" in (seen[-1][1] or "")


async def test_the_gate_is_read_again_after_sleeping() -> None:
    now = 1_785_744_000.0
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        nonlocal now
        slept.append(seconds)
        now += seconds
        if len(slept) == 1:  # meanwhile another call saw Katana ask for 5 s more
            pacer.hold_for(5)

    pacer = Pacer(1000, 60, clock=lambda: now, sleep=sleep)
    pacer.hold_for(3)
    await pacer.acquire()
    assert slept == [3, 5]
