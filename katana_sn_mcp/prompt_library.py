"""Workflow prompts. The text lives in prompts/*.md (one file each, `$name` placeholders);
this module gives each its typed arguments and registers it."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

Id = Annotated[str, Field(description="Katana id of the resource")]
Serials = Annotated[str, Field(description="serial-number strings, comma or newline separated")]
RType = Annotated[str, Field(description="Katana resource type, e.g. ManufacturingOrder")]


def template(name: str) -> Template:
    """From the installed wheel (katana_sn_mcp/prompt_files) or the source tree (prompts/)."""
    packaged = files("katana_sn_mcp").joinpath("prompt_files", f"{name}.md")
    if packaged.is_file():
        return Template(packaged.read_text(encoding="utf-8"))
    source = Path(__file__).resolve().parents[1] / "prompts" / f"{name}.md"
    return Template(source.read_text(encoding="utf-8"))


def bullets(serials: str) -> str:
    items = [s.strip() for s in serials.replace("\n", ",").split(",") if s.strip()]
    return "\n".join(f"- {s}" for s in items) or "- (none given)"


def register_prompts(mcp: MCPServer) -> None:
    @mcp.prompt(title="Mint serial numbers on a manufacturing order")
    def mint_serial_numbers(manufacturing_order_id: Id, serial_numbers: Serials) -> str:
        """Mint new serial numbers on a manufacturing order and verify them."""
        return template("mint_serial_numbers").substitute(
            manufacturing_order_id=manufacturing_order_id, serial_numbers=bullets(serial_numbers))

    @mcp.prompt(title="Move serial numbers onto a sales order row")
    def transfer_to_sales_order_row(sales_order_row_id: Id, serial_numbers: Serials) -> str:
        """Transfer existing serial numbers to a sales order row and check where they landed."""
        return template("transfer_to_sales_order_row").substitute(
            sales_order_row_id=sales_order_row_id, serial_numbers=bullets(serial_numbers))

    @mcp.prompt(title="Remove serial numbers safely")
    def remove_serial_numbers(resource_type: RType, resource_id: Id, serial_numbers: Serials) -> str:
        """Pre-check, confirm, delete and verify the removal of serial numbers."""
        return template("remove_serial_numbers").substitute(
            resource_type=resource_type, resource_id=resource_id,
            serial_numbers=bullets(serial_numbers))

    @mcp.prompt(title="Audit a resource's serial numbers")
    def audit_serial_numbers(resource_type: RType, resource_id: Id,
                             expected_serial_numbers: Serials) -> str:
        """Compare a resource's serial numbers with an expected list, read-only."""
        return template("audit_serial_numbers").substitute(
            resource_type=resource_type, resource_id=resource_id,
            expected_serial_numbers=bullets(expected_serial_numbers))
