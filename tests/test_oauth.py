"""OAuth 2.1 resource server: the real app under uvicorn on loopback, a small real issuer
(tests/oauth_issuer.py) on loopback, tokens of every kind. Every refusal is checked to
reach neither the MCP server's tools nor Katana (the sandbox records each request)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from katana_sn_mcp.http import http_app
from katana_sn_mcp.journal import Journal
from katana_sn_mcp.oauth import OAuthSetup, prepare
from katana_sn_mcp.runtime import sandbox_factory
from katana_sn_mcp.sandbox import Sandbox
from katana_sn_mcp.server import build_server
from katana_sn_mcp.settings import Settings
from tests.oauth_issuer import Issuer, Key, hs256_with, running_issuer, unsigned
from tests.serving import loopback_port, serving

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[1]
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
ALL = "serials:read serials:write serials:delete"


def call(tool: str, **arguments: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments}}


LIST = call("list_serial_numbers", resource_type="ManufacturingOrder", resource_id=1001)
CREATE = call("create_serial_numbers", resource_type="ManufacturingOrder", resource_id=1001,
              serial_numbers=["OAUTH-1"])
DELETE = call("delete_serial_numbers", resource_type="ManufacturingOrder", resource_id=1001,
              ids=[1], confirm=True)


@dataclass
class Served:
    url: str
    public: str
    sandbox: Sandbox
    issuer: Issuer
    setup: OAuthSetup
    journal: Path

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/oauth-protected-resource/mcp"

    def token(self, scope: str | None = "serials:read", **kw: Any) -> str:
        return self.issuer.token(self.public, scope, **kw)

    async def post(self, body: Any, token: str | None, **headers: str) -> httpx.Response:
        h = dict(MCP_HEADERS, **headers)
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        async with httpx.AsyncClient(timeout=30) as http:
            return await http.post(f"{self.url}/mcp", headers=h, json=body)

    async def lists(self, token: str) -> bool:
        """A real MCP client with this token lists serial numbers."""
        client, _ = self.client(token)
        async with client:
            r = await client.call_tool("list_serial_numbers", {"resource_id": 1001})
        return not r.is_error

    def client(self, token: str, era: str = "auto", **kw: Any) -> tuple[Client, httpx2.AsyncClient]:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"},
                                  timeout=httpx2.Timeout(30))
        return Client(streamable_http_client(f"{self.url}/mcp", http_client=http), mode=era,
                      **kw), http


def serve_oauth(issuer: Issuer, tmp_path: Path, host: str = "127.0.0.1") -> Iterator[Served]:
    port = loopback_port()
    public = f"http://127.0.0.1:{port}/mcp"
    setup = prepare(issuer.url, public, "email", static_tokens=False)
    sandbox = Sandbox()
    journal = tmp_path / "journal.jsonl"
    server = build_server(sandbox_factory(sandbox, Settings()), Journal(journal, katana="sandbox"))
    with serving(http_app(server, host, None, oauth=setup), port) as url:
        yield Served(url, public, sandbox, issuer, setup, journal)


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    with running_issuer() as i:
        yield i


@pytest.fixture
def served(issuer: Issuer, tmp_path: Path) -> Iterator[Served]:
    yield from serve_oauth(issuer, tmp_path)


# -- 401: no token, or a token that is not one of ours -------------------------------

async def test_no_token_is_401_naming_the_metadata_and_scopes(served: Served) -> None:
    r = await served.post(LIST, None)
    assert r.status_code == 401
    challenge = r.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="invalid_token", error_description="sign in required')
    assert f'resource_metadata="{served.metadata_url}"' in challenge
    assert f'scope="{ALL}"' in challenge
    assert r.json()["error"] == "invalid_token"
    assert served.sandbox.requests == []


def bad_tokens(s: Served) -> dict[str, tuple[str, str]]:
    """name → (token, a word the refusal must contain)."""
    now = int(time.time())
    good = s.issuer.keys[0]
    stranger = Key.rsa("key-1")  # same kid as the real key, another private key
    unknown = Key.rsa("never-published")
    claims = {"iss": s.issuer.url, "aud": s.public, "sub": "u", "exp": now + 300,
              "scope": ALL}
    return {
        "wrong audience": (s.issuer.token("https://other.example/mcp", ALL), "aud must contain"),
        "audience of a sibling path": (s.issuer.token(s.public + "/other", ALL), "aud"),
        "wrong issuer": (s.token(ALL, iss="https://evil.example"), "not issued by"),
        "expired": (s.token(ALL, exp=now - 120), "expired"),
        "future nbf": (s.token(ALL, nbf=now + 120), "not valid yet"),
        "no exp": (s.token(ALL, exp=None), "no exp claim"),
        "alg none": (unsigned(claims, {"alg": "none", "typ": "JWT", "kid": "key-1"}), "algorithm"),
        "HS256 keyed with the public key": (hs256_with(good.public_pem(), claims, "key-1"),
                                            "algorithm"),
        "unknown key": (s.token(ALL, key=unknown), "does not publish"),
        "right kid, wrong signer": (s.token(ALL, key=stranger), "signature"),
        "alg not the key's": (_resigned(s, claims), "algorithm"),
        "id token type": (s.token(ALL, typ="dpop+jwt"), "type"),
        "malformed": ("not-a-jwt", "well-formed"),
        "malformed three parts": ("aaa.bbb.ccc", "well-formed"),
    }


def _resigned(s: Served, claims: dict[str, Any]) -> str:
    """Signed by the EC key but naming the RSA key's kid."""
    import jwt

    ec_key = s.issuer.keys[1]
    return jwt.encode(claims, ec_key.private, algorithm="ES256", headers={"kid": "key-1"})


