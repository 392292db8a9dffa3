"""What every tool call shares: the deadline, the journal's intent/outcome pair, the
result store, and turning a presented result into the CallToolResult the host receives."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ResourceLink, TextContent

from katana_sn_mcp.app_state import AppState, state
from katana_sn_mcp.katana.errors import Answer, KatanaError
from katana_sn_mcp.present.budget import RECENT_RESULTS
from katana_sn_mcp.present.common import Presented
from katana_sn_mcp.present.errors import whole_call
from katana_sn_mcp.state import LockUnavailable


def to_call_result(p: Presented) -> CallToolResult:
    content: list[Any] = [TextContent(type="text", text=p.text)]
    result_id = getattr(p.result, "result_id", None)
    if result_id and p.detail is not None:
        content.append(ResourceLink(
            type="resource_link", uri=f"katana://results/{result_id}", name=f"result {result_id}",
            description="every item of this result", mime_type="application/json"))
    return CallToolResult(content=content, is_error=p.is_error, structured_content=p.result.model_dump(
        mode="json", exclude_defaults=True))


@contextmanager
def deadline(app: AppState) -> Iterator[None]:
    """No Katana request is *started* after the call's deadline (see KatanaClient)."""
    from katana_sn_mcp.katana.client import deadline as var

    token = var.set(time.monotonic() + app.deadline_s)
    try:
        yield
    finally:
        var.reset(token)


def client_name(ctx: Context) -> str | None:
    params = getattr(ctx.session, "client_params", None)
    info = getattr(params, "client_info", None)
    return getattr(info, "name", None)


def failure(exc: KatanaError, app: AppState, target: str | None) -> ToolError:
    return ToolError(whole_call(exc, target, app.rate_limit))


class Write:
    """One write's journal lines: an intent now, then exactly one outcome — also when the
    call fails, is cancelled by the host, or raises something unexpected."""

    def __init__(self, app: AppState, write_id: str, tool: str) -> None:
        self.app, self.write_id, self.tool, self.done = app, write_id, tool, False

    async def finish(self, p: Presented) -> CallToolResult:
        r = p.result
        self.app.journal.outcome(
            self.write_id, self.tool, outcome=getattr(r, "outcome", None),
            katana_answer=getattr(getattr(r, "katana", None), "says", None),
            summary=getattr(r, "summary", None),
            items=(p.detail or {}).get("items"))
        self.done = True
        if p.detail is not None:
            await self.app.results.put(self.write_id, p.detail)
        return to_call_result(p)


@asynccontextmanager
async def journalled(ctx: Context, tool: str, request: dict[str, Any]) -> AsyncIterator[Write]:
    app = state(ctx)
    from katana_sn_mcp.tokens import caller_name

    who = {"client": client_name(ctx), "person": caller_name(ctx.request_context.request)}
    write = Write(app, app.journal.intent(tool, request, **who), tool)
    target = f"{request['resource_type']} {request['resource_id']}"
    try:
        with deadline(app):
            yield write
    except KatanaError as exc:  # refused as a whole, or never sent: nothing applied
        if write.done:  # its outcome is recorded: what failed came after the write
            raise
        app.journal.outcome(write.write_id, tool, outcome="not_applied",
                            katana_answer=Answer.of_error(exc).sentence())
        raise failure(exc, app, target) from exc
    except LockUnavailable as exc:
        app.journal.outcome(write.write_id, tool, outcome="not_applied",
                            katana_answer="not sent: another write held the write lock too long")
        raise ToolError("Another write through this server has been running for too long (its "
                        f"writes go one at a time), so this one to {target} was not sent. "
                        "Nothing was changed. Try again shortly.") from exc
    except ToolError:
        app.journal.outcome(write.write_id, tool, outcome="not_applied", katana_answer="not sent")
        raise
    except BaseException:  # cancelled by the host, or a crash: Katana may have applied it
        if not write.done:
            app.journal.outcome(write.write_id, tool, outcome="interrupted",
                                katana_answer="unknown: the call ended before Katana's answer was recorded")
        raise


def aged_out(result_id: str) -> str:
    return (f"Result {result_id} is not among the write results this server keeps (the last "
            f"{RECENT_RESULTS}). Where the server keeps a journal file, its outcome line with "
            f"write_id {result_id} lists every item; katana://journal/recent shows recent "
            "writes, one row each.")
