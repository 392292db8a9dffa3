"""Reject tool calls that carry arguments the tool does not declare.

The SDK ignores unknown keys; for a tool that writes stock records a misspelt argument
(`confrim: true`) must be an error the assistant sees, not silently dropped. This is a
context-tier `ServerMiddleware`, the SDK's public hook that runs before validation.
"""

from __future__ import annotations

from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerMiddleware, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextContent


class RejectUnknownArguments(ServerMiddleware[Any]):
    def __init__(self, server: MCPServer) -> None:
        self._server = server
        self._accepted: dict[str, set[str]] | None = None

    async def _accepted_args(self, name: str) -> set[str] | None:
        if self._accepted is None:  # tools are fixed once the server runs: read them once
            tools = await self._server.list_tools()
            self._accepted = {t.name: set(t.input_schema.get("properties", {})) for t in tools}
        return self._accepted.get(name)

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        params = ctx.params or {}
        if ctx.method == "tools/call" and isinstance(params.get("arguments"), dict):
            name = str(params.get("name"))
            allowed = await self._accepted_args(name)
            if allowed is not None:
                extra = sorted(set(params["arguments"]) - allowed)
                if extra:
                    text = (f"Error executing tool {name}: unknown argument(s) "
                            f"{', '.join(extra)}. Accepted: {', '.join(sorted(allowed))}. "
                            "Nothing was sent to Katana.")
                    return CallToolResult(content=[TextContent(type="text", text=text)],
                                          is_error=True)
        return await call_next(ctx)
