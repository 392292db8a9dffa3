"""tools/list without pydantic's generated titles: every input property and model carried
a `title` made from its own name ("resource_id" → "Resource Id"), about a kilobyte of the
listing every host loads into the model's context, saying nothing the name does not.

A context-tier `ServerMiddleware` (the SDK's public hook), so the schemas stay the SDK's
own, generated from the tool signatures; only the redundant titles leave. Tool titles
(`Tool.title`) are kept."""

from __future__ import annotations

from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerMiddleware, ServerRequestContext
from pydantic import BaseModel


def untitled(schema: Any) -> Any:
    """`schema` without `"title": "<string>"` keys at any depth (a property *named* title,
    whose value is a schema, stays)."""
    if isinstance(schema, dict):
        return {k: untitled(v) for k, v in schema.items()
                if not (k == "title" and isinstance(v, str))}
    if isinstance(schema, list):
        return [untitled(v) for v in schema]
    return schema


class LeanToolList(ServerMiddleware[Any]):
    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        result = await call_next(ctx)
        if ctx.method != "tools/list":
            return result
        wire = (result.model_dump(by_alias=True, mode="json", exclude_none=True)
                if isinstance(result, BaseModel) else result)
        if not isinstance(wire, dict):
            return result
        for tool in wire.get("tools", []):
            if isinstance(tool, dict) and "inputSchema" in tool:
                tool["inputSchema"] = untitled(tool["inputSchema"])
        return wire
