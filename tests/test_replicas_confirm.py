"""A delete confirmed by the person (2026-07-28 protocol: the answer comes back as a
retry carrying sealed request state) works when the retry lands on another replica —
because every replica shares KATANA_SN_MCP_STATE_KEY — and fails without it."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import ElicitResult

from bench.replicas import TOKEN, katana, nginx, redis_server, replica_env, replicas
from tests.test_replicas import LIMIT, WINDOW, need

pytestmark = pytest.mark.anyio
STATE_KEY = "replica-state-key-" + "9f8e7d6c5b4a3210" * 2


async def accept(ctx: Any, params: Any) -> ElicitResult:
    return ElicitResult(action="accept", content={"confirm": True})


async def confirmed_delete(tmp_path: Path, **env: str) -> Any:
    need("nginx")
    with ExitStack() as stack:
        redis_url, _ = stack.enter_context(redis_server(tmp_path))
        base = stack.enter_context(katana(LIMIT, WINDOW, tmp_path))
        urls = stack.enter_context(replicas(2, replica_env(base, redis_url, LIMIT, WINDOW, **env),
                                            tmp_path))
        proxy = stack.enter_context(nginx(urls, tmp_path))
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"},
                                  timeout=httpx2.Timeout(60))
        async with Client(streamable_http_client(f"{proxy}/mcp", http_client=http),
                          elicitation_callback=accept) as client:
            listed = await client.call_tool("list_serial_numbers", {
                "resource_type": "ManufacturingOrder", "resource_id": 1001})
            first_id = listed.structured_content["rows"][0][0]
            return await client.call_tool("delete_serial_numbers", {
                "resource_type": "ManufacturingOrder", "resource_id": 1001, "ids": [first_id]})


async def test_a_confirmation_answered_on_another_replica_deletes(tmp_path: Path) -> None:
    r = await confirmed_delete(tmp_path, KATANA_SN_MCP_STATE_KEY=STATE_KEY)
    assert not r.is_error
    assert r.structured_content["removed"]["count"] == 1


async def test_without_a_shared_state_key_the_other_replica_cannot_read_the_answer(
    tmp_path: Path
) -> None:
    with pytest.raises(BaseException) as info:
        await confirmed_delete(tmp_path)
    assert "Invalid or expired requestState" in " ".join(leaves(info.value))


def leaves(exc: BaseException) -> list[str]:
    if isinstance(exc, BaseExceptionGroup):
        return [m for inner in exc.exceptions for m in leaves(inner)]
    return [str(exc)]
