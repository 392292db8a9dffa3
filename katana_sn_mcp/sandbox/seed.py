"""Demo content for a fresh sandbox, so a new user has something to look at."""

from __future__ import annotations

from katana_sn_mcp.sandbox.store import Store

RESOURCES = [("ManufacturingOrder", 1001), ("ManufacturingOrder", 1002),
             ("ManufacturingOrder", 1003), ("PurchaseOrderRow", 2001), ("SalesOrderRow", 3001),
             ("SalesOrderRow", 3002), ("StockTransferRow", 4001), ("StockAdjustmentRow", 5001),
             ("Production", 6001)]


def seed(store: Store) -> None:
    store.resources.update(RESOURCES)
    store.linked_rows[3002] = 1002  # a make-to-order link: serials must go on the MO
    for i in range(1, 6):
        store.add(f"SN-1001-{i:03d}", "ManufacturingOrder", 1001, 0)
    for i in range(1, 3):
        store.add(f"SN-1002-{i:03d}", "ManufacturingOrder", 1002, 0)
    for s in ("PO-2001-A", "PO-2001-B"):
        store.add(s, "PurchaseOrderRow", 2001, 1)
