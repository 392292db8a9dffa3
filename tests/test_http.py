"""Streamable HTTP: the real app under uvicorn on loopback, driven by real HTTP clients."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from katana_sn_mcp.http import http_app
from katana_sn_mcp.journal import Journal
from katana_sn_mcp.runtime import sandbox_factory
from katana_sn_mcp.sandbox import Sandbox
from katana_sn_mcp.server import build_server
from katana_sn_mcp.settings import Settings

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[1]
TOKEN = "team-token-0123456789abcdef"


@dataclass
class Running:
    url: str
    sandbox: Sandbox
    clients_made: list[int]


@pytest.fixture
def running() -> Iterator[Running]:
    from katana_sn_mcp.http import auth_for

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sandbox = Sandbox()
    made: list[int] = []
    factory = sandbox_factory(sandbox, Settings())

    def counting():  # type: ignore[no-untyped-def]
        made.append(1)
        return factory()

    server = build_server(counting, Journal(None), auth=auth_for(TOKEN, "127.0.0.1", port))
    uv = uvicorn.Server(uvicorn.Config(http_app(server, "127.0.0.1"), host="127.0.0.1",
                                       port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert uv.started
    yield Running(f"http://127.0.0.1:{port}", sandbox, made)
    uv.should_exit = True
    thread.join(timeout=15)


def client_for(url: str, era: str, token: str = TOKEN) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"},
                              timeout=httpx2.Timeout(30))
    return Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=era)


async def test_health_is_open_and_reveals_nothing_secret(running: Running) -> None:
    async with httpx.AsyncClient() as http:
        r = await http.get(f"{running.url}/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert TOKEN not in r.text and running.sandbox.config.api_key not in r.text


@pytest.mark.parametrize("auth", [None, "Bearer wrong-token", f"Basic {TOKEN}"])
async def test_missing_or_wrong_token_is_401(running: Running, auth: str | None) -> None:
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if auth:
        headers["Authorization"] = auth
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{running.url}/mcp", headers=headers, json={
            "jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})
    assert r.status_code == 401
    assert running.sandbox.requests == []


async def test_wrong_host_header_is_refused(running: Running) -> None:
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{running.url}/mcp", json={"jsonrpc": "2.0", "id": 1,
                                                        "method": "tools/list", "params": {}},
                            headers={"Host": "evil.example:80", "Authorization": f"Bearer {TOKEN}",
                                     "Accept": "application/json, text/event-stream"})
    assert r.status_code == 421


async def test_right_token_tools_work_and_sessions_share_one_katana_client(
    running: Running, era: str
) -> None:
    async def session(resource_id: int, out: list) -> None:
        async with client_for(running.url, era) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            r = await client.call_tool("list_serial_numbers", {"resource_id": resource_id})
            out.append((tools, r))

    results: list = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(session, 1001, results)
        tg.start_soon(session, 2001, results)
    assert len(results) == 2
    for tools, r in results:
        assert "delete_serial_numbers" in tools
        assert not r.is_error
    assert sorted(r.structured_content["count"] for _, r in results) == [2, 5]
    assert running.clients_made == [1]  # one lifespan, one KatanaClient, one pacer


def test_non_local_bind_without_a_token_is_refused() -> None:
    env = {k: v for k, v in os.environ.items() if k != "KATANA_SN_MCP_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-m", "katana_sn_mcp", "--sandbox", "--http",
                           "--host", "0.0.0.0", "--port", "1"], env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert "KATANA_SN_MCP_TOKEN" in proc.stderr and "Refusing to listen on 0.0.0.0" in proc.stderr
