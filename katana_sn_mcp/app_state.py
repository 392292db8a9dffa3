"""What every session shares: one Katana client (made on first use), the journal, the
account-wide write lock, the recent results, and the per-call limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from mcp.server.mcpserver import Context

from katana_sn_mcp.journal import Journal
from katana_sn_mcp.state import ResultStore, WriteLocks

if TYPE_CHECKING:
    from katana_sn_mcp.katana.client import KatanaClient


@dataclass
class AppState:
    """Shared by every session. The Katana client (and with it the HTTP stack) is made on
    first use, so `initialize` and `tools/list` answer at the SDK's own start-up floor."""

    make_client: Callable[[], KatanaClient]
    journal: Journal
    locks: WriteLocks
    results: ResultStore
    deadline_s: float = 120.0  # per tool call: no request is started after it
    request_timeout_s: float = 30.0  # one Katana request, once started
    rate_limit: int = 60
    _client: KatanaClient | None = None

    @property
    def longest_call_s(self) -> float:
        """How long a live call can still be writing: it starts nothing after its deadline,
        and what it started by then ends within one request's timeout."""
        return self.deadline_s + self.request_timeout_s

    @property
    def client(self) -> KatanaClient:
        if self._client is None:
            self._client = self.make_client()
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def state(ctx: Context) -> AppState:
    """The lifespan's AppState, as seen from a tool, resolver or resource."""
    return cast(AppState, ctx.request_context.lifespan_context)
