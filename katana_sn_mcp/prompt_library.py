"""Workflow prompts. The text lives in prompts/*.md (one file each, `$name` placeholders);
this module gives each its typed arguments and registers it.

Every argument is required. The SDK's own check for a missing one raises a plain
`ValueError`, which reaches the client as a bare internal error and logs a traceback, so
each prompt here is a `CheckedPrompt` that rejects a missing or unknown argument first, as
a JSON-RPC invalid-params error (-32602) that names it.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Annotated, Any

from mcp import MCPError
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.prompts import Prompt
from mcp.server.mcpserver.prompts.base import Message
from mcp.types import INVALID_PARAMS, InputRequiredResult
from pydantic import Field

if TYPE_CHECKING:
    from mcp.server.mcpserver.context import Context

Id = Annotated[str, Field(description="Katana id of the resource")]
Serials = Annotated[str, Field(description="serial-number strings, comma or newline separated")]
RType = Annotated[str, Field(description="Katana resource type, e.g. ManufacturingOrder")]


class CheckedPrompt(Prompt):
    """A prompt whose arguments are checked before rendering, so a caller's mistake is an
    invalid-params error naming the argument instead of an internal error and a traceback."""

    async def render(self, arguments: dict[str, Any] | None,
                     context: Context[Any, Any]) -> list[Message] | InputRequiredResult:
        given = arguments or {}
        declared = [a.name for a in self.arguments or []]
        missing = [a.name for a in self.arguments or [] if a.required and a.name not in given]
        unknown = sorted(set(given) - set(declared))
        problems = []
        if missing:
            problems.append(f"missing required argument(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown argument(s) {', '.join(unknown)}")
        if problems:
            raise MCPError(code=INVALID_PARAMS, message=(
                f"Prompt {self.name}: {'; '.join(problems)}. "
                f"It takes: {', '.join(declared)}."))
        return await super().render(arguments, context)


def template(name: str) -> Template:
    """From the installed wheel (katana_sn_mcp/prompt_files) or the source tree (prompts/)."""
    packaged = files("katana_sn_mcp").joinpath("prompt_files", f"{name}.md")
    if packaged.is_file():
        return Template(packaged.read_text(encoding="utf-8"))
    source = Path(__file__).resolve().parents[1] / "prompts" / f"{name}.md"
    return Template(source.read_text(encoding="utf-8"))


def bullets(serials: str) -> str:
    """One Markdown bullet per serial, so the assistant reads a list it cannot misparse."""
    items = [s.strip() for s in serials.replace("\n", ",").split(",") if s.strip()]
    return "\n".join(f"- {s}" for s in items) or "- (none given)"


def register_prompts(mcp: MCPServer) -> None:
    """Register the workflow prompts as `CheckedPrompt`s (see the module docstring)."""

    def prompt(title: str) -> Any:
        def add(fn: Any) -> Any:
            mcp.add_prompt(CheckedPrompt.from_function(fn, title=title))
            return fn
        return add

    @prompt(title="Mint serial numbers on a manufacturing order")
    def mint_serial_numbers(manufacturing_order_id: Id, serial_numbers: Serials) -> str:
        """Mint new serial numbers on a manufacturing order and verify them."""
        return template("mint_serial_numbers").substitute(
            manufacturing_order_id=manufacturing_order_id, serial_numbers=bullets(serial_numbers))

    @prompt(title="Move serial numbers onto a sales order row")
    def transfer_to_sales_order_row(sales_order_row_id: Id, serial_numbers: Serials) -> str:
        """Transfer existing serial numbers to a sales order row and check where they landed."""
        return template("transfer_to_sales_order_row").substitute(
            sales_order_row_id=sales_order_row_id, serial_numbers=bullets(serial_numbers))

    @prompt(title="Remove serial numbers safely")
    def remove_serial_numbers(resource_type: RType, resource_id: Id, serial_numbers: Serials) -> str:
        """Pre-check, confirm, delete and verify the removal of serial numbers."""
        return template("remove_serial_numbers").substitute(
            resource_type=resource_type, resource_id=resource_id,
            serial_numbers=bullets(serial_numbers))

    @prompt(title="Audit a resource's serial numbers")
    def audit_serial_numbers(resource_type: RType, resource_id: Id,
                             expected_serial_numbers: Serials) -> str:
        """Compare a resource's serial numbers with an expected list, read-only."""
        return template("audit_serial_numbers").substitute(
            resource_type=resource_type, resource_id=resource_id,
            expected_serial_numbers=bullets(expected_serial_numbers))
