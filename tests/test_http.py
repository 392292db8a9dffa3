"""Streamable HTTP: the real app under uvicorn on loopback, driven by real HTTP clients."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
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

from bench.replicas import free_port
from katana_sn_mcp.http import RefusedBind, http_app, run_http, security_for, startup_line
from katana_sn_mcp.journal import Journal
from katana_sn_mcp.runtime import sandbox_factory
from katana_sn_mcp.sandbox import Sandbox
from katana_sn_mcp.server import build_server
from katana_sn_mcp.settings import Settings
from tests.serving import serving

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[1]
TOKEN = "team-token-0123456789abcdef-0123456789"  # 32+ characters, as every bind needs


@dataclass
class Running:
    url: str
    sandbox: Sandbox
    clients_made: list[int]



def serve(app_host: str) -> Iterator[Running]:
    """The real app built for `app_host` (what `--host` says), listening on loopback."""
    sandbox = Sandbox()
    made: list[int] = []
    factory = sandbox_factory(sandbox, Settings())

    def counting():  # type: ignore[no-untyped-def]
        made.append(1)
        return factory()

    server = build_server(counting, Journal(None))
    with serving(http_app(server, app_host, TOKEN)) as url:
        yield Running(url, sandbox, made)


@pytest.fixture
def running() -> Iterator[Running]:
    yield from serve("127.0.0.1")


@pytest.fixture
def team(monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
    """The README's team command: `serve --http --host 0.0.0.0` with a token."""
    monkeypatch.delenv("KATANA_SN_MCP_ALLOWED_HOSTS", raising=False)
    yield from serve("0.0.0.0")


def client_for(url: str, era: str, token: str = TOKEN) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"},
                              timeout=httpx2.Timeout(30))
    return Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=era)


async def test_health_is_open_and_reveals_nothing_secret(running: Running) -> None:
    async with httpx.AsyncClient() as http:
        r = await http.get(f"{running.url}/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert TOKEN not in r.text and running.sandbox.config.api_key not in r.text


MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {},
    "clientInfo": {"name": "test", "version": "0"}}}


@pytest.mark.parametrize("bind", ["running", "team"])
@pytest.mark.parametrize("auth", [None, "Bearer wrong-token", f"Basic {TOKEN}", "Bearer",
                                  f"Bearer {TOKEN}x"])
async def test_missing_or_wrong_token_is_401_and_says_what_to_send(
    request: pytest.FixtureRequest, bind: str, auth: str | None
) -> None:
    server: Running = request.getfixturevalue(bind)
    headers = dict(MCP_HEADERS)
    if auth:
        headers["Authorization"] = auth
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{server.url}/mcp", headers=headers, json={
            "jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})
    assert r.status_code == 401
    body = r.json()
    assert body["error"] == "invalid_token"
    assert "missing or wrong bearer token" in body["error_description"]
    assert "Authorization: Bearer <the value of KATANA_SN_MCP_TOKEN" in body["error_description"]
    challenge = r.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="invalid_token"') and "KATANA_SN_MCP_TOKEN" in challenge
    everything = r.text + str(r.headers)
    assert "auth.invalid" not in everything and "resource_metadata" not in everything
    assert TOKEN not in everything
    assert server.sandbox.requests == []


@pytest.mark.parametrize("path", ["/.well-known/oauth-protected-resource/mcp",
                                  "/.well-known/oauth-protected-resource",
                                  "/.well-known/oauth-authorization-server"])
async def test_a_static_token_publishes_no_oauth_metadata(team: Running, path: str) -> None:
    """OAuth metadata sends the MCP Inspector on a discovery that cannot succeed."""
    async with httpx.AsyncClient() as http:
        r = await http.get(f"{team.url}{path}", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 404 and "auth.invalid" not in r.text


@pytest.mark.parametrize("bind", ["running", "team"])
async def test_wrong_host_header_is_refused(request: pytest.FixtureRequest, bind: str) -> None:
    server: Running = request.getfixturevalue(bind)
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{server.url}/mcp", json=INITIALIZE,
                            headers={**MCP_HEADERS, "Host": "evil.example:80",
                                     "Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 421


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost"])
async def test_readme_team_bind_answers_mcp_not_421(team: Running, era: str, name: str) -> None:
    """`--host 0.0.0.0` used to leave the Host allow-list empty: every MCP request got 421."""
    url = team.url.replace("127.0.0.1", name)
    async with client_for(url, era) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
    assert "list_serial_numbers" in tools


async def test_team_bind_accepts_this_machines_hostname(team: Running) -> None:
    port = team.url.rsplit(":", 1)[1]
    for name in dict.fromkeys([socket.gethostname(), socket.getfqdn()]):
        async with httpx.AsyncClient() as http:
            r = await http.post(f"{team.url}/mcp", json=INITIALIZE,
                                headers={**MCP_HEADERS, "Host": f"{name}:{port}",
                                         "Origin": f"http://{name}:{port}",
                                         "Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200, (name, r.status_code, r.text)


def test_startup_line_names_the_url_and_accepted_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "teambox")
    monkeypatch.setattr(socket, "getfqdn", lambda: "teambox.corp.example")
    monkeypatch.setenv("KATANA_SN_MCP_ALLOWED_HOSTS", "mcp.example.com, 10.0.0.5,")
    line = startup_line("0.0.0.0", 8765)
    assert line.startswith("katana-sn-mcp: serving MCP on http://teambox:8765/mcp")
    assert "http://localhost:8765/mcp" in line
    assert ("accepting Host: localhost, 127.0.0.1, [::1], teambox, teambox.corp.example, "
            "mcp.example.com, 10.0.0.5;") in line
    assert "KATANA_SN_MCP_ALLOWED_HOSTS" in line
    specific = startup_line("10.1.2.3", 9000)
    assert specific.startswith("katana-sn-mcp: serving MCP on http://10.1.2.3:9000/mcp")
    assert "localhost" not in specific.split("accepting Host:")[1].split(";")[0].replace(
        "mcp.example.com", "")
    assert startup_line("127.0.0.1", 8765) == (
        "katana-sn-mcp: serving MCP on http://127.0.0.1:8765/mcp (this machine only)")


def test_a_specific_address_allows_only_itself_and_the_extras(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KATANA_SN_MCP_ALLOWED_HOSTS", "mcp.example.com")
    settings = security_for("10.1.2.3")
    assert settings is not None and settings.enable_dns_rebinding_protection
    assert set(settings.allowed_hosts) == {"10.1.2.3", "10.1.2.3:*",
                                           "mcp.example.com", "mcp.example.com:*"}
    everywhere = security_for("::")
    assert everywhere is not None and "[::1]:*" in everywhere.allowed_hosts
    assert "::" not in str(everywhere.allowed_hosts).replace("[::1]", "")


def test_run_http_announces_on_stderr_and_leaves_logging_to_us(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw, app=app))
    server = build_server(sandbox_factory(Sandbox(), Settings()), Journal(None))
    port = free_port()
    run_http(server, "0.0.0.0", port, TOKEN)
    out, err = capsys.readouterr()
    assert out == "" and "serving MCP on http://" in err and f":{port}/mcp" in err
    assert TOKEN not in err
    assert "log_config" in seen and seen["log_config"] is None  # uvicorn installs no handlers
    assert seen["host"] == "0.0.0.0" and seen["port"] == port


def test_run_http_refuses_a_non_local_bind_without_a_token() -> None:
    server = build_server(sandbox_factory(Sandbox(), Settings()), Journal(None))
    with pytest.raises(RefusedBind):
        run_http(server, "0.0.0.0", 8765, None)


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
