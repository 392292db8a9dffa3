"""MCP resources: the guide, the write journal, and one resource's serial numbers."""

from __future__ import annotations

import json
from importlib.resources import files

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError

from katana_sn_mcp import explain
from katana_sn_mcp.app_state import state
from katana_sn_mcp.journal import Journal
from katana_sn_mcp.katana.errors import KatanaError
from katana_sn_mcp.operations import list_serial_numbers
from katana_sn_mcp.operations.common import READ_TYPES


def register_resources(mcp: MCPServer, journal: Journal) -> None:
    @mcp.resource("katana://guide", name="guide", title="Serial numbers guide",
                  mime_type="text/markdown")
    def guide() -> str:
        """Mint vs transfer, failure reasons, what each Katana error means."""
        return files("katana_sn_mcp").joinpath("guide.md").read_text(encoding="utf-8")

    @mcp.resource("katana://journal/recent", name="journal", title="Recent writes",
                  mime_type="application/json")
    def recent_writes() -> str:
        """The last 100 creates and deletes this server made, with outcome and verification."""
        return json.dumps({"journal": str(journal.path) if journal.path else None,
                           "entries": journal.recent(100)}, indent=1)

    @mcp.resource("katana://serial-numbers/{resource_type}/{resource_id}",
                  name="serial-numbers", title="Serial numbers of one resource",
                  mime_type="application/json")
    async def serial_numbers_of(resource_type: str, resource_id: str, ctx: Context) -> str:
        """Every serial number on one Katana resource (all pages of the list endpoint)."""
        digits = resource_id.isascii() and resource_id.isdigit() and len(resource_id) <= 10  # not "٣"
        if resource_type not in READ_TYPES or not digits or not 0 < int(resource_id) < 2**31:
            raise ResourceError(f"Use katana://serial-numbers/<type>/<id> with an id from 1 to 2147483647 "
                                f"and a type among {', '.join(sorted(READ_TYPES))}.")
        client = state(ctx).client
        try:
            result = await list_serial_numbers(client, resource_type, int(resource_id))
        except KatanaError as exc:
            raise ResourceError(explain.error(exc, resource_type=resource_type,
                                              resource_id=int(resource_id))) from exc
        return result.model_dump_json(indent=1)
