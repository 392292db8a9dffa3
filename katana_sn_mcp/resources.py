"""MCP resources: the guide, recent writes, the full detail of a write result, and one
resource's serial numbers.

A URI that names nothing (a result id this server does not keep, a malformed type or id)
is the client's to fix: `ResourceNotFoundError`, JSON-RPC -32602 (invalid params, per the
SDK and SEP-2164), never -32603 (internal error). A failed Katana read stays -32603."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from katana_sn_mcp.app_state import state
from katana_sn_mcp.calls import aged_out, deadline
from katana_sn_mcp.journal import COLUMNS, Journal, row
from katana_sn_mcp.katana.errors import KatanaError
from katana_sn_mcp.operations.common import READ_TYPES
from katana_sn_mcp.present.budget import RESULT_BYTES
from katana_sn_mcp.present.errors import whole_call

_ID = re.compile(r"[0-9]{1,10}")


def recent_rows(journal: Journal, limit: int = 100) -> str:
    """The newest journal rows (at most `limit`) that fit in one result's byte budget,
    oldest first. `older_not_shown` counts every older line of this Katana's journal that
    was read back, not only those of the newest `limit`; when the journal holds more than
    is read back (a file past its tail window, a stream past its cap), it says "at least"."""
    entries = journal.all_recent()
    complete = journal.tail_complete
    rows = [list(row(e).values()) for e in entries[-limit:]]
    older = len(entries) - len(rows)
    for start in range(len(rows) + 1):
        body: dict[str, Any] = {"columns": COLUMNS, "rows": rows[start:]}
        if older + start:
            body["older_not_shown"] = older + start
            if not complete:
                body["older_not_shown_at_least"] = True
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        if len(text.encode()) <= RESULT_BYTES:
            break
    return text


def register_resources(mcp: MCPServer, journal: Journal) -> None:
    @mcp.resource("katana://guide", name="guide", title="Serial numbers guide",
                  mime_type="text/markdown")
    def guide() -> str:
        """Mint vs transfer, failure reasons, ranges, what each Katana error means."""
        return files("katana_sn_mcp").joinpath("guide.md").read_text(encoding="utf-8")

    @mcp.resource("katana://journal/recent", name="journal", title="Recent writes",
                  mime_type="application/json")
    def recent_writes() -> str:
        """This server's recent journal lines (intent, outcome, reconciled), one row each."""
        return recent_rows(journal)

    @mcp.resource("katana://results/{result_id}", name="result", title="One write result, item by item",
                  mime_type="application/json")
    async def result_detail(result_id: str, ctx: Context) -> str:
        """Every item of a create or delete result, with its state and reason."""
        detail = await state(ctx).results.get(result_id)
        if detail is None:  # JSON-RPC -32602 (SEP-2164), not an internal error
            raise ResourceNotFoundError(aged_out(result_id))
        return json.dumps(detail, separators=(",", ":"), ensure_ascii=False)

    @mcp.resource("katana://serial-numbers/{resource_type}/{resource_id}",
                  name="serial-numbers", title="Serial numbers of one resource",
                  mime_type="application/json")
    async def serial_numbers_of(resource_type: str, resource_id: str, ctx: Context) -> str:
        """Every serial number on one Katana resource (all pages of the list endpoint)."""
        if (resource_type not in READ_TYPES or not _ID.fullmatch(resource_id)
                or not 1 <= int(resource_id) <= 2147483647):
            raise ResourceNotFoundError(
                f"Use katana://serial-numbers/<type>/<id> with an id from 1 to 2147483647 and a "
                f"type among {', '.join(sorted(READ_TYPES))}.")
        app = state(ctx)
        try:
            with deadline(app):
                rows = await app.client.list_all(resource_type=resource_type,
                                                  resource_id=int(resource_id))
        except KatanaError as exc:
            raise ResourceError(whole_call(exc, f"{resource_type} {resource_id}",
                                           app.rate_limit)) from exc
        return json.dumps({"resource_type": resource_type, "resource_id": int(resource_id),
                           "count": len(rows), "columns": ["id", "serial_number"],
                           "rows": [[r.id, r.serial_number] for r in rows]},
                          separators=(",", ":"), ensure_ascii=False)
