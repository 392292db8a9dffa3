"""Shared test harness: a sandbox Katana, the real server over it, and a real MCP Client.

Everything runs through production code: the MCP Client talks to the server in memory,
the server's KatanaClient talks HTTP (httpx) to the sandbox over an ASGI transport.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult

from katana_sn_mcp.journal import Journal
from katana_sn_mcp.katana.client import RetryPolicy
from katana_sn_mcp.katana.pacing import Pacer
from katana_sn_mcp.present.budget import result_bytes
from katana_sn_mcp.runtime import sandbox_factory
from katana_sn_mcp.sandbox import Sandbox, SandboxConfig
from katana_sn_mcp.server import build_server
from katana_sn_mcp.settings import Settings

# Every tool a host must see in tools/list (the README's table is checked against it too).
TOOL_NAMES = {"create_serial_numbers", "delete_serial_numbers", "list_serial_numbers",
              "verify_serial_numbers", "find_serial_numbers"}
FAST_RETRY = RetryPolicy(attempts=4, backoff_initial=0.001, backoff_max=0.01, max_retry_after=2)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["auto", "legacy"])
def era(request: pytest.FixtureRequest) -> str:
    """Both MCP protocol eras: 2026-07-28 ("auto" lands there) and 2025-11-25 ("legacy")."""
    return request.param


@pytest.fixture(params=["seeds", "current"])
def katana_mode(request: pytest.FixtureRequest) -> str:
    """Both eras of Katana's behaviour, as the sandbox models them."""
    return request.param


@dataclass
class Harness:
    sandbox: Sandbox
    server: MCPServer
    journal_path: Path
    era: str = "auto"
    elicitation: Callable[..., Any] | None = None
    calls: list[CallToolResult] = field(default_factory=list)

    @asynccontextmanager
    async def client(self, **kw: Any) -> AsyncIterator[Client]:
        if self.elicitation is not None:
            kw.setdefault("elicitation_callback", self.elicitation)
        async with Client(self.server, mode=self.era, **kw) as c:
            yield c

    async def call(self, tool: str, args: dict[str, Any], **kw: Any) -> CallToolResult:
        async with self.client(**kw) as c:
            result = await c.call_tool(tool, args)
        self.calls.append(result)
        return result

    def katana_requests(self) -> int:
        return len(self.sandbox.requests)


def no_wait_pacer() -> Pacer:
    """Katana's 60-a-minute budget, but a Retry-After gate (a 1-second fault) is not slept
    on the wall clock: the sleep is recorded instead, and the pacer's clock moves on by it
    (so one wait is one recorded sleep, as on the wall clock)."""
    import time

    ahead = [0.0]

    async def record(seconds: float) -> None:
        SLEPT.append(seconds)
        ahead[0] += seconds

    return Pacer(60, 60.0, sleep=record, clock=lambda: time.time() + ahead[0])


SLEPT: list[float] = []


def make_harness(tmp_path: Path, era: str = "auto", mode: str = "seeds",
                 retry: RetryPolicy = FAST_RETRY, pacer: Pacer | None = None,
                 **config: Any) -> Harness:
    sandbox = Sandbox(SandboxConfig(mode=mode, **config))  # type: ignore[arg-type]
    journal_path = tmp_path / "journal.jsonl"
    factory = sandbox_factory(sandbox, Settings(), retry=retry, pacer=pacer or no_wait_pacer())
    server = build_server(factory, Journal(journal_path))
    return Harness(sandbox=sandbox, server=server, journal_path=journal_path, era=era)


@pytest.fixture
def harness(tmp_path: Path, era: str, katana_mode: str) -> Harness:
    return make_harness(tmp_path, era=era, mode=katana_mode)


def text(result: CallToolResult) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)


def whole(result: CallToolResult) -> dict[str, Any]:
    """Everything a host receives from one call, with the random result id, the clock time
    and signed cursors (their key is random per process) replaced, for whole-result
    snapshots."""
    import re

    raw = json.dumps({"is_error": result.is_error,
                      "content": [c.model_dump(mode="json", exclude_none=True) for c in result.content],
                      "structured": result.structured_content}, ensure_ascii=False)
    raw = re.sub(r"\b[0-9a-f]{12}\b", "<id>", raw)
    raw = re.sub(r"\b\d\d:\d\d:\d\d UTC\b", "<time>", raw)
    raw = re.sub(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{22}\b", "<cursor>", raw)  # signed: random key
    out = json.loads(raw)
    out["text"] = "\n".join(c.get("text", "") for c in out.pop("content") if c["type"] == "text")
    return out


size = result_bytes  # bytes the host receives: every content block and the structured content


async def walk(h: Harness, args: dict[str, Any], between: Any = None) -> list[dict[str, Any]]:
    """Every page of a listing, following next_cursor to the end; `between(pages_so_far)`
    runs after each page but the last (someone else changing the listing meanwhile)."""
    pages: list[dict[str, Any]] = []
    cursor = None
    async with h.client() as client:
        while True:
            r = await client.call_tool("list_serial_numbers",
                                       {**args, **({"cursor": cursor} if cursor else {})})
            assert not r.is_error, text(r)
            pages.append(r.structured_content)
            if not (cursor := r.structured_content.get("next_cursor")):
                return pages
            if between is not None:
                between(len(pages))
