"""Where a long call is, noted by the layers that know (a page read, a wait for Katana's
rate budget, a retry) and turned into MCP progress notifications by `progress_mcp`.

Why: hosts give a tool call a fixed time (often 60 s) unless progress arrives, and the MCP
TypeScript SDK's `resetTimeoutOnProgress` (Claude Code among its users) restarts that clock
on each notification. A delete of 1,000 ids from a resource of 10,000 takes about 64 s at
Katana's 60 requests a minute: correct work the person would otherwise see time out.

This module knows nothing of MCP, so `katana/` and `operations/` may note facts here; with
no call listening (the CLI, the demo, tests of the operations) a note costs nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol


class Listener(Protocol):
    """One tool call's progress: `send` a fact now, or set the `phase` a heartbeat repeats."""

    phase: tuple[str, dict[str, Any]]

    async def send(self, kind: str, facts: dict[str, Any]) -> None: ...


_listener: ContextVar[Listener | None] = ContextVar("katana_sn_mcp_progress", default=None)


async def note(kind: str, **facts: Any) -> None:
    """A step worth telling the host now (a page read, a retry). Never raises."""
    listener = _listener.get()
    if listener is not None:
        listener.phase = (kind, facts)
        await listener.send(kind, facts)


def phase(kind: str, **facts: Any) -> None:
    """What the call is doing from now on (waiting for the rate budget, waiting for Katana's
    answer); sent only by the heartbeat, so a fast step sends nothing."""
    listener = _listener.get()
    if listener is not None:
        listener.phase = (kind, facts)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


PageCallback = Callable[[int, int], Awaitable[None]]


def pages(what: str) -> PageCallback:
    """An `on_page(pages, rows)` callback for the operations: each page read is noted."""
    async def on_page(pages_read: int, rows: int) -> None:
        await note("page", what=what, pages=pages_read, rows=rows)

    return on_page
