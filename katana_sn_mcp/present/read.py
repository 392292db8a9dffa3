"""PageFacts and VerifyFacts → what the model reads."""

from __future__ import annotations

import base64
import json
from collections import Counter
from typing import Any

from katana_sn_mcp.operations import PageFacts, VerifyFacts
from katana_sn_mcp.present import words
from katana_sn_mcp.present.budget import RESULT_BYTES, level
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
    """The page's rows from `skip`, as many as fit the byte budget (at least one); the
    cursor resumes after the last one shown. Without a resource_id, counts per resource of
    the rows shown."""
    left = len(facts.rows) - skip
    best = _build(facts, skip, left)
    if _fits(best) or left <= 1:
        return best
    lo, hi = 1, left - 1  # the largest prefix that fits: sizes grow with the rows shown
    best = _build(facts, skip, 1)
    while lo <= hi:
        mid = (lo + hi) // 2
        tried = _build(facts, skip, mid)
        if _fits(tried):
            best, lo = tried, mid + 1
        else:
            hi = mid - 1
    return best


def _fits(p: Presented) -> bool:
    """A first measure, with a margin that grows with the squeeze level: the exit measures
    the final result and asks again with a tighter level when this one was not enough."""
    return (len(p.text.encode()) + len(p.result.model_dump_json().encode())
            <= RESULT_BYTES - (400 << level()))


def _build(facts: PageFacts, skip: int, keep: int) -> Presented:
    scope = " ".join(str(x) for x in (facts.resource_type, facts.resource_id) if x is not None)
    scope = scope or "this account"
    part, shown = facts.rows[skip:skip + keep], skip + keep
    cursor = (make_cursor(facts.page, facts.limit, shown, facts.resource_type,
                          facts.resource_id) if shown < len(facts.rows) else
              make_cursor(facts.page + 1, facts.limit, 0, facts.resource_type,
                          facts.resource_id) if facts.more else None)
    first = (facts.page - 1) * facts.limit + skip + 1
    span = f"rows {first}–{first + keep - 1}" if keep else "no rows"
    of = f" of {facts.total:,}" if facts.total is not None else " (Katana gave no total)"
    more = (f" More: call again with cursor=\"{cursor}\" (next_cursor)." if cursor
            else " That is all of them.")
    if facts.resource_id is None:  # many resources: say how many rows each has
        counts = Counter((r.resource_type, r.resource_id) for r in part)
        by = [ResourceCount(resource_type=t, resource_id=i, on_this_page=n) for (t, i), n in counts.items()]
        summary = (f"{scope}: {span}{of}, on {plural(len(by), 'resource')}; the counts below "
                   "are of this page's rows only, not each resource's total (filter by "
                   f"resource_id for a resource's rows).{more}")
        result = ListResult(summary=summary, resource_type=facts.resource_type,
                            resource_id=None, count=keep, total=facts.total, by_resource=by,
                            next_cursor=cursor)
        lines = [f"{c.resource_type} {c.resource_id}: {c.on_this_page} on this page" for c in by]
    else:
        columns = ["id", "serial_number"] + (["resource_type"] if facts.resource_type is None else [])
        summary = (f"{scope}: {span}{of}.{more}" if facts.rows or facts.page > 1
                   else f"{scope} {words.EMPTY_READ}")
        result = ListResult(summary=summary,
                            resource_type=facts.resource_type, resource_id=facts.resource_id,
                            count=keep, total=facts.total, columns=columns,
                            rows=[_row(r, columns) for r in part], next_cursor=cursor)
        lines = [" ".join(map(str, row)) for row in result.rows]
    return Presented(result, "\n".join([result.summary, *lines]))


def _row(r: Any, columns: list[str]) -> list[Any]:
    return [getattr(r, c) for c in columns]


def present_verify(facts: VerifyFacts) -> Presented:
    target = words.where(facts.resource_type, facts.resource_id)
    missing, lingering = facts.not_attached, facts.still_attached
    checked = len(facts.expect_attached) + len(facts.expect_absent_ids)
    failed = []
    if missing:
        failed.append(reason("NOT_ATTACHED", missing, f"Expected on {target}, not on it now."))
    if lingering:
        failed.append(reason("STILL_ATTACHED", lingering,
                             f"Expected gone from {target}, still on it now."))
    expected, named = set(facts.expect_attached), set(lingering)
    extra = [r.serial_number for r in facts.rows
             if r.serial_number not in expected and r.id not in named]
    lead = []
    if facts.expect_attached:
        on = len(facts.expect_attached) - len(missing)
        lead.append(f"{on:,} of {len(facts.expect_attached):,} expected "
                    f"{'is' if on == 1 else 'are'} on {target}")
    if facts.expect_absent_ids:
        gone = len(facts.expect_absent_ids) - len(lingering)
        lead.append(f"{gone:,} of {plural(len(facts.expect_absent_ids), 'id')} expected gone "
                    f"{'is' if gone == 1 else 'are'} gone from {target}")
    summary = "; ".join(lead) + "."
    if not facts.rows:
        summary += (f" Not confirmed: {target} {words.EMPTY_READ}")
    elif failed:
        summary += " Not confirmed."
    else:
        summary += " Confirmed: every expectation holds."
    summary += f" {target} has {plural(len(facts.rows), 'serial number')} now (read just now)"
    summary += (f", {len(extra):,} of them not expected." if facts.expect_attached and extra
                else ".")
    unexpected = (reason("NOT_EXPECTED", extra, f"On {target}, not among expect_attached.")
                  if facts.expect_attached and extra else None)
    result = VerifyResult(
        summary=summary, all_confirmed=not failed and bool(facts.rows),
        resource_type=facts.resource_type, resource_id=facts.resource_id,
        on_resource=len(facts.rows), checked=checked,
        holding=checked - len(missing) - len(lingering), failed=failed, not_expected=unexpected)
    lines = [summary, *reason_lines(failed)]
    if unexpected:
        lines += reason_lines([unexpected])
    return Presented(result, "\n".join(lines))
