"""End to end with real parts: a real OpenID provider (panva/oidc-provider, installed by
`.ci/run` into tests/oidc/) on loopback, our server as its resource server, and the MCP
Python SDK's own OAuth client (`OAuthClientProvider`). The client discovers our metadata
from the 401, registers itself (dynamic client registration), signs in with PKCE through
the provider's sign-in and consent pages (filled in over HTTP), gets a JWT for our
audience, and calls every tool; the journal names the person."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

from bench.replicas import free_port
from katana_sn_mcp.http import http_app
from katana_sn_mcp.journal import Journal
from katana_sn_mcp.oauth import prepare
from katana_sn_mcp.runtime import sandbox_factory
from katana_sn_mcp.sandbox import Sandbox
from katana_sn_mcp.server import build_server
from katana_sn_mcp.settings import Settings
from tests.conftest import TOOL_NAMES
from tests.serving import serving

pytestmark = pytest.mark.anyio
OIDC = Path(__file__).parent / "oidc"
REDIRECT = "http://127.0.0.1:9/callback"  # never served: the sign-in stops at its redirect


def need_provider() -> None:
    if (OIDC / "node_modules" / "oidc-provider").is_dir() and shutil.which("node"):
        return
    why = "oidc-provider is not installed: run `npm ci --prefix tests/oidc` (.ci/run does)"
    if os.environ.get("KATANA_SN_MCP_TEST_OIDC") == "required":
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture
def provider_and_server(tmp_path: Path) -> Iterator[tuple[str, str, Sandbox, Path]]:
    need_provider()
    mcp_port, idp_port = free_port(), free_port()
    public = f"http://127.0.0.1:{mcp_port}/mcp"
    node = subprocess.Popen(["node", str(OIDC / "provider.mjs"), str(idp_port), public],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = node.stdout.readline() if node.stdout else ""
        assert line.startswith("ready "), (line, node.stderr.read() if node.stderr else "")
        issuer = line.split()[1]
        sandbox = Sandbox()
        journal = tmp_path / "journal.jsonl"
        server = build_server(sandbox_factory(sandbox, Settings()), Journal(journal, katana="sandbox"))
        setup = prepare(issuer, public, "email", static_tokens=False)
        with serving(http_app(server, "127.0.0.1", None, oauth=setup), mcp_port):
            yield public, issuer, sandbox, journal
    finally:
        node.terminate()
        node.wait(timeout=15)


class Memory:
    """The SDK's TokenStorage, in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class Person:
    """Signs in at the provider as `login` the way a browser would: follow redirects,
    submit the sign-in form, then the consent form, until the provider redirects to the
    client's redirect URI with the code."""

    def __init__(self, login: str) -> None:
        self.login = login
        self.result: AuthorizationCodeResult | None = None
        self.pages: list[str] = []

    async def open(self, url: str) -> None:
        async with httpx.AsyncClient(follow_redirects=False, timeout=30) as browser:
            r = await browser.get(url)
            for _ in range(20):
                if r.is_redirect:
                    target = urljoin(str(r.url), r.headers["location"])
                    if target.startswith(REDIRECT):
                        query = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
                        assert "code" in query, query
                        self.result = AuthorizationCodeResult(code=query["code"],
                                                              state=query.get("state"),
                                                              iss=query.get("iss"))
                        return
                    r = await browser.get(target)
                    continue
                assert r.status_code == 200, (r.status_code, r.text[:500])
                action = html.unescape(re.search(r'<form[^>]*action="([^"]+)"', r.text)[1])
                prompt = re.search(r'name="prompt" value="([^"]+)"', r.text)[1]
                self.pages.append(prompt)
                form = {"prompt": prompt}
                if prompt == "login":
                    form.update(login=self.login, password="any password")
                r = await browser.post(urljoin(str(r.url), action), data=form)
        raise AssertionError(f"sign-in did not finish: pages {self.pages}")

    async def callback(self) -> AuthorizationCodeResult:
        assert self.result is not None
        return self.result


async def test_a_real_oauth_client_signs_in_at_a_real_provider_and_calls_every_tool(
    provider_and_server: tuple[str, str, Sandbox, Path]
) -> None:
    public, issuer, sandbox, journal = provider_and_server
    person = Person("ada")
    auth = OAuthClientProvider(
        server_url=public,
        client_metadata=OAuthClientMetadata(client_name="katana-sn-mcp e2e",
                                            redirect_uris=[REDIRECT]),
        storage=Memory(), redirect_handler=person.open, callback_handler=person.callback)
    http = httpx2.AsyncClient(auth=auth, timeout=httpx2.Timeout(60))
    async with Client(streamable_http_client(public, http_client=http)) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        listed = await client.call_tool("list_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1001})
        created = await client.call_tool("create_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1001,
            "serial_numbers": ["E2E-0001", "E2E-0002"]})
        verified = await client.call_tool("verify_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1001,
            "expect_attached": ["E2E-0001", "E2E-0002"]})
        found = await client.call_tool("find_serial_numbers", {"serial_numbers": ["E2E-0001"]})
        first_id = listed.structured_content["rows"][0][0]
        deleted = await client.call_tool("delete_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1001, "ids": [first_id],
            "confirm": True})
        recent = await client.read_resource("katana://journal/recent")
    assert tools == TOOL_NAMES
    for r in (listed, created, verified, found, deleted):
        assert not r.is_error, r.content
    assert deleted.structured_content["removed"]["count"] == 1
    assert person.pages == ["login", "consent"]  # a real sign-in and consent happened
    assert auth.context.client_info is not None and auth.context.client_info.client_id  # DCR
    token = auth.context.current_tokens
    assert token is not None
    claims = _claims(token.access_token)
    assert claims["iss"] == issuer and public in _list(claims["aud"])
    assert set(claims["scope"].split()) >= {"serials:read", "serials:write", "serials:delete"}
    intents = [json.loads(x) for x in journal.read_text().splitlines() if '"intent"' in x]
    assert [(e["tool"], e["person"], e["person_claim"]) for e in intents] == [
        ("create_serial_numbers", "ada@example.com", "email"),
        ("delete_serial_numbers", "ada@example.com", "email")]
    assert "ada@example.com" in str(recent.contents)
    assert {q.method for q in sandbox.requests} >= {"GET", "POST", "DELETE"}


def _claims(token: str) -> dict[str, Any]:
    import jwt

    return jwt.decode(token, options={"verify_signature": False})


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
