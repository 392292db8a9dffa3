"""Shared vocabulary of the operations: resource types and the outcome arithmetic."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal, get_args

from katana_sn_mcp.results import Outcome

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


def outcome_of(applied: int, not_applied: int, unknown: int) -> Outcome:
    """Applied only if everything is known to have landed; unknown beats not_applied."""
    if applied and not (not_applied or unknown):
        return "applied"
    if applied:
        return "partially_applied"
    return "unknown" if unknown else "not_applied"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
