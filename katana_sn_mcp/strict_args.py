"""Check every tool call's raw arguments against the tool's published schema, first.

This is a context-tier `ServerMiddleware`, the SDK's public hook that runs before the SDK's
own pydantic validation. Three reasons it exists:

- the SDK ignores unknown keys; for a tool that writes stock records a misspelt argument
  (`confrim: true`) must be an error the assistant sees, not silently dropped;
- the SDK's lax mode would turn `confirm: "yes"` into a deletion, while strict mode refuses
  `resource_id: "3001"` that some hosts always send; `arguments.check_arguments` is exact
  for booleans and forgiving for digit strings, from the very schema `tools/list` publishes;
- a person should read one plain sentence per problem, never a pydantic dump with a URL.
  Should the SDK still refuse something (a keyword we do not check), its text is rewritten.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerMiddleware, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextContent

from katana_sn_mcp.arguments import check_arguments, refusal_text

# pydantic's text: "<n> validation error(s) for <Model>" then per error a location line, an
# indented message "[type=…, input_value=…]" and an indented "For further information" URL.
_PYDANTIC_HEAD = re.compile(r"^Error executing tool (\S+): \d+ validation errors? for \S+$")
_PYDANTIC_TAIL = re.compile(r"\s*\[type=.*$")


class CheckArguments(ServerMiddleware[Any]):
    """Refuse a `tools/call` whose arguments break the tool's schema; coerce safe ones."""

    def __init__(self, server: MCPServer) -> None:
        self._server = server
        self._schemas: dict[str, dict[str, Any]] | None = None

    async def _schema(self, name: str) -> dict[str, Any] | None:
        if self._schemas is None:  # tools are fixed once the server runs: read them once
            self._schemas = {t.name: t.input_schema for t in await self._server.list_tools()}
        return self._schemas.get(name)

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        params = ctx.params or {}
        if ctx.method != "tools/call" or not isinstance(params.get("arguments") or {}, dict):
            return await call_next(ctx)
        name = str(params.get("name"))
        schema = await self._schema(name)
        if schema is None:  # unknown tool: the SDK answers that itself
            return await call_next(ctx)
        arguments, problems = check_arguments(name, schema, params.get("arguments") or {})
        if problems:
            return _refusal(refusal_text(name, problems))
        if "arguments" in params:
            ctx = replace(ctx, params={**params, "arguments": arguments})
        return _plain(await call_next(ctx))




def _refusal(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def _plain(result: HandlerResult) -> HandlerResult:
    """Rewrite a pydantic validation dump the SDK produced into plain sentences. The chain
    hands back the wire form (a dict) or, from another middleware, the model."""
    wire = result.model_dump(by_alias=True) if isinstance(result, CallToolResult) else result
    content = wire.get("content") if isinstance(wire, dict) and wire.get("isError") else None
    if not isinstance(content, list) or len(content) != 1 or not isinstance(content[0], dict):
        return result
    lines = str(content[0].get("text", "")).splitlines()
    head = _PYDANTIC_HEAD.match(lines[0]) if lines else None
    if head is None:
        return result
    problems, location = [], "arguments"
    for line in lines[1:]:
        if not line.startswith(" "):
            location = line.strip()
        elif not line.strip().startswith("For further information"):
            problems.append(f"{location}: {_PYDANTIC_TAIL.sub('', line.strip()).rstrip('.')}.")
    return _refusal(refusal_text(head.group(1), problems or ["the arguments do not fit the tool"]))
