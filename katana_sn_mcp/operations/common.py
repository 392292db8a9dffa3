"""Shared vocabulary of the operations: resource types, the progress callback, and the
read-back every write ends with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal, get_args

from katana_sn_mcp.katana.errors import Answer, KatanaError

if TYPE_CHECKING:
    from katana_sn_mcp.katana.client import KatanaClient
    from katana_sn_mcp.katana.models import SerialRecord

MINT_TYPES = frozenset({"ManufacturingOrder", "PurchaseOrderRow"})
WriteType = Literal[
    "ManufacturingOrder", "PurchaseOrderRow", "SalesOrderRow", "StockTransferRow",
    "StockAdjustmentRow", "Production",
]
ReadType = Literal[
    "ManufacturingOrder", "PurchaseOrderRow", "SalesOrderRow", "StockTransferRow",
    "StockAdjustmentRow", "Production", "SalesOrderFulfillmentRow",
]
READ_TYPES = frozenset(get_args(ReadType))
Progress = Callable[[int, int], Awaitable[None]]


async def read_back(client: KatanaClient, resource_type: str, resource_id: int,
                    progress: Progress | None) -> list[SerialRecord] | Answer:
    """The resource's rows, read again after a write; or, when that read failed, Katana's
    answer to it (the write's outcome then stays as the write's own answer left it)."""
    try:
        return await client.list_all(resource_type=resource_type, resource_id=resource_id,
                                     on_page=progress)
    except KatanaError as exc:
        return Answer.of_error(exc)
