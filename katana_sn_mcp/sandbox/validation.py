"""Ajv-style request checking, as Katana's LoopBack gateway does it: every schema error
is collected (allErrors) and reported in the v8 dialect (JSON pointers, "must ...") or,
as an option, the stale v6 dialect from Katana's docs (`.ids[0]`, "should ...")."""

from __future__ import annotations

from typing import Any

MAX_ID = 2147483647


def _detail(path: list[str | int], code: str, message: str, info: dict[str, Any]) -> dict:
    return {"path": path, "code": code, "message": message, "info": info}


def check_body(body: Any, required: list[str], enum: list[str], list_key: str,
               item_type: str) -> list[dict]:
    """Schema of POST (`serial_numbers`: strings) and DELETE (`ids`: numbers) bodies."""
    if not isinstance(body, dict):
        return [_detail([], "type", "must be object", {"type": "object"})]
    errors = []
    allowed = {"resource_type", "resource_id", list_key}
    for key in body:
        if key not in allowed:
            errors.append(_detail([], "additionalProperties", "must NOT have additional properties",
                                  {"additionalProperty": key}))
    for key in required:
        if key not in body:
            errors.append(_detail([], "required", f"must have required property '{key}'",
                                  {"missingProperty": key}))
    if "resource_id" in body:
        errors += _check_id(body["resource_id"])
    if "resource_type" in body and body["resource_type"] not in enum:
        errors.append(_detail(["resource_type"], "enum", "must be equal to one of the allowed values",
                              {"allowedValues": enum}))
    if list_key in body:
        errors += _check_items(body[list_key], list_key, item_type)
    return errors


def _check_id(rid: Any) -> list[dict]:
    if not isinstance(rid, int) or isinstance(rid, bool):
        return [_detail(["resource_id"], "type", "must be integer", {"type": "integer"})]
    if rid < 1:
        return [_detail(["resource_id"], "minimum", "must be >= 1", {"comparison": ">=", "limit": 1})]
    if rid > MAX_ID:
        return [_detail(["resource_id"], "maximum", f"must be <= {MAX_ID}",
                        {"comparison": "<=", "limit": MAX_ID})]
    return []


def _check_items(items: Any, list_key: str, item_type: str) -> list[dict]:
    if not isinstance(items, list):
        return [_detail([list_key], "type", "must be array", {"type": "array"})]

    def ok(item: Any) -> bool:
        if item_type == "string":
            return isinstance(item, str)
        return isinstance(item, int | float) and not isinstance(item, bool)

    return [_detail([list_key, n], "type", f"must be {item_type}", {"type": item_type})
            for n, item in enumerate(items) if not ok(item)]


def render(details: list[dict], dialect: str) -> list[dict]:
    """Turn path lists into the wire dialect."""
    out = []
    for d in details:
        path = d["path"]
        if dialect == "v6":
            text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
            message = d["message"].replace("must ", "should ", 1)
        else:
            text = "".join(f"/{p}" for p in path)
            message = d["message"]
        out.append({**d, "path": text, "message": message})
    return out
