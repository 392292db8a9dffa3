"""What every session shares: one Katana client (made on first use) and the journal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from mcp.server.mcpserver import Context

from katana_sn_mcp.journal import Journal

if TYPE_CHECKING:
    from katana_sn_mcp.katana.client import KatanaClient


@dataclass
class AppState:
    """Shared by every session. The Katana client (and with it the HTTP stack) is made on
    first use, so `initialize` and `tools/list` answer at the SDK's own start-up floor."""

    make_client: Callable[[], KatanaClient]
    journal: Journal
    _client: KatanaClient | None = None

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
