"""Benchmark scenarios that need the sandbox: call overhead, HTTP economy, burst, scale."""

from __future__ import annotations

import math
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
from mcp import Client, StdioServerParameters

from bench.replicas import free_port
from katana_sn_mcp.journal import Journal
from katana_sn_mcp.katana.pacing import Pacer
from katana_sn_mcp.runtime import sandbox_factory
from katana_sn_mcp.sandbox import Sandbox, SandboxConfig
from katana_sn_mcp.server import build_server
from katana_sn_mcp.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
UNLIMITED = 10**9


class LoopbackKatana:
    """The sandbox app under a real HTTP server (uvicorn) on 127.0.0.1, in a child process."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> str:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "sandbox_server.py"),
                                      str(self.port)], env=env)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}/v1"

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=10)


def call_overhead(n: int) -> dict[str, Any]:
    with LoopbackKatana() as base_url:
        env = {"KATANA_API_KEY": SandboxConfig().api_key, "KATANA_BASE_URL": base_url,
               "KATANA_RATE_LIMIT": "10000", "PYTHONPATH": str(ROOT),
               "PATH": os.environ.get("PATH", "")}
        params = StdioServerParameters(command=sys.executable,
                                       args=["-m", "katana_sn_mcp", "--no-journal"], env=env)
        args = {"resource_type": "ManufacturingOrder", "resource_id": 1001, "limit": 250}
        query = {"resource_type": "ManufacturingOrder", "resource_id": 1001, "limit": 250,
                 "page": 1}

        async def run() -> tuple[list[float], list[float]]:
            tool, direct = [], []
            headers = {"Authorization": f"Bearer {SandboxConfig().api_key}"}
            async with Client(params) as client, httpx.AsyncClient(headers=headers) as http:
                for _ in range(3):  # warm both paths
                    await client.call_tool("list_serial_numbers", args)
                    await http.get(f"{base_url}/serial_numbers", params=query)
                for _ in range(n):
                    t = time.perf_counter()
                    r = await client.call_tool("list_serial_numbers", args)
                    tool.append(time.perf_counter() - t)
                    assert not r.is_error
                    t = time.perf_counter()
                    (await http.get(f"{base_url}/serial_numbers", params=query)).raise_for_status()
                    direct.append(time.perf_counter() - t)
            return tool, direct

        tool, direct = anyio.run(run)
    echo = _echo_floor(n)
    t, d = statistics.median(tool), statistics.median(direct)
    # The floor of a tool that makes one GET is the SDK's own stdio round trip (the echo
    # tool) plus that GET; ratio_to_floor is what this server adds on top of both.
    return {"calls": n, "tool_median_ms": round(t * 1000, 2),
            "direct_httpx_median_ms": round(d * 1000, 2), "ratio_to_get": round(t / d, 2),
            "sdk_echo_over_stdio_ms": round(echo * 1000, 2),
            "ratio_to_floor": round(t / (echo + d), 2)}


def _echo_floor(n: int) -> float:
    """What any MCP tool call over stdio costs: the bare SDK server's echo tool."""
    params = StdioServerParameters(command=sys.executable,
                                   args=[str(ROOT / "bench" / "floor_server.py")],
                                   env={"PATH": os.environ.get("PATH", "")})

    async def run() -> float:
        async with Client(params) as client:
            for _ in range(3):
                await client.call_tool("echo", {"text": "x"})
            times = []
            for _ in range(n):
                t = time.perf_counter()
                await client.call_tool("echo", {"text": "x"})
                times.append(time.perf_counter() - t)
        return statistics.median(times)

    return anyio.run(run)


def _pages(n: int) -> int:
    return max(1, math.ceil(n / 250))


