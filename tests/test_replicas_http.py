"""The HTTP side of a team deployment: per-person tokens (names reach the tools, the file
is re-read on change), session bounds per token and in total, idle expiry, stateless
mode, `/ready`, and the start-up refusals (short token, unreachable Redis)."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.mcpserver import Context, MCPServer

from katana_sn_mcp.http import HttpOptions, http_app
from katana_sn_mcp.journal import Journal
from katana_sn_mcp.runtime import make_pacer, readiness, sandbox_factory
from katana_sn_mcp.sandbox import Sandbox
from katana_sn_mcp.server import build_server
from katana_sn_mcp.settings import Settings
from katana_sn_mcp.tokens import TokenBook, TokensFileError, book_for, caller_name, parse
from tests.serving import serving
from tests.test_redis_state import RedisServer, redis_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[1]
ALICE, BOB, CAROL = ("alice-" + "a" * 40, "bob-" + "b" * 40, "carol-" + "c" * 40)
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {},
    "clientInfo": {"name": "test", "version": "0"}}}


def line(name: str, token: str) -> str:
    return f"{name}:{hashlib.sha256(token.encode()).hexdigest()}\n"


def whoami_server(settings: Settings | None = None) -> tuple[MCPServer, Any]:
    """The real server plus one probe tool that reads the caller's token name the way the
    journal does."""
    settings = settings or Settings()
    sandbox = Sandbox()
    pacer = make_pacer(settings, sandbox.config.api_key)
    server = build_server(sandbox_factory(sandbox, settings, pacer=pacer), Journal(None))

    @server.tool()
    async def whoami(ctx: Context) -> str:
        return caller_name(ctx.request_context.request) or "nobody"

    return server, readiness(pacer, settings)


def client(url: str, token: str, era: str = "auto") -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"},
                              timeout=httpx2.Timeout(30))
    return Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=era)


async def whoami(url: str, token: str, era: str) -> str:
    async with client(url, token, era) as c:
        result = await c.call_tool("whoami", {})
    return str(result.structured_content["result"]) if result.structured_content else "?"


async def test_each_persons_token_names_them_to_the_tools_and_the_file_is_reread(
        tmp_path: Path, era: str) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("# the team\n" + line("alice", ALICE) + line("bob", BOB))
    book = TokenBook("single-" + "s" * 40, tokens)
    server, ready = whoami_server()
    with serving(http_app(server, "127.0.0.1", book, ready=ready)) as url:
        assert await whoami(url, ALICE, era) == "alice"
        assert await whoami(url, BOB, era) == "bob"
        assert await whoami(url, "single-" + "s" * 40, era) == "team"
        tokens.write_text(line("bob", BOB) + line("carol", CAROL))  # alice leaves, carol joins
        os.utime(tokens, (time.time() + 5, time.time() + 5))  # a new mtime, whatever the fs
        assert await whoami(url, CAROL, era) == "carol"
        async with httpx.AsyncClient() as http:
            r = await http.post(f"{url}/mcp", json=INITIALIZE,
                                headers={**MCP_HEADERS, "Authorization": f"Bearer {ALICE}"})
        assert r.status_code == 401


def test_the_tokens_file_holds_hashes_and_a_bad_line_is_named_not_shown(tmp_path: Path) -> None:
    entries, bad = parse(line("alice", ALICE) + "bob:" + BOB + "\n\n# note\n")
    assert list(entries.values()) == ["alice"] and bad == [2]
    broken = tmp_path / "tokens"
    broken.write_text(line("alice", ALICE) + "bob:" + BOB + "\n")
    with pytest.raises(TokensFileError) as caught:
        TokenBook(None, broken)
    assert "[2]" in str(caught.value) and BOB not in str(caught.value)
    with pytest.raises(TokensFileError):
        TokenBook(None, tmp_path / "missing")


@pytest.mark.parametrize("local", [False, True])
@pytest.mark.parametrize("token", ["short-token-0123456789", " " * 40, "Katana",
                                   "x" * 31])
def test_a_guessable_token_is_refused_on_every_bind(token: str, local: bool) -> None:
    with pytest.raises(TokensFileError) as caught:
        book_for(token, None, local=local)
    assert "KATANA_SN_MCP_TOKEN" in str(caught.value)
    assert not token.strip() or token not in str(caught.value)
    assert book_for("x" * 32, None, local=local).configured


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KATANA")}
    clean.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-m", "katana_sn_mcp", "serve", *args], env=clean,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_serve_refuses_a_short_token_and_an_unreachable_redis_in_one_line() -> None:
    short = run_cli("--sandbox", "--http", "--host", "0.0.0.0", "--port", "1",
                    KATANA_SN_MCP_TOKEN="tooshort-123")
    assert short.returncode == 2 and short.stdout == ""
    assert short.stderr.strip().count("\n") == 0 and "KATANA_SN_MCP_TOKEN" in short.stderr
    assert "tooshort-123" not in short.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gone = run_cli("--sandbox", "--http", "--port", "1",
                   KATANA_SN_MCP_REDIS_URL=f"redis://:pw-hunter2@127.0.0.1:{port}/0")
    assert gone.returncode == 2 and gone.stdout == ""
    assert gone.stderr.strip().count("\n") == 0 and "KATANA_SN_MCP_REDIS_URL" in gone.stderr
    assert "hunter2" not in gone.stderr


async def initialize(http: httpx.AsyncClient, url: str, token: str) -> httpx.Response:
    return await http.post(f"{url}/mcp", json=INITIALIZE,
                           headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"})


async def test_sessions_are_bounded_per_token_and_freed_when_closed_or_idle(
        tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text(line("alice", ALICE) + line("bob", BOB))
    server, _ = whoami_server()
    options = HttpOptions(max_sessions=5, per_token=3, idle_s=1.0)
    with serving(http_app(server, "127.0.0.1", TokenBook(None, tokens), options=options)) as url:
        async with httpx.AsyncClient(timeout=30) as http:
            opened = [await initialize(http, url, ALICE) for _ in range(3)]
            assert all(r.status_code == 200 for r in opened)
            over = await initialize(http, url, ALICE)
            assert over.status_code == 503 and "Too many open sessions for this token" in over.text
            assert (await initialize(http, url, BOB)).status_code == 200  # bob is not alice
            sid = opened[0].headers["mcp-session-id"]
            # bob cannot use (or end) alice's session: the SDK binds it to her name
            as_bob = await http.delete(f"{url}/mcp", headers={
                "mcp-session-id": sid, "Authorization": f"Bearer {BOB}"})
            assert as_bob.status_code == 404
            closed = await http.delete(f"{url}/mcp", headers={
                "mcp-session-id": sid, "Authorization": f"Bearer {ALICE}"})
            assert closed.status_code < 300
            assert (await initialize(http, url, ALICE)).status_code == 200  # room again
            assert (await initialize(http, url, BOB)).status_code == 200  # the 5th session
            assert (await initialize(http, url, BOB)).status_code == 503  # 5 in total (SDK)
            time.sleep(1.5)  # all idle past idle_s: the SDK ends them, the quota forgets them
            again = [await initialize(http, url, ALICE) for _ in range(3)]
            assert all(r.status_code == 200 for r in again)
            expired = await http.post(f"{url}/mcp", json={"jsonrpc": "2.0", "id": 2,
                                                          "method": "tools/list"},
                                      headers={**MCP_HEADERS, "Authorization": f"Bearer {ALICE}",
                                               "mcp-session-id": sid,
                                               "mcp-protocol-version": "2025-11-25"})
            assert expired.status_code == 404


async def test_stateless_mode_holds_no_session(tmp_path: Path) -> None:
    server, _ = whoami_server()
    options = HttpOptions(stateless=True, per_token=1)
    with serving(http_app(server, "127.0.0.1", ALICE, options=options)) as url:
        async with httpx.AsyncClient(timeout=30) as http:
            answers = [await initialize(http, url, ALICE) for _ in range(5)]
        assert all(r.status_code == 200 for r in answers)
        assert all("mcp-session-id" not in r.headers for r in answers)
        assert await whoami(url, ALICE, "legacy") == "team"


async def test_ready_reports_the_budget_and_fails_without_redis(
        redis_server: RedisServer) -> None:  # noqa: F811
    settings = Settings(katana_sn_mcp_redis_url=redis_server.url, katana_rate_limit=60)
    server, ready = whoami_server(settings)
    with serving(http_app(server, "127.0.0.1", ALICE, ready=ready)) as url:
        async with client(url, ALICE) as c:
            await c.call_tool("list_serial_numbers", {"resource_id": 1001})
        async with httpx.AsyncClient(timeout=30) as http:
            r = await http.get(f"{url}/ready")  # open, like /health
            assert r.status_code == 200
            assert r.json()["shared_store"] == "redis"
            assert 0 < r.json()["katana_budget_remaining"] < 60  # the call spent some
            redis_server.stop()
            down = await http.get(f"{url}/ready")
            assert down.status_code == 503 and down.json()["status"] == "not_ready"
            assert (await http.get(f"{url}/health")).status_code == 200  # alive all the same


def test_serve_refuses_an_ordinary_word_as_token_even_on_loopback() -> None:
    """A short token would be redacted out of every answer ("Katana" in result links)."""
    short = run_cli("--sandbox", "--http", "--host", "127.0.0.1", "--port", "1",
                    KATANA_SN_MCP_TOKEN="Katana")
    assert short.returncode == 2 and short.stdout == ""
    assert short.stderr.strip().count("\n") == 0
    assert "KATANA_SN_MCP_TOKEN is shorter than 32 characters" in short.stderr
