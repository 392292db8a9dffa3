"""Katana-shaped response bodies: error envelopes (nested or flat) and rate-limit headers."""

from __future__ import annotations

import json
from typing import Any

NAMES = {400: "BadRequestError", 401: "UnauthorizedError", 404: "NotFoundError",
         405: "MethodNotAllowedError", 422: "UnprocessableEntityError",
         429: "TooManyRequests", 500: "InternalServerError", 502: "BadGatewayError",
         503: "ServiceUnavailableError", 504: "GatewayTimeoutError"}
PHRASES = {401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
           429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
           503: "Service Unavailable", 504: "Gateway Timeout"}
INVALID_BODY = "The request body is invalid. See error object `details` property for more info."


def error_body(status: int, message: str | None = None, style: str = "nested",
               **extra: Any) -> dict[str, Any]:
    body = {"statusCode": status, "name": NAMES.get(status, "Error"),
            "message": message or PHRASES.get(status, "Error"), **extra}
    return {"error": body} if style == "nested" else body


def encode(payload: Any) -> bytes:
    return json.dumps(payload).encode("utf-8")


def type_words(resource_type: str) -> str:
    """`StockTransferRow` → `stock transfer row` (Katana's 404 messages)."""
    return "".join(f" {c.lower()}" if c.isupper() else c for c in resource_type).strip()
