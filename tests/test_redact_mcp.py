"""The redaction middleware on its own: a bare MCPServer with only `RedactResults` in front
of a tool, a resource and an error that all carry a secret. The same server without the
middleware leaks it, so these tests fail if the middleware stops redacting."""

from __future__ import annotations

import json

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel

from katana_sn_mcp import redact
from katana_sn_mcp.redact_mcp import RedactResults

pytestmark = pytest.mark.anyio
SECRET = "sk-redact-middleware-only-0123456789abcdef"


class Echo(BaseModel):
    summary: str
    nested: dict[str, list[str]]


def bare(with_middleware: bool) -> MCPServer:
    redact.register(SECRET)
    mcp = MCPServer("bare")
    if with_middleware:
        mcp.middleware.append(RedactResults())

    @mcp.tool()
    def echo() -> Echo:
        """Says the secret back."""
        return Echo(summary=f"key {SECRET} here", nested={"deep": [f"Bearer {SECRET}"]})

    @mcp.tool()
    def fail() -> str:
        """Fails, naming the secret."""
        raise ToolError(f"Katana said: bad key {SECRET}")

    @mcp.resource("bare://secret")
    def secret() -> str:
        return json.dumps({"echo": SECRET})

    @mcp.resource("bare://broken/{name}")
    def broken(name: str) -> str:
        raise ResourceError(f"cannot read {name} with {SECRET}")

    return mcp


async def everything(mcp: MCPServer) -> str:
    """All a client receives from the four, as one string."""
    async with Client(mcp) as c:
        ok = await c.call_tool("echo", {})
        failed = await c.call_tool("fail", {})
        body = (await c.read_resource("bare://secret")).contents[0]
        try:
            await c.read_resource("bare://broken/x")
            error = ""
        except MCPError as exc:
            error = f"{exc.error.code} {exc.error.message} {exc.error.data}"
    return json.dumps([ok.model_dump(mode="json"), failed.model_dump(mode="json"),
                       body.model_dump(mode="json"), error])


async def test_without_the_middleware_the_secret_leaks_everywhere() -> None:
    seen = await everything(bare(with_middleware=False))
    assert seen.count(SECRET) >= 5  # text, structured (twice), error, resource, resource error


async def test_the_middleware_alone_cuts_the_secret_from_every_answer() -> None:
    seen = await everything(bare(with_middleware=True))
    assert SECRET not in seen
    assert seen.count(redact.MARK) >= 5
    assert "key [redacted] here" in seen and "cannot read x with [redacted]" in seen
