"""The README's team command, run as a process: `serve --http --host 0.0.0.0` with a token.

It used to start, answer /health, and refuse every MCP request with 421, silently.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[1]
TOKEN = "readme-token-" + "ab" * 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def team_server() -> Iterator[tuple[int, str]]:
    """Yields (port, the start-up line the server printed on stderr)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "KATANA_SN_MCP_ALLOWED_HOSTS"}
    env.update(PYTHONPATH=str(ROOT), KATANA_SN_MCP_TOKEN=TOKEN)
    proc = subprocess.Popen(
        [sys.executable, "-m", "katana_sn_mcp", "serve", "--sandbox", "--no-journal", "--http",
         "--host", "0.0.0.0", "--port", str(port)],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    lines: queue.Queue[str] = queue.Queue()
    stderr = proc.stderr
    assert stderr is not None

    def pump() -> None:
        for line in stderr:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        announced, seen = "", []
        deadline = time.monotonic() + 30
        while not announced and time.monotonic() < deadline and proc.poll() is None:
            try:
                seen.append(lines.get(timeout=0.2))
            except queue.Empty:
                continue
            announced = next((ln for ln in seen if "serving MCP on" in ln), "")
        assert announced, f"no start-up line; stderr so far: {seen}"
        while time.monotonic() < deadline:  # the line comes just before uvicorn listens
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield port, announced
    finally:
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert out == ""  # stdout stays unused over HTTP too


async def test_readme_team_command_serves_mcp_and_says_where(
    team_server: tuple[int, str],
) -> None:
    port, announced = team_server
    assert f":{port}/mcp" in announced and "localhost" in announced
    assert "KATANA_SN_MCP_ALLOWED_HOSTS" in announced and TOKEN not in announced
    for name in ("127.0.0.1", "localhost"):
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"},
                                  timeout=httpx2.Timeout(30))
        async with Client(streamable_http_client(f"http://{name}:{port}/mcp", http_client=http),
                          mode="legacy") as client:
            tools = {t.name for t in (await client.list_tools()).tools}
        assert "list_serial_numbers" in tools
    async with httpx.AsyncClient() as plain:
        r = await plain.post(f"http://127.0.0.1:{port}/mcp", json={"jsonrpc": "2.0", "id": 1,
                            "method": "tools/list", "params": {}},
                            headers={"Accept": "application/json, text/event-stream"})
        wk = await plain.get(f"http://127.0.0.1:{port}/.well-known/oauth-protected-resource/mcp",
                            headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 401 and "KATANA_SN_MCP_TOKEN" in r.json()["error_description"]
    assert "auth.invalid" not in r.text + str(r.headers)
    assert wk.status_code == 404
