"""Every MCP answer this server sends passes through the redactor here, in one place.

A context-tier `ServerMiddleware` wraps every request: tool results (text blocks and
`structuredContent`), resource reads, prompts, completions and the errors any of them
raise. A tool, resource or prompt added later is covered without remembering to be.
"""

from __future__ import annotations

from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerMiddleware, ServerRequestContext
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel

from katana_sn_mcp import redact


class RedactResults(ServerMiddleware[Any]):
    """Outermost of our middleware, so what the others return is redacted as well."""

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        try:
            result = await call_next(ctx)
        except MCPError as exc:
            raise MCPError(exc.code, redact.text(exc.error.message),
                           redact.value(exc.error.data)) from None
        if isinstance(result, BaseModel):  # dumped exactly as the SDK's runner would
            result = result.model_dump(by_alias=True, mode="json", exclude_none=True)
        return redact.value(result) if isinstance(result, dict) else result
