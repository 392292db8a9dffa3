"""Sandbox configuration and the plain records it keeps and reports."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Mode = Literal["seeds", "current"]
MINT_TYPES = ("ManufacturingOrder", "PurchaseOrderRow")
TRANSFER_TYPES = ("SalesOrderRow", "StockTransferRow", "StockAdjustmentRow")
READ_TYPES = ["ManufacturingOrder", "SalesOrderRow", "Production", "SalesOrderFulfillmentRow",
              "StockAdjustmentRow", "StockTransferRow", "PurchaseOrderRow"]


def write_types(mode: Mode) -> list[str]:
    """POST's enum: `Production` joined it in mid-2026 (the 'current' behaviour)."""
    base = ["ManufacturingOrder", "StockAdjustmentRow", "StockTransferRow", "PurchaseOrderRow",
            "SalesOrderRow"]
    return [*base[:1], "Production", *base[1:]] if mode == "current" else base


@dataclass
class SandboxConfig:
    mode: Mode = "seeds"
    api_key: str = "sandbox-key"
    rate_limit: int = 60
    rate_window: float = 60.0
    error_style: Literal["nested", "flat"] = "nested"
    ajv: Literal["v8", "v6"] = "v8"
    list_shape: Literal["wrapped", "bare"] = "wrapped"
    pagination_header: bool = True
    state_file: Path | None = None
    seed: bool = True
    clock: Callable[[], float] = time.time


@dataclass
class StoredSerial:
    id: int
    serial_number: str
    resource_type: str
    resource_id: int
    transaction_id: str
    transaction_date: str | None
    quantity_change: int

    def wire(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int | None


@dataclass
class Fault:
    """A queued failure. Kinds: status, drop_before, drop_after, timeout_before,
    timeout_after, non_json_before, non_json_after (with `status`: e.g. 500 after applying),
    no_content_before, no_content_after (204, empty body), timeout_late (times out, and is
    applied after the next request), delay, churn (someone else changes the listed
    resource just before this GET is answered: `remove` of its first rows go, `add` new
    rows come, sorting before all others, or after all others with `add_last`).
    `page`: only a GET of that page matches (any request when None)."""

    kind: Literal["status", "drop_before", "drop_after", "timeout_before", "timeout_after",
                  "non_json_before", "non_json_after", "no_content_before", "no_content_after",
                  "timeout_late", "delay", "churn"]
    method: str | None = None
    count: int = 1
    status: int = 503
    retry_after: int | None = None
    delay: float = 0.0
    page: int | None = None
    add: int = 0
    add_last: bool = False
    remove: int = 0
    used: int = field(default=0, repr=False)
