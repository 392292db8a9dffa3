"""Read-only use cases: one page of a listing, and expectations checked against a
resource. Facts only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from katana_sn_mcp.katana.models import SerialRecord
from katana_sn_mcp.operations.common import Progress

if TYPE_CHECKING:
    from katana_sn_mcp.cursors import Place
    from katana_sn_mcp.katana.client import KatanaClient


@dataclass
class PageFacts:
    resource_type: str | None
    resource_id: int | None
    page: int
    limit: int
    rows: list[SerialRecord]
    total: int | None  # Katana's X-Pagination total, when it sends one
    shifted: bool = False  # the listing moved since the page the cursor came from
    moved: bool = False  # it moved at some point of this walk (this page or before)

    @property
    def more(self) -> bool:
        if self.total is not None:
            return self.page * self.limit < self.total
        return len(self.rows) == self.limit


async def list_page(
    client: KatanaClient, resource_type: str | None, resource_id: int | None,
    page: int, limit: int, place: Place | None = None,
) -> PageFacts:
    """One page. Resuming at a cursor's `place`, also checks the seam: the last row shown
    before it must still be where it was (same id at the same offset) and Katana's total
    unchanged; otherwise rows were added or removed before this page since the previous
    one was read, and rows may be skipped or repeated from here (`shifted`)."""
    rows, total = await client.list_page(resource_type=resource_type, resource_id=resource_id,
                                         page=page, limit=limit)
    facts = PageFacts(resource_type, resource_id, page, limit, rows, total)
    if place is None:
        return facts
    if place.skip:  # the same Katana page again: the seam row is on it
        at_seam = rows[place.skip - 1] if len(rows) >= place.skip else None
    else:  # read just after the page, so a move before either read is seen
        at_seam = await client.row_at(place.seam, resource_type=resource_type,
                                      resource_id=resource_id)
    facts.shifted = (place.after_id is None or at_seam is None or at_seam.id != place.after_id
                     or (place.total is not None and total is not None and total != place.total))
    facts.moved = place.moved or facts.shifted
    return facts


@dataclass
class VerifyFacts:
    resource_type: str
    resource_id: int
    rows: list[SerialRecord]  # everything on the resource now (a stable read)
    expect_attached: list[str]  # unique
    expect_absent_ids: list[int]  # unique

    @property
    def not_attached(self) -> list[str]:
        on = {r.serial_number for r in self.rows}
        return [s for s in self.expect_attached if s not in on]

    @property
    def still_attached(self) -> list[int]:
        on = {r.id for r in self.rows}
        return [i for i in self.expect_absent_ids if i in on]


async def verify_serial_numbers(
    client: KatanaClient, resource_type: str, resource_id: int,
    expect_attached: Sequence[str] = (), expect_absent_ids: Sequence[int] = (),
    progress: Progress | None = None,
) -> VerifyFacts:
    """Re-read the resource (every page, and only a read that held still) and keep what
    each expectation needs."""
    rows = await client.list_all(resource_type=resource_type, resource_id=resource_id,
                                 on_page=progress)
    return VerifyFacts(resource_type, resource_id, rows, list(dict.fromkeys(expect_attached)),
                       list(dict.fromkeys(expect_absent_ids)))