@pytest.mark.parametrize("kind", ["wrong audience", "audience of a sibling path", "wrong issuer",
                                  "expired", "future nbf", "no exp", "alg none",
                                  "HS256 keyed with the public key", "unknown key",
                                  "right kid, wrong signer", "alg not the key's",
                                  "id token type", "malformed", "malformed three parts"])
async def test_a_bad_token_is_401_invalid_token_and_katana_hears_nothing(
    served: Served, kind: str
) -> None:
    token, why = bad_tokens(served)[kind]
    r = await served.post(LIST, token)
    assert r.status_code == 401, r.text
    challenge = r.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="invalid_token", error_description="')
    assert f'resource_metadata="{served.metadata_url}"' in challenge
    assert why in r.json()["error_description"]
    assert token not in r.text + str(r.headers)
    assert served.sandbox.requests == []


async def test_leeway_is_sixty_seconds_at_most(served: Served) -> None:
    now = int(time.time())
    for claims in ({"exp": now - 30}, {"nbf": now + 30}):
        assert await served.lists(served.token(ALL, **claims))  # within the leeway
    for claims in ({"exp": now - 90}, {"nbf": now + 90}):
        r = await served.post(LIST, served.token(ALL, **claims))
        assert r.status_code == 401, claims


@pytest.mark.parametrize("typ", ["JWT", "at+jwt", "application/at+jwt", None])
async def test_both_token_types_and_both_key_kinds_are_accepted(served: Served, typ: str | None) -> None:
    for key in served.issuer.keys:  # RS256 and ES256
        client, _ = served.client(served.token(ALL, typ=typ, key=key))
        async with client:
            r = await client.call_tool("list_serial_numbers", {"resource_id": 1001})
        assert not r.is_error


# -- 403: a valid token without the tool's scope (step-up) ---------------------------

@pytest.mark.parametrize(("scope", "body", "needed"), [
    ("serials:read", CREATE, "serials:write"),
    ("serials:read", DELETE, "serials:delete"),
    ("serials:read serials:write", DELETE, "serials:delete"),
    ("serials:write serials:delete", LIST, "serials:read"),
    (None, LIST, "serials:read"),
    ("openid profile", {"jsonrpc": "2.0", "id": 1, "method": "resources/list"}, "serials:read"),
    ("openid", {"jsonrpc": "2.0", "id": 1, "method": "prompts/list"}, "serials:read"),
])
async def test_a_missing_scope_is_403_insufficient_scope_and_katana_hears_nothing(
    served: Served, scope: str | None, body: dict[str, Any], needed: str
) -> None:
    r = await served.post(body, served.token(scope))
    assert r.status_code == 403, r.text
    challenge = r.headers["www-authenticate"]
    assert challenge.startswith(f'Bearer error="insufficient_scope", scope="{needed}", ')
    assert f'resource_metadata="{served.metadata_url}"' in challenge
    assert r.json()["error"] == "insufficient_scope"
    assert served.sandbox.requests == []


