"""Result bytes per tool at n = 3 / 100 / 1,000 / 10,000, beside the budget: everything
the host receives (all content blocks + structuredContent), through a real MCP client
against the sandbox. Deterministic: the same inputs give the same bytes."""

from __future__ import annotations

import random
from typing import Any

import anyio
from mcp import Client

from katana_sn_mcp.journal import Journal
from katana_sn_mcp.katana.pacing import Pacer
from katana_sn_mcp.present.budget import RESULT_BYTES, SMALL_RESULT_BYTES, result_bytes
from katana_sn_mcp.runtime import sandbox_factory
from katana_sn_mcp.sandbox import Sandbox
from katana_sn_mcp.server import build_server
from katana_sn_mcp.settings import Settings


def _serials(n: int) -> list[str]:
    rng = random.Random(n)  # scattered strings: no runs to compress, the worst case
    return [f"Z{rng.randrange(10**12):012d}-{i}" for i in range(n)]


async def _row(n: int) -> dict[str, Any]:
    sandbox = Sandbox()
    server = build_server(sandbox_factory(sandbox, Settings(), pacer=Pacer(10**6, 60.0)),
                          Journal(None))
    serials = _serials(n)
    mo = {"resource_type": "ManufacturingOrder", "resource_id": 1003}
    out: dict[str, Any] = {"n": n}
    async with Client(server) as c:
        out["mint"] = result_bytes(await c.call_tool("create_serial_numbers",
                                               {**mo, "serial_numbers": serials}))
        out["re-mint (all DUPLICATE)"] = result_bytes(await c.call_tool(
            "create_serial_numbers", {**mo, "serial_numbers": serials}))
        out["transfer, verify=false"] = result_bytes(await c.call_tool("create_serial_numbers", {
            "resource_type": "SalesOrderRow", "resource_id": 3001, "serial_numbers": serials,
            "verify": False}))
        out["verify (all absent)"] = result_bytes(await c.call_tool("verify_serial_numbers", {
            **mo, "expect_attached": serials}))
        out["list (default page)"] = result_bytes(await c.call_tool("list_serial_numbers", {
            "resource_type": "SalesOrderRow", "resource_id": 3001}))
        ids = [r.id for r in sandbox.serials_on("SalesOrderRow", 3001)]
        out["delete"] = result_bytes(await c.call_tool("delete_serial_numbers", {
            "resource_type": "SalesOrderRow", "resource_id": 3001, "ids": ids,
            "confirm": True}))
    out["largest"] = max(v for k, v in out.items() if k != "n")
    out["bytes_per_item"] = round(out["largest"] / n, 2)
    out["budget"] = SMALL_RESULT_BYTES if n <= 3 else RESULT_BYTES
    return out


def result_sizes(sizes: list[int]) -> list[dict[str, Any]]:
    return [anyio.run(_row, n) for n in sizes]


if __name__ == "__main__":
    import logging

    logging.disable(logging.INFO)
    for row in result_sizes([3, 100, 1000, 10_000]):
        print(row)
