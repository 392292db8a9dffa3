"""The MCP face: build the server (tools, resources, prompts, middleware) over a Katana
client factory. The tools live in tools.py, the words in present/."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.mcpserver import MCPServer

from katana_sn_mcp import __version__, cursors
from katana_sn_mcp.app_state import AppState
from katana_sn_mcp.confirm import confirmation_security
from katana_sn_mcp.journal import Journal
from katana_sn_mcp.lean_list import LeanToolList
from katana_sn_mcp.present.budget import RECENT_RESULTS
from katana_sn_mcp.progress_mcp import KeepHostWaiting
from katana_sn_mcp.prompt_library import register_prompts
from katana_sn_mcp.redact_mcp import RedactResults
from katana_sn_mcp.resources import register_resources
from katana_sn_mcp.state.memory import MemoryLocks, MemoryResults
from katana_sn_mcp.strict_args import CheckArguments
from katana_sn_mcp.tools import register_tools

if TYPE_CHECKING:
    from katana_sn_mcp.katana.client import KatanaClient

log = logging.getLogger(__name__)
RECONCILE_S = 15.0  # at most this long at start-up settling interrupted writes

INSTRUCTIONS = """Manage serial numbers in Katana MRP.
- create_serial_numbers MINTS new strings on a ManufacturingOrder or PurchaseOrderRow, and
  TRANSFERS existing strings to a SalesOrderRow, StockTransferRow, StockAdjustmentRow or
  Production. For many consecutive strings pass serial_ranges instead of listing them.
- A create can partly succeed: read `summary`, `not_applied` and `unknown`, and tell the
  person. Never re-send strings reported NOT_SEEN or unknown before verifying.
- Katana answers 204 to every delete, so that answer confirms nothing; delete_serial_numbers
  reads the resource before and after and reports what left it. Deletes need confirmation.
- Results are summarised; every item is at katana://results/{result_id}.
- list_serial_numbers returns one page; pass next_cursor for more.
- find_serial_numbers says where serial numbers are now, across the account.
- verify_serial_numbers checks the truth on the list endpoint; finish writes with it."""


def build_server(make_client: Callable[[], KatanaClient], journal: Journal | None = None,
                 *, state_key: str | None = None, **options: Any) -> MCPServer:
    """`make_client()` returns a KatanaClient (real Katana or the sandbox transport).
    `options` set AppState fields (deadline_s, rate_limit, locks, results). `state_key`
    seals the confirmation round trip so replicas sharing it can each answer its retry.
    The HTTP transport's bearer token is checked in front of the app (http.BearerTokenGate)."""
    journal = journal or Journal(None)
    # made here, not per lifespan: every session of this server shares them
    options.setdefault("locks", MemoryLocks())
    options.setdefault("results", MemoryResults(RECENT_RESULTS))

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[AppState]:
        app = AppState(make_client=make_client, journal=journal, **options)
        pending = journal.pending(quiet_s=app.longest_call_s)
        if pending:
            await _reconcile(app, pending)
        try:
            yield app
        finally:
            await app.aclose()

    if state_key:
        cursors.use_key(state_key)  # list cursors made by one replica are good on another
    mcp = MCPServer("katana-sn-mcp", version=__version__, instructions=INSTRUCTIONS,
                    lifespan=lifespan, request_state_security=confirmation_security(state_key))
    mcp.middleware.append(RedactResults())  # first: it sees every answer the rest produce
    mcp.middleware.append(CheckArguments(mcp))
    mcp.middleware.append(LeanToolList())
    mcp.middleware.append(KeepHostWaiting())  # progress while a call runs long
    register_tools(mcp)
    register_resources(mcp, journal)
    register_prompts(mcp)
    return mcp


async def _reconcile(app: AppState, pending: list[dict[str, Any]]) -> None:
    """Writes interrupted last time (an intent with no outcome) are settled by re-reading
    their resources before the first call, and logged so a person sees it happened."""
    from katana_sn_mcp.reconcile import reconcile

    with anyio.move_on_after(RECONCILE_S):
        for line in await reconcile(app.journal, app.client, pending):
            log.warning("journal: interrupted write reconciled: %s", line)