async def test_scp_claims_count_as_scopes(served: Served) -> None:
    for scp in (["serials:read"], "serials:read"):  # Okta's list, Entra's string
        assert await served.lists(served.token(None, scp=scp))


async def test_a_read_token_lists_tools_reads_and_cannot_write(served: Served, era: str) -> None:
    client, _ = served.client(served.token("serials:read"), era)
    async with client:
        names = {t.name for t in (await client.list_tools()).tools}
        listed = await client.call_tool("list_serial_numbers", {"resource_id": 1001})
        await client.list_prompts()
        await client.read_resource("katana://journal/recent")
        assert names >= {"create_serial_numbers", "delete_serial_numbers"}  # listed, not usable
        assert not listed.is_error
        with pytest.raises(BaseException):  # noqa: B017 (the SDK wraps the HTTP 403)
            await client.call_tool("create_serial_numbers", {
                "resource_type": "ManufacturingOrder", "resource_id": 1001,
                "serial_numbers": ["NOPE-1"]})
    assert all(r.method == "GET" for r in served.sandbox.requests)


@pytest.mark.filterwarnings("ignore::mcp.MCPDeprecationWarning")
async def test_a_token_without_scopes_may_initialize_ping_and_list_tools(served: Served) -> None:
    client, _ = served.client(served.token(None), "legacy")  # ping is gone after 2025-11-25
    async with client:
        await client.send_ping()
        assert len((await client.list_tools()).tools) == 5
    assert served.sandbox.requests == []


# -- metadata, open paths ------------------------------------------------------------

@pytest.mark.parametrize("path", ["/.well-known/oauth-protected-resource/mcp",
                                  "/.well-known/oauth-protected-resource"])
async def test_protected_resource_metadata(served: Served, path: str) -> None:
    async with httpx.AsyncClient() as http:
        r = await http.get(f"{served.url}{path}")
    assert r.status_code == 200
    doc = r.json()
    assert doc["resource"] == served.public
    assert doc["authorization_servers"] == [served.issuer.url]
    assert doc["scopes_supported"] == ALL.split()
    assert doc["bearer_methods_supported"] == ["header"]


async def test_health_and_ready_stay_open(served: Served) -> None:
    async with httpx.AsyncClient() as http:
        for path in ("/health", "/ready"):
            assert (await http.get(f"{served.url}{path}")).status_code == 200


# -- keys: rotation, forged kids, the provider going away -----------------------------

def frozen_key_clock(served: Served) -> list[float]:
    """The key cache's clock, moved only by the test (`now[0] += s`); keys just fetched."""
    keys = served.setup.verifier.keys
    now = [1000.0]
    keys.clock = lambda: now[0]
    keys.fetched_at = now[0]
    return now


async def test_a_rotated_key_is_accepted_and_forged_kids_cause_no_fetch_storm(
    served: Served
) -> None:
    now = frozen_key_clock(served)
    before = served.issuer.jwks_fetches
    forged = [served.token(ALL, key=Key.rsa(f"forged-{i}")) for i in range(3)]
    forged.append(served.token(ALL, key=Key.rsa("key-1")))  # a real kid, another signer
    for i in range(40):
        assert (await served.post(LIST, forged[i % 4])).status_code == 401
    assert served.issuer.jwks_fetches - before == 1  # one re-fetch for forty forged tokens
    rotated = Key.ec("key-2026")
    served.issuer.keys.insert(0, rotated)
    now[0] += 11  # the next re-fetch is allowed 10 s after the last
    assert await served.lists(served.token(ALL, key=rotated))
    assert served.issuer.jwks_fetches - before == 2


