"""PageFacts and VerifyFacts → what the model reads."""

from __future__ import annotations

from collections import Counter
from typing import Any

from katana_sn_mcp import cursors
from katana_sn_mcp.cursors import BadCursor, Place
from katana_sn_mcp.operations import PageFacts, VerifyFacts
from katana_sn_mcp.present import words
from katana_sn_mcp.present.budget import RESULT_BYTES, level
from katana_sn_mcp.present.common import Presented, reason, reason_lines
from katana_sn_mcp.present.compress import plural
from katana_sn_mcp.results import ListResult, ResourceCount, VerifyResult

__all__ = ["BadCursor", "make_cursor", "present_page", "present_verify", "read_cursor"]


def make_cursor(page: int, limit: int, skip: int, rtype: str | None, rid: int | None,
                after_id: int | None = None, total: int | None = None,
                moved: bool = False) -> str:
    """A signed cursor (katana_sn_mcp.cursors) for the place after the rows shown."""
    return cursors.make(Place(page, limit, skip, rtype, rid, after_id, total, moved))


def read_cursor(cursor: str, rtype: str | None, rid: int | None) -> Place:
    """Where a cursor resumes (unpacks as `page, limit, skip`), checked against the
    listing it is used for; BadCursor, one sentence, when not ours or not this listing."""
    return cursors.read(cursor, rtype, rid)


def present_page(facts: PageFacts, skip: int = 0) -> Presented:
    """The page's rows from `skip`, as many as fit the byte budget (at least one); the
    cursor resumes after the last one shown. Without a resource_id, counts per resource of
    the rows shown."""
    skip = min(skip, len(facts.rows))  # the page shrank under a cursor: nothing left on it
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
    last_id = facts.rows[shown - 1].id if shown else None
    seam = (facts.total, facts.moved)
    cursor = (make_cursor(facts.page, facts.limit, shown, facts.resource_type,
                          facts.resource_id, last_id, *seam) if shown < len(facts.rows) else
              make_cursor(facts.page + 1, facts.limit, 0, facts.resource_type,
                          facts.resource_id, last_id, *seam)
              if facts.more and facts.page < cursors.last_page(facts.limit) else None)
    first = (facts.page - 1) * facts.limit + skip + 1
    span = f"rows {first}–{first + keep - 1}" if keep else "no rows"
    of = f" of {facts.total:,}" if facts.total is not None else " (Katana gave no total)"
    more = (f" More: call again with cursor=\"{cursor}\" (next_cursor)." if cursor
            else _walk_end(facts))
    if facts.shifted:
        more = f" {words.LISTING_MOVED}{more}"
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


def _walk_end(facts: PageFacts) -> str:
    """The last page of a walk claims it saw everything only when nothing moved and it is
    not cut at the deepest page a cursor may reach."""
    if facts.more:
        return (f" A walk stops after {cursors.MAX_ROWS:,} rows and there are more; filter by "
                "resource_type and resource_id to see fewer rows.")
    if facts.shifted:
        return " That was the last page."
    if facts.moved:
        return f" That was the last page, but {words.WALK_MOVED}"
    return " That is all of them."


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
