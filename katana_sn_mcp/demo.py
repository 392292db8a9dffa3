"""`katana-sn-mcp demo`: a short scripted session against the sandbox through a real MCP
client, printed the way an assistant would see it. Needs no Katana account.

The demo never runs the MCP server over stdio, so printing to stdout is fine here.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

import anyio

from katana_sn_mcp import redact
from katana_sn_mcp.present.budget import result_bytes


def _show(out: TextIO, step: str, tool: str, args: dict[str, Any], result: Any) -> None:
    out.write(redact.text(_render(step, tool, args, result)))


def _render(step: str, tool: str, args: dict[str, Any], result: Any) -> str:
    """The call, then the text block exactly as the assistant reads it, and its size."""
    texts = [c.text for c in result.content if getattr(c, "type", "") == "text"]
    size = result_bytes(result)
    mark = "✗ tool error" if result.is_error else "←"
    body = "\n".join(texts).replace("\n", "\n  ")
    lines = [f"\n── {step}", f"→ {tool}({json.dumps(args)})", f"{mark} {body}"]
    lines.append(f"  [{size:,} bytes in all]")
    return "\n".join(lines) + "\n"


async def session(out: TextIO, mode: str = "seeds") -> None:
    from mcp import Client

    from katana_sn_mcp.journal import Journal
    from katana_sn_mcp.runtime import sandbox_factory
    from katana_sn_mcp.sandbox import Sandbox, SandboxConfig
    from katana_sn_mcp.server import build_server
    from katana_sn_mcp.settings import Settings

    sandbox = Sandbox(SandboxConfig(mode=mode))  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as tmp:
        server = build_server(sandbox_factory(sandbox, Settings()),
                              Journal(Path(tmp) / "journal.jsonl"))
        out.write(f"katana-sn-mcp demo: a scripted session against the embedded sandbox "
                  f"Katana ({mode} behaviour).\n")
        async with Client(server) as client:
            async def call(step: str, tool: str, args: dict[str, Any]) -> Any:
                result = await client.call_tool(tool, args)
                _show(out, step, tool, args, result)
                return result

            await call("1. Mint 1,000 serial numbers on manufacturing order 1003, as one range",
                       "create_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                 "resource_id": 1003, "serial_ranges": [
                                                     {"prefix": "DEMO-", "first": 1, "last": 1000,
                                                      "width": 4}]})
            await call("2. Transfer two of them to sales order row 3001, plus one string that "
                       "exists nowhere", "create_serial_numbers",
                       {"resource_type": "SalesOrderRow", "resource_id": 3001,
                        "serial_numbers": ["DEMO-0001", "DEMO-0002", "DEMO-404"]})
            keep = sandbox.find("SN-1001-001")
            wrong = sandbox.find("PO-2001-A")
            ids = [i for i in (keep.id if keep else None, wrong.id if wrong else None) if i]
            await call("3. Delete one serial from manufacturing order 1001, and by mistake one "
                       "that is on a purchase order row", "delete_serial_numbers",
                       {"resource_type": "ManufacturingOrder", "resource_id": 1001,
                        "ids": ids, "confirm": True})
            await call("4. Verify the sales order row",
                       "verify_serial_numbers",
                       {"resource_type": "SalesOrderRow", "resource_id": 3001,
                        "expect_attached": ["DEMO-0001", "DEMO-0002", "DEMO-404"]})
            await call("5. Verify the deleted id is gone", "verify_serial_numbers",
                       {"resource_type": "ManufacturingOrder", "resource_id": 1001,
                        "expect_absent_ids": ids[:1]})
        out.write("\nEvery answer above came through a real MCP client; the facts after each "
                  "write were re-read from the (sandbox) list endpoint.\n")


def run_demo(args: argparse.Namespace) -> None:
    try:
        anyio.run(session, sys.stdout, args.sandbox_mode)
    except* BrokenPipeError:  # `katana-sn-mcp demo | head`: the reader left, that is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
