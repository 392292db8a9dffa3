"""Writes of ours racing each other through the server: one account-wide write lock
orders them, so no before/after comparison is confused by another write of ours
(in one process, and across replicas sharing a real Redis)."""

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
from tests.conftest import make_harness, no_wait_pacer
from tests.test_redis_state import RedisServer, redis_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.anyio
SERIAL = "SN-1001-001"


async def _race(sandbox: Sandbox, deleter: Any, mover: Any, other_tool: str,
                other_args: dict[str, Any]) -> tuple[Any, Any]:
    """A delete of SERIAL's id from MO 1001 (its DELETE held 0.4 s in the sandbox), and,
    once that DELETE has reached the sandbox, another write touching SERIAL."""
    target = sandbox.find(SERIAL).id  # type: ignore[union-attr]
    sandbox.inject(Fault(kind="delay", method="DELETE", delay=0.4))
    out: dict[str, Any] = {}

    async def delete() -> None:
        async with Client(deleter) as c:
            out["delete"] = await c.call_tool("delete_serial_numbers", {
                "resource_type": "ManufacturingOrder", "resource_id": 1001, "ids": [target],
                "confirm": True})

    async def other() -> None:
        with anyio.fail_after(10):
            while not any(r.method == "DELETE" for r in sandbox.requests):
                await anyio.sleep(0.005)
        async with Client(mover) as c:
            out["other"] = await c.call_tool(other_tool, other_args)

    async with anyio.create_task_group() as tg:
        tg.start_soon(delete)
        tg.start_soon(other)
    return out["delete"], out["other"]


def _claims_removed(result: Any) -> bool:
    structured = result.structured_content or {}
    return bool((structured.get("removed") or {}).get("count"))


TRANSFER = {"resource_type": "SalesOrderRow", "resource_id": 3001, "serial_numbers": [SERIAL]}


async def test_a_delete_never_claims_removed_an_id_our_concurrent_transfer_moved(
        tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    deleted, moved = await _race(h.sandbox, h.server, h.server, "create_serial_numbers",
                                 TRANSFER)
    # the transfer waited for the delete: the id really left, and the transfer found the
    # string nowhere (it moved nothing, and says so)
    assert not deleted.is_error and _claims_removed(deleted)
    assert h.sandbox.find(SERIAL) is None
    assert (moved.structured_content or {})["not_applied"][0]["reason"] == "MISSING"


async def test_a_create_and_a_delete_racing_on_one_serial_are_ordered(tmp_path: Path) -> None:
    """A mint of the string the delete removes: minted only after the delete ended, so the
    delete's claim and the mint's claim are both true of the end state."""
    h = make_harness(tmp_path)
    deleted, minted = await _race(h.sandbox, h.server, h.server, "create_serial_numbers", {
        "resource_type": "ManufacturingOrder", "resource_id": 1002, "serial_numbers": [SERIAL]})
    assert _claims_removed(deleted)
    assert (minted.structured_content or {})["applied"]["count"] == 1
    again = h.sandbox.find(SERIAL)
    assert again is not None and (again.resource_type, again.resource_id) == (
        "ManufacturingOrder", 1002)
    # the mint's POST reached Katana after the DELETE's answer
    methods = [r.method for r in h.sandbox.requests if r.method != "GET"]
    assert methods == ["DELETE", "POST"]


async def test_across_replicas_a_delete_never_claims_removed_what_a_transfer_moved(
        tmp_path: Path, redis_server: RedisServer) -> None:  # noqa: F811
    sandbox = Sandbox()
    servers = []
    for name in ("a", "b"):
        settings = Settings(katana_sn_mcp_redis_url=redis_server.url)  # type: ignore[call-arg]
        _, locks, results, stream = make_shared_state(settings, sandbox.config.api_key)
        servers.append(build_server(
            sandbox_factory(sandbox, settings, pacer=no_wait_pacer()),
            Journal(tmp_path / f"{name}.jsonl", katana="sandbox", stream=stream),
            locks=locks, results=results))
    deleted, moved = await _race(sandbox, servers[0], servers[1], "create_serial_numbers",
                                 TRANSFER)
    assert not deleted.is_error and _claims_removed(deleted)
    assert sandbox.find(SERIAL) is None
    assert (moved.structured_content or {})["not_applied"][0]["reason"] == "MISSING"


async def test_a_write_waiting_too_long_for_another_resource_s_write_is_not_sent(
        tmp_path: Path) -> None:
    from katana_sn_mcp.state.memory import MemoryLocks

    sandbox = Sandbox()
    locks = MemoryLocks(wait_s=0.05)
    mcp = build_server(sandbox_factory(sandbox, Settings(), pacer=no_wait_pacer()),
                       Journal(tmp_path / "j.jsonl"), locks=locks)
    held, done = anyio.Event(), anyio.Event()

    async def another_write() -> None:  # on another resource, still running
        async with locks.hold("SalesOrderRow:3001"):
            held.set()
            await done.wait()

    async with anyio.create_task_group() as tg:
        tg.start_soon(another_write)
        await held.wait()
        async with Client(mcp) as c:
            r = await c.call_tool("create_serial_numbers", {
                "resource_type": "ManufacturingOrder", "resource_id": 1003,
                "serial_numbers": ["LOCKED-1"]})
        done.set()
    assert r.is_error and sandbox.requests == []
    assert [getattr(b, "text", "") for b in r.content] == [
        "Error executing tool create_serial_numbers: Another write through this server has "
        "been running for too long (its writes go one at a time), so this one to "
        "ManufacturingOrder 1003 was not sent. Nothing was changed. Try again shortly."]
