"""Shared vocabulary of the operations: resource types and the progress callback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal, get_args

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