async def test_a_key_replaced_under_the_same_kid_is_accepted_after_one_re_read(
    served: Served
) -> None:
    frozen_key_clock(served)
    replaced = Key.rsa("key-1")
    served.issuer.keys[0] = replaced
    assert await served.lists(served.token(ALL, key=replaced))


async def test_a_rotated_key_right_after_start_is_accepted(served: Served) -> None:
    rotated = Key.rsa("key-new")
    served.issuer.keys.append(rotated)
    assert await served.lists(served.token(ALL, key=rotated))


async def test_provider_down_later_known_keys_work_unknown_is_503(served: Served) -> None:
    served.issuer.down = True
    assert await served.lists(served.token(ALL))  # the cached key
    r = await served.post(LIST, served.token(ALL, key=Key.rsa("rotated-while-down")))
    assert r.status_code == 503
    assert "cannot be checked" in r.json()["error_description"]
    assert "Traceback" not in r.text
    assert served.sandbox.requests[-1].method == "GET"
    assert len(served.sandbox.requests) == 1  # only the call with the cached key


# -- the person ----------------------------------------------------------------------

@pytest.mark.parametrize(("claims", "person", "claim"), [
    ({}, "ada@example.com", "email"),
    ({"email": None, "preferred_username": "ada"}, "ada", "preferred_username"),
    ({"email": None}, "u-123", "sub"),
])
async def test_the_journal_names_the_person_and_the_claim(
    served: Served, claims: dict[str, Any], person: str, claim: str
) -> None:
    client, _ = served.client(served.token(ALL, **claims))
    async with client:
        r = await client.call_tool("create_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1001,
            "serial_numbers": ["OAUTH-P1"]})
    assert not r.is_error
    intents = [json.loads(line) for line in served.journal.read_text().splitlines()
               if '"intent"' in line]
    assert intents[-1]["person"] == person and intents[-1]["person_claim"] == claim


def test_the_person_claim_is_configurable_and_falls_back() -> None:
    from katana_sn_mcp.oauth.verifier import person_of

    claims = {"sub": "u-1", "email": "ada@example.com", "upn": "ada@corp.example"}
    assert person_of(claims, "upn") == ("ada@corp.example", "upn")
    assert person_of({"sub": "u-1", "email": "ada@example.com"}, "upn") == ("ada@example.com", "email")
    assert person_of({"sub": "u-1", "email": " "}, "email") == ("u-1", "sub")


# -- start-up ------------------------------------------------------------------------

