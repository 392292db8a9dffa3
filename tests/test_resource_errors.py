"""A resource URI that names nothing is the client's to fix: JSON-RPC invalid params
(-32602, which the SDK and SEP-2164 use for "resource not found"), never an internal error
(-32603), and no Katana request is made for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp.shared.exceptions import MCPError
from mcp.types import INTERNAL_ERROR, INVALID_PARAMS

from tests.conftest import make_harness

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("uri", [
    "katana://results/0123456789ab",  # a result this server does not keep
    "katana://results/..%2F..%2Fetc",
    "katana://serial-numbers/Nope/1",  # malformed: type
    "katana://serial-numbers/ManufacturingOrder/0",  # malformed: id
    "katana://serial-numbers/ManufacturingOrder/abc",
    "katana://nothing-here",  # no such resource at all
    "katana://results/",
])
async def test_a_uri_naming_nothing_is_invalid_params_not_internal_error(
        tmp_path: Path, uri: str) -> None:
    h = make_harness(tmp_path)
    async with h.client() as client:
        with pytest.raises(MCPError) as caught:
            await client.read_resource(uri)
    assert caught.value.error.code == INVALID_PARAMS != INTERNAL_ERROR
    assert h.sandbox.requests == []


async def test_an_aged_out_result_keeps_its_explanation(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    async with h.client() as client:
        with pytest.raises(MCPError) as caught:
            await client.read_resource("katana://results/0123456789ab")
    assert caught.value.error.code == INVALID_PARAMS
    assert caught.value.error.message.startswith(
        "Result 0123456789ab is not among the write results this server keeps")
