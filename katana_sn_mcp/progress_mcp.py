"""Progress notifications for every tool call that runs long, in one place.

A context-tier `ServerMiddleware` listens for the facts the lower layers note
(`katana_sn_mcp.progress`) during a `tools/call`, sends each noted step at once, and while
the call runs sends a heartbeat every `HEARTBEAT_S` saying what it is doing (its phase:
waiting for the rate budget, for Katana's answer). Hosts that reset their timeout on
progress therefore keep waiting however the time is spent, including inside the pacer's
wait for room in the rate window and the delete's read-before and read-after. The count
only grows, as the protocol requires, across the delete's check, its question and its
delete. When the caller asked for no progress (no progressToken) the SDK drops each send
at no cost.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import anyio
from mcp.server.context import CallNext, HandlerResult, ServerMiddleware, ServerRequestContext

from katana_sn_mcp import progress
from katana_sn_mcp.present.progress import progress_message

HEARTBEAT_S = 5.0  # well inside any host's timeout; a notification is ~150 bytes
log = logging.getLogger(__name__)


class CallProgress:
    """One call's notifications: a count that only grows, and the phase a heartbeat repeats."""

    def __init__(self, session: Any) -> None:
        self.session, self.count, self.started = session, 0, time.monotonic()
        self.phase: tuple[str, dict[str, Any]] = ("working", {})
        self._lock = anyio.Lock()  # keeps notifications in the order their counts were taken

    async def send(self, kind: str, facts: dict[str, Any], heartbeat: bool = False) -> None:
        elapsed = time.monotonic() - self.started if heartbeat else None
        async with self._lock:
            self.count += 1
            try:
                await self.session.report_progress(self.count, None,
                                                   progress_message(kind, facts, elapsed))
            except Exception as exc:  # a host gone away must not fail the call's work
                log.debug("progress notification not sent: %s", exc)

    async def beat(self) -> None:
        while True:
            await anyio.sleep(HEARTBEAT_S)
            await self.send(*self.phase, heartbeat=True)


class KeepHostWaiting(ServerMiddleware[Any]):
    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method != "tools/call":
            return await call_next(ctx)
        call = CallProgress(ctx.session)
        with progress.listening(call):
            async with anyio.create_task_group() as group:
                group.start_soon(call.beat)
                try:
                    return await call_next(ctx)
                except Exception as exc:  # raised after the group, so it is not wrapped in one
                    failed = exc
                finally:
                    group.cancel_scope.cancel()
        raise failed
