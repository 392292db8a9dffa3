"""A delete confirmation is bound to the person who was asked. On the 2026-07-28 protocol
the answer comes back as a retry carrying sealed request state; a retry sent with another
person's credentials must not delete (per-person tokens and OAuth alike), while the same
person's retry does."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import ElicitResult

from bench.replicas import free_port
from katana_sn_mcp.http import http_app
from katana_sn_mcp.journal import Journal
from katana_sn_mcp.oauth import prepare
from katana_sn_mcp.runtime import sandbox_factory
from katana_sn_mcp.sandbox import Sandbox
from katana_sn_mcp.server import build_server
from katana_sn_mcp.settings import Settings
from katana_sn_mcp.tokens import TokenBook
from tests.oauth_issuer import running_issuer

pytestmark = pytest.mark.anyio
ADA, BOB = "ada-token-" + "a" * 32, "bob-token-" + "b" * 32
ALL = "serials:read serials:write serials:delete"


def run(app_for: Any) -> Iterator[tuple[str, Sandbox]]:
    port = free_port()
    sandbox = Sandbox()
    server = build_server(sandbox_factory(sandbox, Settings()), Journal(None))
    uv = uvicorn.Server(uvicorn.Config(app_for(server, port), host="127.0.0.1", port=port,
                                       log_level="warning", log_config=None))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/mcp", sandbox
    uv.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(params=["per-person tokens", "oauth"])
def two_people(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Sandbox, str, str]]:
    if request.param == "per-person tokens":
        book_file = tmp_path / "tokens"
        book_file.write_text("".join(f"{n}:{hashlib.sha256(t.encode()).hexdigest()}\n"
                                     for n, t in (("ada", ADA), ("bob", BOB))))
        book = TokenBook(None, book_file)
        for url, sandbox in run(lambda server, port: http_app(server, "127.0.0.1", book)):
            yield url, sandbox, ADA, BOB
        return
    with running_issuer() as issuer:
        def app(server: Any, port: int) -> Any:
            public = f"http://127.0.0.1:{port}/mcp"
            setup = prepare(issuer.url, public, "email", static_tokens=False)
            return http_app(server, "127.0.0.1", None, oauth=setup)

        for url, sandbox in run(app):
            ada = issuer.token(url, ALL, email="ada@example.com", sub="ada")
            bob = issuer.token(url, ALL, email="bob@example.com", sub="bob")
            yield url, sandbox, ada, bob


async def confirmed_delete(url: str, first: str, answering: str) -> Any:
    """`first` asks for the delete; the answer (and the retry) goes out as `answering`."""
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {first}"},
                              timeout=httpx2.Timeout(30))

    async def accept(ctx: Any, params: Any) -> ElicitResult:
        http.headers["Authorization"] = f"Bearer {answering}"
        return ElicitResult(action="accept", content={"confirm": True})

    async with Client(streamable_http_client(url, http_client=http), elicitation_callback=accept) as client:
        listed = await client.call_tool("list_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1001})
        first_id = listed.structured_content["rows"][0][0]
        return await client.call_tool("delete_serial_numbers", {
            "resource_type": "ManufacturingOrder", "resource_id": 1001, "ids": [first_id]})


async def test_the_same_person_confirms_and_it_deletes(two_people: tuple[str, Sandbox, str, str]) -> None:
    url, sandbox, ada, _ = two_people
    r = await confirmed_delete(url, ada, ada)
    assert not r.is_error and r.structured_content["removed"]["count"] == 1
    assert [q.method for q in sandbox.requests].count("DELETE") == 1


async def test_a_confirmation_replayed_by_another_person_deletes_nothing(
    two_people: tuple[str, Sandbox, str, str]
) -> None:
    url, sandbox, ada, bob = two_people
    with pytest.raises(BaseException) as info:
        await confirmed_delete(url, ada, bob)
    assert "Invalid or expired requestState" in " ".join(leaves(info.value))
    assert "DELETE" not in [q.method for q in sandbox.requests]


def leaves(exc: BaseException) -> list[str]:
    if isinstance(exc, BaseExceptionGroup):
        return [m for inner in exc.exceptions for m in leaves(inner)]
    return [str(exc)]
