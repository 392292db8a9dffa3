"""Two in-process replicas (two servers) over one sandbox Katana and one real Redis: writes
to one resource never overlap, and one journal answers for both — including a write one
replica left half-done, which the other settles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from katana_sn_mcp.journal import Journal
from katana_sn_mcp.runtime import make_shared_state, sandbox_factory
from katana_sn_mcp.sandbox import Fault, Sandbox
from katana_sn_mcp.server import build_server
from katana_sn_mcp.settings import Settings
from tests.conftest import no_wait_pacer
from tests.test_redis_state import RedisServer, redis_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.anyio


def replica(sandbox: Sandbox, url: str, tmp: Path, name: str,
            **options: Any) -> tuple[Any, Journal]:
    settings = Settings(katana_sn_mcp_redis_url=url)  # type: ignore[call-arg]
    _, locks, results, stream = make_shared_state(settings, sandbox.config.api_key)
    journal = Journal(tmp / f"{name}.jsonl", katana="sandbox", stream=stream)
    server = build_server(sandbox_factory(sandbox, settings, pacer=no_wait_pacer()), journal,
                          locks=locks, results=results, **options)
    return server, journal


async def test_two_replicas_deleting_one_id_never_both_claim_it(
    tmp_path: Path, redis_server: RedisServer  # noqa: F811
) -> None:
    sandbox = Sandbox()
    a, _ = replica(sandbox, redis_server.url, tmp_path, "a")
    b, _ = replica(sandbox, redis_server.url, tmp_path, "b")
    target = sandbox.find("SN-1001-001").id
    sandbox.inject(Fault(kind="delay", method="DELETE", delay=0.05, count=2))  # slow deletes
    results: list[Any] = []

    async def delete(server: Any) -> None:
        async with Client(server) as c:
            results.append(await c.call_tool("delete_serial_numbers", {
                "resource_type": "ManufacturingOrder", "resource_id": 1001, "ids": [target],
                "confirm": True}))

    async def mint(server: Any, serial: str) -> None:
        async with Client(server) as c:
            results.append(await c.call_tool("create_serial_numbers", {
                "resource_type": "ManufacturingOrder", "resource_id": 1001,
                "serial_numbers": [serial]}))

    async with anyio.create_task_group() as tg:
        tg.start_soon(delete, a)
        tg.start_soon(delete, b)
        tg.start_soon(mint, a, "REP-A")
        tg.start_soon(mint, b, "REP-B")
    claims = [r.structured_content.get("removed") for r in results
              if "requested" in r.structured_content and "operation" not in r.structured_content]
    assert sorted(map(bool, claims)) == [False, True]
    assert sum(q.method == "DELETE" for q in sandbox.requests) == 1
    on = {s.serial_number for s in sandbox.serials_on("ManufacturingOrder", 1001)}
    assert {"REP-A", "REP-B"} <= on and "SN-1001-001" not in on


async def test_one_journal_for_both_and_a_half_done_write_is_settled_by_the_other(
    tmp_path: Path, redis_server: RedisServer  # noqa: F811
) -> None:
    sandbox = Sandbox()
    quick = {"deadline_s": 0.2, "request_timeout_s": 0.2}  # a call lasts 0.4 s at most
    a, journal_a = replica(sandbox, redis_server.url, tmp_path, "a", **quick)
    b, journal_b = replica(sandbox, redis_server.url, tmp_path, "b", **quick)
    async with Client(a) as c:
        await c.call_tool("create_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                    "resource_id": 1003,
                                                    "serial_numbers": ["ONE-1"]})
    assert [e["phase"] for e in journal_b.recent()] == ["intent", "outcome"]  # A's, seen by B
    # replica A dies between its intent and the POST's outcome: only the intent remains
    journal_a.intent("create_serial_numbers", {"resource_type": "ManufacturingOrder",
                                               "resource_id": 1003, "serial_numbers": ["ONE-1"]})
    async with Client(b) as c:  # at once: A's call may still be running, so B leaves it
        await c.list_tools()
    assert journal_a.recent()[-1]["phase"] == "intent"
    await anyio.sleep(0.5)  # no call can still be running it now
    async with Client(b) as c:  # B's start settles it by re-reading the resource
        await c.list_tools()
    last = journal_a.recent()[-1]
    assert last["phase"] == "reconciled" and last["on_resource_now"] == ["ONE-1"]