def start(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KATANA_SN_MCP_")}
    clean.update(env, PYTHONPATH=str(ROOT), KATANA_SN_MCP_JOURNAL=os.devnull)
    return subprocess.run([sys.executable, "-m", "katana_sn_mcp", "--sandbox", "--http",
                           "--port", "1", *args], env=clean, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(("env", "words"), [
    ({"KATANA_SN_MCP_OAUTH_ISSUER": "http://127.0.0.1:{port}/realms/x"},
     "the OAuth issuer cannot be used: "),
    ({"KATANA_SN_MCP_OAUTH_ISSUER": "http://127.0.0.1:{port}", "KATANA_SN_MCP_TOKEN": "t" * 40},
     "use one way of signing in"),
    ({"KATANA_SN_MCP_OAUTH_ISSUER": "http://127.0.0.1:{port}", "KATANA_SN_MCP_PUBLIC_URL": ""},
     "KATANA_SN_MCP_PUBLIC_URL is not"),
    ({"KATANA_SN_MCP_OAUTH_ISSUER": "http://idp.example.com"}, "must be an https:// URL"),
])
def test_start_up_problems_are_one_line(env: dict[str, str], words: str) -> None:
    port = closed_port()
    full = {"KATANA_SN_MCP_PUBLIC_URL": "https://mcp.example.com/mcp"}
    full.update({k: v.format(port=port) for k, v in env.items()})
    proc = start({k: v for k, v in full.items() if v}, "--host", "0.0.0.0")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


@pytest.mark.parametrize(("path", "rfc8414_only"), [("/realms/team", False), ("/tenant/v2.0", True)])
def test_discovery_finds_issuers_with_a_path(path: str, rfc8414_only: bool) -> None:
    with running_issuer(path, rfc8414_only=rfc8414_only) as issuer:
        setup = prepare(issuer.url, "https://mcp.example.com/mcp", "email", static_tokens=False)
    assert setup.issuer == issuer.url and setup.verifier.keys.keys


def test_stdio_start_does_not_import_the_jwt_stack() -> None:
    code = ("import sys; import katana_sn_mcp.serve, katana_sn_mcp.server; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jwt', 'katana_sn_mcp') "
            "and ('oauth' in m or m.startswith('jwt'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


async def test_the_serve_command_with_oauth_on_a_non_local_bind(issuer: Issuer, tmp_path: Path) -> None:
    """`serve --http --host 0.0.0.0` with OAuth and no static token: starts, says so on
    stderr, publishes the metadata, refuses without a token, serves with one."""
    import queue

    from bench.replicas import free_port

    port = free_port()
    public = f"http://127.0.0.1:{port}/mcp"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KATANA_SN_MCP_")}
    env.update(PYTHONPATH=str(ROOT), KATANA_SN_MCP_OAUTH_ISSUER=issuer.url,
               KATANA_SN_MCP_PUBLIC_URL=public, KATANA_SN_MCP_JOURNAL=str(tmp_path / "j.jsonl"))
    proc = subprocess.Popen([sys.executable, "-m", "katana_sn_mcp", "serve", "--sandbox", "--http",
                             "--host", "0.0.0.0", "--port", str(port)], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stderr or []], daemon=True).start()
    try:
        seen: list[str] = []
        deadline = time.monotonic() + 30
        while not any("OAuth on" in x for x in seen) and time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=0.2))
            except queue.Empty:
                assert proc.poll() is None, seen
        assert any(f"accepting access tokens from {issuer.url} for {public}" in x for x in seen), seen
        async with httpx.AsyncClient(timeout=30) as http:
            while time.monotonic() < deadline:
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            meta = (await http.get(f"http://127.0.0.1:{port}/.well-known/oauth-protected-resource/mcp")).json()
            refused = await http.post(f"http://127.0.0.1:{port}/mcp", json=LIST, headers=MCP_HEADERS)
        assert meta["resource"] == public and meta["authorization_servers"] == [issuer.url]
        assert refused.status_code == 401 and "resource_metadata=" in refused.headers["www-authenticate"]
        http2 = httpx2.AsyncClient(headers={"Authorization": f"Bearer {issuer.token(public, ALL)}"},
                                   timeout=httpx2.Timeout(30))
        async with Client(streamable_http_client(public, http_client=http2)) as client:
            r = await client.call_tool("create_serial_numbers", {
                "resource_type": "ManufacturingOrder", "resource_id": 1001,
                "serial_numbers": ["PROC-1"]})
        assert not r.is_error
        intent = next(json.loads(x) for x in (tmp_path / "j.jsonl").read_text().splitlines()
                      if '"intent"' in x)
        assert (intent["person"], intent["person_claim"]) == ("ada@example.com", "email")
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=15)
    assert out == ""


def test_the_public_host_is_accepted_behind_a_local_proxy() -> None:
    """nginx on the same machine passes `Host: mcp.example.com` to a loopback bind."""
    from katana_sn_mcp.http import security_for

    local = security_for("127.0.0.1", ["mcp.example.com"])
    assert local is not None and local.enable_dns_rebinding_protection
    assert {"mcp.example.com", "mcp.example.com:*", "127.0.0.1:*", "localhost:*"} <= set(local.allowed_hosts)
    assert "evil.example" not in str(local.allowed_hosts)
    assert security_for("127.0.0.1", ["127.0.0.1"]) is None  # as before: the SDK's own


async def test_every_tool_has_its_scope_and_an_unlisted_one_needs_the_strictest(
        tmp_path: Path) -> None:
    from katana_sn_mcp.oauth.gate import TOOL_SCOPES, scope_for
    from tests.conftest import make_harness

    async with Client(make_harness(tmp_path).server) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert set(TOOL_SCOPES) == names
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "wipe_all"}}
    assert scope_for(call) == "serials:delete"
