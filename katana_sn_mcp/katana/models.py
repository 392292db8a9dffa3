"""Wire models for Katana's serial-number endpoints, tolerant of every known variant.

Katana has sent JSON null, the literal string "null" and the literal string "undefined"
for the same fields; bodies come wrapped (`{"data": [...]}`) or bare; errors come nested
(`{"error": {...}}`) or flat, with Ajv v6 or v8 details. We read all of them into one shape
and keep unknown fields (`extra="allow"`) so nothing Katana adds later is lost or rejected.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from katana_sn_mcp import redact

PAGE_SIZE = 250  # Katana's maximum page; larger limits are silently clamped
SENTINELS = frozenset({"undefined", "null", ""})


def _none_if_sentinel(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in SENTINELS:
        return None
    return value


class Tolerant(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class SerialRecord(Tolerant):
    """One serial-number row as POST (successful[]) or GET returns it."""

    id: int | None = None
    serial_number: str
    resource_type: str | None = None
    resource_id: int | None = None
    transaction_id: str | None = None
    transaction_date: str | None = None
    quantity_change: int | None = None

    _clean = field_validator(
        "id", "resource_type", "resource_id", "transaction_id", "transaction_date",
        "quantity_change", mode="before",
    )(_none_if_sentinel)

    @property
    def landing_known(self) -> bool:
        """False when Katana did not say where the record landed (the transfer quirk)."""
        return self.resource_id is not None and self.transaction_id is not None


class StockTransaction(Tolerant):
    """One ledger entry of a serial number (`/serial_numbers_stock`): where it went and when.
    A reservation has no date; the entry's `id` can change when Katana stamps it."""

    id: str | None = None
    resource_type: str | None = None
    resource_id: int | None = None
    transaction_date: str | None = None
    quantity_change: int | None = None

    _clean = field_validator("id", "resource_type", "resource_id", "transaction_date",
                             "quantity_change", mode="before")(_none_if_sentinel)


class StockRecord(Tolerant):
    """One row of `GET /serial_numbers_stock`: a serial number of the account, whether it
    is in stock (not the sum of its quantity changes), and its transactions."""

    id: int | None = None
    serial_number: str
    in_stock: bool | None = None
    transactions: list[StockTransaction] = Field(default_factory=list)

    _clean = field_validator("id", "in_stock", mode="before")(_none_if_sentinel)

    @field_validator("transactions", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


class FailedItem(Tolerant):
    """A string Katana refused inside a 200; `reason` is open-ended (DUPLICATE, MISSING, ...)."""

    serial_number: str
    reason: str = "UNKNOWN"

    @field_validator("reason", mode="before")
    @classmethod
    def _reason(cls, value: Any) -> str:
        return str(value).strip().upper() if value not in (None, "") else "UNKNOWN"


class CreateResponse(Tolerant):
    """POST /serial_numbers 200 body, or an empty 204 (`no_content=True`)."""

    successful: list[SerialRecord] = Field(default_factory=list)
    failed: list[FailedItem] = Field(default_factory=list)
    no_content: bool = False
    status: int = 200
    sends: int = 1

    @field_validator("successful", "failed", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


_V6_INDEX = re.compile(r"\[['\"]?([^'\"\]]+)['\"]?\]")


def normalise_path(path: str | None) -> str:
    """Ajv v6 `.ids[0]` / `['ids'][0]` and v8 `/ids/0` both become `/ids/0`."""
    if not path:
        return ""
    if path.startswith("/"):
        return path
    dotted = _V6_INDEX.sub(r".\1", path)
    return "/" + "/".join(p for p in dotted.split(".") if p)


class ValidationDetail(Tolerant):
    """One Ajv error; `path` is normalised to a JSON pointer."""

    path: str = ""
    code: str | None = None
    message: str = ""
    info: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def parse(cls, raw: Any) -> ValidationDetail:
        if not isinstance(raw, dict):
            return cls(message=str(raw))
        path = raw.get("path", raw.get("instancePath", raw.get("dataPath")))
        info = raw.get("info") or raw.get("params") or {}
        return cls(
            path=normalise_path(path if isinstance(path, str) else None),
            code=raw.get("code") or raw.get("keyword"),
            message=str(raw.get("message", "")),
            info=info if isinstance(info, dict) else {"value": info},
        )

    @property
    def field(self) -> str:
        """The property the error is about (`/ids/0` → `ids[0]`, root → the info's key)."""
        parts = [p for p in self.path.split("/") if p]
        name = ""
        for part in parts:
            name += f"[{part}]" if part.isdigit() else (f".{part}" if name else part)
        if not name:
            info = self.info
            name = str(info.get("missingProperty") or info.get("additionalProperty") or "")
        return name or "(request body)"


KATANA_TEXT_CHARS = 500  # Katana's own words (a message, an HTML page) are cut here


def katana_text(value: Any, limit: int = KATANA_TEXT_CHARS) -> str:
    """Katana's words, bounded: a body can be any size, and every result that quotes it has
    a byte budget. Secrets are cut out *before* the text is shortened, so a cut can never
    leave half a secret that the redactor would no longer recognise."""
    text = redact.text(str(value))
    return text if len(text) <= limit else text[:limit] + "…"


class ErrorBody(Tolerant):
    """Katana's error body, nested `{"error": {...}}` or flat."""

    status_code: int | None = None
    name: str | None = None
    message: str = ""
    code: str | None = None
    details: list[ValidationDetail] = Field(default_factory=list)

    @classmethod
    def parse(cls, payload: Any) -> ErrorBody:
        body = payload
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            body = payload["error"]
        if not isinstance(body, dict):
            return cls(message=katana_text(payload) if payload not in (None, "") else "")
        details = body.get("details") or body.get("error_details") or []
        code = body.get("code")
        status = body.get("statusCode", body.get("status_code"))
        return cls(
            status_code=status if isinstance(status, int) else None,
            name=katana_text(body["name"], 100) if isinstance(body.get("name"), str) else None,
            message=katana_text(body.get("message") or body.get("error") or ""),
            code=str(code) if code is not None else None,
            details=[ValidationDetail.parse(d) for d in details if d is not None]
            if isinstance(details, list) else [],
        )


def _rows(payload: Any, what: str) -> list[Any]:
    """A list body's rows: `{"data": [...]}` (live) or a bare array (older docs, the portal's
    examples); no rows for `null`."""
    rows = payload.get("data", []) if isinstance(payload, dict) else payload
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise ValueError(f"{what} body is neither an array nor {{data: [...]}}")
    return rows


def parse_list(payload: Any) -> list[SerialRecord]:
    """GET /serial_numbers body."""
    return [SerialRecord.model_validate(r) for r in _rows(payload, "list")]


def parse_stock(payload: Any) -> list[StockRecord]:
    """GET /serial_numbers_stock body."""
    return [StockRecord.model_validate(r) for r in _rows(payload, "stock")]


def page_meta(header: str | None) -> tuple[bool, int | None]:
    """Katana's `X-Pagination` JSON header (values are strings: "true", "8"): whether this
    is the last page, and the total row count. (False, None) when absent or unreadable, so
    the caller falls back to reading until a short page."""
    if not header:
        return False, None
    try:
        meta = json.loads(header)
        total = int(meta["total_records"]) if "total_records" in meta else None
        if str(meta.get("last_page", "")).lower() == "true":
            return True, total
        return int(meta.get("page", 0)) >= int(meta.get("total_pages", 10**9)), total
    except (ValueError, TypeError, AttributeError):
        return False, None
