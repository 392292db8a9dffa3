"""The one call skeleton every tool runs through, in this order: deadline → write lock
(writes only) → journal intent (writes only) → operation → presenter → budget measured on
the final result → results store → the MCP result (or a ToolError). A result leaves by
one exit, `leave`, where its bytes are measured; no sentence is written here (they live
in present/)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent

from katana_sn_mcp.app_state import AppState, state
from katana_sn_mcp.katana.errors import Answer, KatanaError
from katana_sn_mcp.present import errors as said
from katana_sn_mcp.present.answers import said as answer_said
from katana_sn_mcp.present.budget import (
    RECENT_RESULTS,
    RESULT_BYTES,
    SQUEEZE_MAX,
    result_bytes,
    squeeze,
)
from katana_sn_mcp.present.common import Presented, bounded
from katana_sn_mcp.state import LockUnavailable

F = TypeVar("F")


def aged_out(result_id: str) -> str:
    """Read by the results resource."""
    return said.aged_out(result_id, RECENT_RESULTS)


@dataclass(frozen=True)
class Call:
    """What the skeleton needs to know of one tool call. `request` makes it a write: it is
    locked on its resource and journalled; a read has none."""

    tool: str
    target: str | None = None  # "ManufacturingOrder 1001", for error texts
    request: dict[str, Any] | None = None
    lock: str | None = None  # "ManufacturingOrder:1001"


async def run(ctx: Context, call: Call, operation: Callable[[AppState], Awaitable[F]],
              present: Callable[[F, str | None], Presented]) -> CallToolResult:
    """Run one tool call start to finish. Raises ToolError (its text measured too) for a
    call that failed as a whole; anything else leaves as a measured result."""
    app = state(ctx)
    write_id: str | None = None
    try:
        with deadline(app):
            async with _locked(app, call.lock):
                if call.request is not None:
                    write_id = app.journal.intent(call.tool, call.request, **_who(ctx))
                facts = await _settled(app, call, write_id, operation)
    except LockUnavailable as exc:  # nothing was journalled or sent
        raise error(said.lock_busy(call.target or "the resource")) from exc
    try:
        presented, out = fitted(lambda: present(facts, write_id))
    except BaseException:  # Katana may have applied the write: its outcome is not known here
        if write_id is not None:
            app.journal.outcome(write_id, call.tool, outcome="interrupted",
                                katana_answer=said.INTERRUPTED)
        raise
    if write_id is not None:
        r, detail = presented.result, presented.detail or {}
        app.journal.outcome(  # Katana's answer whole (the result's copy may be shortened)
            write_id, call.tool, outcome=getattr(r, "outcome", None),
            katana_answer=detail.get("katana") or getattr(getattr(r, "katana", None), "says", None),
            summary=getattr(r, "summary", None), items=detail.get("items"))
        if presented.detail is not None:
            await app.results.put(write_id, presented.detail)
    return out


async def _settled(app: AppState, call: Call, write_id: str | None,
                   operation: Callable[[AppState], Awaitable[F]]) -> F:
    """The operation, with the journal told the outcome of a write that failed as a whole
    (exactly one outcome line, also when the host cancels the call)."""
    def settle(outcome: str, answer: str) -> None:
        if write_id is not None:
            app.journal.outcome(write_id, call.tool, outcome=outcome, katana_answer=answer)

    try:
        return await operation(app)
    except KatanaError as exc:  # refused as a whole, or never sent: nothing applied
        settle("not_applied", answer_said(Answer.of_error(exc)))
        raise error(said.whole_call(exc, call.target, app.rate_limit)) from exc
    except ToolError:
        settle("not_applied", "not sent")
        raise
    except BaseException:  # cancelled by the host, or a crash: Katana may have applied it
        settle("interrupted", said.INTERRUPTED)
        raise


def error(text: str) -> ToolError:
    """A whole-call failure, measured like every result: its one text block fits."""
    return ToolError(bounded(text, RESULT_BYTES - 200))


def leave(p: Presented | Callable[[], Presented]) -> CallToolResult:
    """The exit for a result that needs no operation (a delete not sent)."""
    return fitted(p if callable(p) else (lambda: p))[1]


def fitted(present: Callable[[], Presented]) -> tuple[Presented, CallToolResult]:
    """Present, measure the result the host will receive, and present again with fewer
    names (never other counts) until it fits RESULT_BYTES."""
    for level in range(SQUEEZE_MAX + 1):
        with squeeze(level):
            p = present()
        out = to_call_result(p)
        if result_bytes(out) <= RESULT_BYTES:
            return p, out
    return p, out  # at the last level only counts and fixed sentences remain


def to_call_result(p: Presented) -> CallToolResult:
    """One text block (it names the full result's link itself, once: a host that passes only
    text to the model still passes the link) and the structured result."""
    return CallToolResult(content=[TextContent(type="text", text=p.text)], is_error=p.is_error,
                          structured_content=p.result.model_dump(mode="json", exclude_defaults=True))


@asynccontextmanager
async def _locked(app: AppState, key: str | None) -> AsyncIterator[None]:
    if key is None:
        yield
        return
    async with app.locks.hold(key):
        yield


@contextmanager
def deadline(app: AppState) -> Iterator[None]:
    """No Katana request is *started* after the call's deadline (see KatanaClient)."""
    from katana_sn_mcp.katana.client import deadline as var

    token = var.set(time.monotonic() + app.deadline_s)
    try:
        yield
    finally:
        var.reset(token)


def _who(ctx: Context) -> dict[str, str | None]:
    from katana_sn_mcp.tokens import caller_name, person_claim

    params = getattr(ctx.session, "client_params", None)
    info = getattr(params, "client_info", None)
    request = ctx.request_context.request
    return {"client": getattr(info, "name", None), "person": caller_name(request),
            **person_claim(request)}