def economy(sizes: list[int]) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        sandbox = Sandbox(SandboxConfig(rate_limit=UNLIMITED))
        ids = sandbox.mint("ManufacturingOrder", 1003, [f"E-{i:06d}" for i in range(n)])
        sandbox.mint("SalesOrderRow", 3001, [f"S-{i:06d}" for i in range(n)])
        server = build_server(sandbox_factory(sandbox, Settings()), Journal(None))
        ops = [
            ("create (mint 1)", "create_serial_numbers", {"resource_type": "PurchaseOrderRow",
             "resource_id": 2001, "serial_numbers": ["E-NEW"]}, 1),
            ("create + verification (transfer 1)", "create_serial_numbers",
             {"resource_type": "SalesOrderRow", "resource_id": 3001,
              "serial_numbers": ["SN-1001-001"]}, 1 + _pages(n + 1)),
            ("verified delete (1 id)", "delete_serial_numbers",
             {"resource_type": "ManufacturingOrder", "resource_id": 1003, "ids": ids[:1],
              "confirm": True}, 1 + _pages(n) + _pages(n - 1)),
            ("verify", "verify_serial_numbers", {"resource_type": "ManufacturingOrder",
             "resource_id": 1003, "expect_attached": ["E-000001"]}, _pages(n - 1)),
        ]

        async def run(ops: list = ops, server: Any = server, sandbox: Sandbox = sandbox,
                      n: int = n) -> None:
            async with Client(server) as client:
                for label, tool, args, floor in ops:
                    before = len(sandbox.requests)
                    r = await client.call_tool(tool, args)
                    assert not r.is_error, r.content
                    rows.append({"serials": n, "operation": label,
                                 "requests": len(sandbox.requests) - before, "floor": floor})

        anyio.run(run)
    return rows


def burst(calls: int, window_s: float) -> dict[str, Any]:
    sandbox = Sandbox(SandboxConfig(rate_limit=60, rate_window=window_s))
    server = build_server(sandbox_factory(sandbox, Settings(), pacer=Pacer(60, window_s)),
                          Journal(None))
    results: list[Any] = []

    async def run() -> float:
        start = time.perf_counter()
        async with Client(server) as client:
            async def one(i: int) -> None:
                results.append(await client.call_tool("list_serial_numbers", {
                    "resource_type": "ManufacturingOrder", "resource_id": 1001 + i % 3,
                    "limit": 250}))

            async with anyio.create_task_group() as tg:
                for i in range(calls):
                    tg.start_soon(one, i)
        return time.perf_counter() - start

    elapsed = anyio.run(run)
    budget = 60 * (int(elapsed / window_s) + 1)  # the most a sliding window admits in elapsed
    return {"calls": calls, "completed": sum(not r.is_error for r in results),
            "429s_seen_by_callers": sum(r.is_error and "429" in str(r.content) for r in results),
            "429s_sent_by_katana": sandbox.rate_limited, "requests": len(sandbox.requests),
            "window_s": window_s, "elapsed_s": round(elapsed, 2),
            "budget_used": round(len(sandbox.requests) / budget, 2)}


def scale(n: int) -> dict[str, Any]:
    sandbox = Sandbox(SandboxConfig(rate_limit=UNLIMITED))
    server = build_server(sandbox_factory(sandbox, Settings()), Journal(None))
    serials = [f"BULK-{i:06d}" for i in range(n)]
    out: dict[str, Any] = {"serials": n}

    async def run() -> None:
        async with Client(server) as client:
            for label, tool, args in [
                ("mint", "create_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                   "resource_id": 1003, "serial_numbers": serials}),
                ("verify", "verify_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                     "resource_id": 1003,
                                                     "expect_attached": serials}),
            ]:
                sandbox_before, t = sandbox.handler_seconds, time.perf_counter()
                r = await client.call_tool(tool, args)
                total = time.perf_counter() - t
                assert not r.is_error, r.content
                katana = sandbox.handler_seconds - sandbox_before
                out[f"{label}_total_s"] = round(total, 3)
                out[f"{label}_sandbox_s"] = round(katana, 3)
                out[f"{label}_server_side_s"] = round(total - katana, 3)

    anyio.run(run)
    return out
