"""Read-only use cases: list serial numbers, and verify expectations against the list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from katana_sn_mcp.explain import resource
from katana_sn_mcp.katana.models import PAGE_SIZE, SerialRecord
from katana_sn_mcp.operations.common import Progress, plural
from katana_sn_mcp.results import AbsentCheck, AttachedCheck, ListedSerial, ListResult, VerifyResult

if TYPE_CHECKING:
    from katana_sn_mcp.katana.client import KatanaClient

MAX_LIST_PAGES = 20  # 5,000 rows, 20 of the 60 requests a minute allows


def listed(row: SerialRecord) -> ListedSerial:
    return ListedSerial(**row.model_dump(include=set(ListedSerial.model_fields)))


async def list_serial_numbers(
    client: KatanaClient,
    resource_type: str | None = None,
    resource_id: int | None = None,
    page: int | None = None,
    progress: Progress | None = None,
) -> ListResult:
    """One page (when `page` is given) or every page, up to MAX_LIST_PAGES."""
    scope = " ".join(str(x) for x in (resource_type, resource_id) if x is not None) or "this account"
    if page is not None:
        rows = await client.list_page(
            resource_type=resource_type, resource_id=resource_id, page=page
        )
        more = len(rows) == PAGE_SIZE
        summary = f"Page {page}: {plural(len(rows), 'serial number')} on {scope}."
        if more:
            summary += f" There may be more: ask for page {page + 1}."
        return ListResult(
            summary=summary, count=len(rows), complete=False,
            next_page=page + 1 if more else None, serial_numbers=[listed(r) for r in rows],
        )
    # at most MAX_LIST_PAGES, keeping the rate budget for the rest of the session
    rows, pages, complete = await client.list_leading(
        resource_type=resource_type, resource_id=resource_id, on_page=progress,
        max_pages=MAX_LIST_PAGES)
    summary = f"{plural(len(rows), 'serial number')} on {scope}"
    if complete:
        summary += " (all pages read)."
    else:
        summary += (f": the first {pages} pages only, there are more. Narrow the filters, or "
                    f"ask for page {pages + 1} onwards.")
    return ListResult(summary=summary, count=len(rows), complete=complete,
                      next_page=None if complete else pages + 1,
                      serial_numbers=[listed(r) for r in rows])


async def verify_serial_numbers(
    client: KatanaClient,
    resource_type: str,
    resource_id: int,
    expect_attached: Sequence[str] = (),
    expect_absent_ids: Sequence[int] = (),
    progress: Progress | None = None,
) -> VerifyResult:
    """Re-read the resource (all pages) and check each expectation against it."""
    rows = await client.list_all(
        resource_type=resource_type, resource_id=resource_id, on_page=progress
    )
    by_serial = {r.serial_number: r for r in rows}
    by_id = {r.id: r for r in rows if r.id is not None}
    attached = [
        AttachedCheck(serial_number=s, verdict="attached", id=by_serial[s].id)
        if s in by_serial else AttachedCheck(serial_number=s, verdict="not_attached")
        for s in dict.fromkeys(expect_attached)
    ]
    absent = [
        AbsentCheck(id=i, verdict="still_attached", serial_number=by_id[i].serial_number)
        if i in by_id else AbsentCheck(id=i, verdict="absent")
        for i in dict.fromkeys(expect_absent_ids)
    ]
    missing = [a.serial_number for a in attached if a.verdict != "attached"]
    lingering = [a.id for a in absent if a.verdict != "absent"]
    where = resource(resource_type, resource_id)
    if missing or lingering:
        parts = []
        if missing:
            parts.append(f"NOT attached to {where}: {', '.join(missing)}")
        if lingering:
            parts.append(f"still attached to {where}: ids {', '.join(map(str, lingering))}")
        summary = "Not confirmed. " + "; ".join(parts) + "."
    else:
        summary = f"Confirmed: every expectation holds on {where} (read from the list endpoint)."
    summary += f" {where} has {plural(len(rows), 'serial number')} now."
    return VerifyResult(
        summary=summary, all_confirmed=not (missing or lingering), resource_type=resource_type,
        resource_id=resource_id, attached_count=len(rows),
        expect_attached=attached, expect_absent=absent,
    )
