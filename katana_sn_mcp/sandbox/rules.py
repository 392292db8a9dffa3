"""Katana's serial-number semantics, applied to a Store. Each function returns
(status, payload) and changes the store only when Katana would."""

from __future__ import annotations

import json
import math
from typing import Any

from katana_sn_mcp.sandbox.config import MINT_TYPES, READ_TYPES, SandboxConfig, write_types
from katana_sn_mcp.sandbox.store import Store
from katana_sn_mcp.sandbox.validation import check_body, render
from katana_sn_mcp.sandbox.wire import INVALID_BODY, error_body, type_words

Reply = tuple[int, Any, dict[str, str]]
IN_STOCK_TYPES = {"ManufacturingOrder", "PurchaseOrderRow", "StockTransferRow",
                  "StockAdjustmentRow", "Production"}


def _invalid(cfg: SandboxConfig, details: list[dict]) -> Reply:
    return 422, error_body(422, INVALID_BODY, cfg.error_style, code="VALIDATION_FAILED",
                           details=render(details, cfg.ajv)), {}


def _refuse(cfg: SandboxConfig, status: int, message: str) -> Reply:
    return status, error_body(status, message, cfg.error_style), {}


def create(store: Store, cfg: SandboxConfig, body: Any) -> Reply:
    errors = check_body(body, ["resource_id"], write_types(cfg.mode), "serial_numbers", "string")
    if errors:
        return _invalid(cfg, errors)
    serials = body.get("serial_numbers") or []
    rtype, rid = body.get("resource_type"), body["resource_id"]
    if not serials or rtype is None:
        return 204, None, {}  # an empty assignment: Katana answers 204 and does nothing
    if (rtype, rid) not in store.resources:
        if cfg.mode == "seeds":
            return _refuse(cfg, 422, "No entity found")
        return _refuse(cfg, 404, f"{type_words(rtype)} {rid} not found")
    if rtype == "SalesOrderRow" and rid in store.linked_rows:
        return _refuse(cfg, 422, f"SalesOrderRow {rid} is linked, serial info must be updated on MO")
    if rtype in MINT_TYPES:
        return _mint(store, rtype, rid, serials)
    return _transfer(store, cfg, rtype, rid, serials)


def _mint(store: Store, rtype: str, rid: int, serials: list[str]) -> Reply:
    ok, failed = [], []
    for s in serials:
        if store.find(s) is not None:
            failed.append({"serial_number": s, "reason": "DUPLICATE"})
        else:
            ok.append(store.add(s, rtype, rid, 0 if rtype == "ManufacturingOrder" else 1).wire())
    return 200, {"successful": ok, "failed": failed}, {}


def _transfer(store: Store, cfg: SandboxConfig, rtype: str, rid: int, serials: list[str]) -> Reply:
    unknown = [s for s in serials if store.find(s) is None]
    if unknown and cfg.mode == "current":  # newer Katana refuses the whole call
        return _refuse(cfg, 422, "UnknownSerialNumber" if rtype == "Production"
                       else "serial numbers not found")
    ok, failed = [], []
    for s in serials:
        rec = store.find(s)
        if rec is None:
            failed.append({"serial_number": s, "reason": "MISSING"})
        elif (rec.resource_type, rec.resource_id) == (rtype, rid):
            failed.append({"serial_number": s, "reason": "DUPLICATE"})
        elif rec.resource_type == "SalesOrderRow" and rtype in ("StockTransferRow",
                                                                "StockAdjustmentRow"):
            failed.append({"serial_number": s, "reason": "NOT_IN_STOCK"})
        else:
            store.move(rec, rtype, rid, -1 if rtype == "SalesOrderRow" else 1)
            quirk = "null" if cfg.mode == "current" else None  # what Katana sends back
            ok.append({**rec.wire(), "transaction_id": "undefined", "resource_id": quirk,
                       "transaction_date": quirk})
    return 200, {"successful": ok, "failed": failed}, {}


def delete(store: Store, cfg: SandboxConfig, body: Any) -> Reply:
    errors = check_body(body, ["resource_type", "resource_id", "ids"], READ_TYPES, "ids", "number")
    if errors:
        return _invalid(cfg, errors)
    store.remove(body["resource_type"], body["resource_id"], [int(i) for i in body["ids"]])
    return 204, None, {}  # whatever the ids: the answer confirms nothing


def _bad_param(cfg: SandboxConfig, name: str, value: str, enum: list[str] | None) -> Reply:
    detail = ({"path": "", "code": "enum", "message": "must be equal to one of the allowed values",
               "info": {"allowedValues": enum}} if enum else
              {"path": "", "code": "type", "message": "must be integer >= 1", "info": {}})
    return 400, error_body(400, f'Invalid data "{value}" for parameter "{name}".',
                           cfg.error_style, code="INVALID_PARAMETER_VALUE",
                           details=render([{**detail, "path": []}], cfg.ajv)), {}


def list_serials(store: Store, cfg: SandboxConfig, query: dict[str, str]) -> Reply:
    rtype = query.get("resource_type")
    if rtype is not None and rtype not in READ_TYPES:
        return _bad_param(cfg, "resource_type", rtype, READ_TYPES)
    nums: dict[str, int] = {}
    for name, default in (("resource_id", 0), ("limit", 50), ("page", 1)):
        raw = query.get(name)
        if raw is None:
            nums[name] = default
        elif not raw.isdigit() or int(raw) < 1:
            return _bad_param(cfg, name, raw, None)
        else:
            nums[name] = int(raw)
    rid, limit, page = nums["resource_id"] or None, min(nums["limit"], 250), nums["page"]
    if rtype and rid:
        rows = store.on(rtype, rid)
    else:
        rows = [r for r in store.records.values()
                if (rtype is None or r.resource_type == rtype) and (rid is None or r.resource_id == rid)]
    chunk = [r.wire() for r in rows[(page - 1) * limit: page * limit]]
    pages = max(1, math.ceil(len(rows) / limit))
    headers = {}
    if cfg.pagination_header:
        meta = {"total_records": len(rows), "total_pages": pages, "offset": (page - 1) * limit,
                "page": page, "first_page": page == 1, "last_page": page >= pages}
        # Katana sends every value as a string, booleans as "true"/"false"
        headers["x-pagination"] = json.dumps(
            {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in meta.items()})
    return 200, (chunk if cfg.list_shape == "bare" else {"data": chunk}), headers


def stock(store: Store) -> Reply:
    rows = [{"id": r.id, "serial_number": r.serial_number,
             "in_stock": r.resource_type in IN_STOCK_TYPES,
             "transactions": store.history.get(r.id, [])} for r in store.records.values()]
    return 200, {"data": rows}, {}
