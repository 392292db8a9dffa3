"""PageFacts and VerifyFacts → what the model reads."""

from __future__ import annotations

import base64
import json
from collections import Counter
from typing import Any

from katana_sn_mcp.operations import PageFacts, VerifyFacts
from katana_sn_mcp.present import words
from katana_sn_mcp.present.budget import RESULT_BYTES
from katana_sn_mcp.present.common import Presented, reason, reason_lines
from katana_sn_mcp.present.compress import plural
from katana_sn_mcp.results import ListResult, ResourceCount, VerifyResult


class BadCursor(ValueError):
    """A cursor this server did not make, or one from another listing."""


def make_cursor(page: int, limit: int, skip: int, rtype: str | None, rid: int | None) -> str:
    raw = json.dumps([page, limit, skip, rtype, rid], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_cursor(cursor: str, rtype: str | None, rid: int | None) -> tuple[int, int, int]:
    """(page, limit, skip) from a cursor, checked against the listing it is used for."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        page, limit, skip, ctype, cid = json.loads(raw)
        assert isinstance(page, int) and isinstance(limit, int) and isinstance(skip, int)
    except Exception as exc:
        raise BadCursor("next_cursor is not one this server returned; pass it back unchanged") from exc
    if (ctype, cid) != (rtype, rid):
        raise BadCursor("this next_cursor belongs to a listing with other filters; pass the "
                        "same resource_type and resource_id as the call that returned it")
    return page, limit, skip


def present_page(facts: PageFacts, skip: int = 0) -> Presented:
    scope = " ".join(str(x) for x in (facts.resource_type, facts.resource_id) if x is not None)
    scope = scope or "this account"
    rows = facts.rows[skip:]
    of = f" of {facts.total}" if facts.total is not None else ""
    if facts.resource_id is None:  # many resources: say how many rows each has
        counts = Counter((r.resource_type, r.resource_id) for r in rows)
        by = [ResourceCount(resource_type=t, resource_id=i, count=n) for (t, i), n in counts.items()]
        result = ListResult(
            summary=f"{plural(len(rows), 'serial number')}{of} on {scope}, on "
                    f"{plural(len(by), 'resource')}; filter by resource_id to see them.",
            resource_type=facts.resource_type, resource_id=None, count=len(rows),
            total=facts.total, by_resource=by)
        return _fit(facts, result, skip, [f"{c.resource_type} {c.resource_id}: {c.count}" for c in by])
    columns = ["id", "serial_number"] + (["resource_type"] if facts.resource_type is None else [])
    result = ListResult(summary="", resource_type=facts.resource_type,
                        resource_id=facts.resource_id, count=0, total=facts.total,
                        columns=columns, rows=[_row(r, columns) for r in rows])
    return _fit(facts, result, skip, [" ".join(map(str, row)) for row in result.rows], scope, of)


def _row(r: Any, columns: list[str]) -> list[Any]:
    return [getattr(r, c) for c in columns]


def _fit(facts: PageFacts, result: ListResult, skip: int, lines: list[str],
         scope: str = "", of: str = "") -> Presented:
    """Drop rows from the end until everything fits the budget; the cursor resumes there."""
    keep = len(lines)
    while True:
        shown = skip + keep
        more_on_page = shown < len(facts.rows)
        cursor = (make_cursor(facts.page, facts.limit, shown, facts.resource_type,
                              facts.resource_id) if more_on_page else
                  make_cursor(facts.page + 1, facts.limit, 0, facts.resource_type,
                              facts.resource_id) if facts.more else None)
        if result.columns:
            first = (facts.page - 1) * facts.limit + skip + 1
            span = f"rows {first}–{first + keep - 1}" if keep else "no rows"
            result.summary = (f"{scope}: {span}{of}." + (" More: pass next_cursor." if cursor else
                                                          " That is all of them."))
            result.rows, result.count = result.rows[:keep], keep
        else:
            result.by_resource, result.count = result.by_resource[:keep], result.count
        result.next_cursor = cursor
        text = "\n".join([result.summary, *lines[:keep]])
        size = len(text.encode()) + len(result.model_dump_json().encode())
        if size <= RESULT_BYTES - 400 or keep == 0:
            return Presented(result, text)
        keep = max(0, keep - max(1, (size - RESULT_BYTES) // 40 + 1))


def present_verify(facts: VerifyFacts) -> Presented:
    target = words.where(facts.resource_type, facts.resource_id)
    missing, lingering = facts.not_attached, facts.still_attached
    checked = len(facts.expect_attached) + len(facts.expect_absent_ids)
    failed = []
    if missing:
        failed.append(reason("NOT_ATTACHED", missing, f"Expected on {target}, not on it now."))
    if lingering:
        failed.append(reason("STILL_ATTACHED", [str(i) for i in lingering],
                             f"Expected gone from {target}, still on it now."))
    empty = not facts.rows
    if empty:
        summary = (f"Not confirmed: {target} has no serial numbers at all. Katana's list cannot "
                   "tell an empty resource from one that does not exist or from a wrong "
                   "resource_type, so this proves nothing: check the id and type.")
    elif failed:
        bad = " and ".join(
            plural(g.count, "string") + " not on it" if g.reason == "NOT_ATTACHED"
            else plural(g.count, "id") + " still on it" for g in failed)
        summary = f"Not confirmed on {target}: {bad}, of {plural(checked, 'item')} checked."
    else:
        summary = (f"Confirmed on {target}: the {plural(checked, 'expectation')} checked "
                   f"{'holds' if checked == 1 else 'all hold'}.")
    summary += f" {target} has {plural(len(facts.rows), 'serial number')} now (read just now)."
    result = VerifyResult(
        summary=summary, all_confirmed=not failed and not empty,
        resource_type=facts.resource_type, resource_id=facts.resource_id,
        on_resource=len(facts.rows), checked=checked,
        holding=checked - len(missing) - len(lingering), failed=failed)
    return Presented(result, "\n".join([summary, *reason_lines(failed)]))
