"""Find serial numbers across the account: where each is now, and its stock history.
Facts only.

Katana's list endpoint filters by resource, not by string, so a string is found in two
steps. `GET /serial_numbers_stock` names every serial of the account once (one unpaged
answer) with its id, `in_stock` and transactions; the resources of a serial's transactions
are the only places it can be, so those are read on the list endpoint (latest first) until
the serial is seen there — that read is what "where it is now" means. When the stock
endpoint fails, the unfiltered listing is walked instead, a bounded number of pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from katana_sn_mcp.katana.errors import Answer, KatanaError
from katana_sn_mcp.katana.models import PAGE_SIZE, SerialRecord, StockRecord

if TYPE_CHECKING:
    from katana_sn_mcp.katana.client import KatanaClient

RESOURCES_READ = 12  # resources read on the list endpoint in one lookup, at most
WALK_PAGES = 8  # without the stock endpoint: unfiltered pages read (2,000 rows), at most

Place = tuple[str, int]


@dataclass
class FindFacts:
    serials: list[str]  # asked, unique, in order
    ids: list[int]  # asked, unique, in order
    stock: dict[str, StockRecord] | None = None  # by serial; None: the stock read failed
    stock_failure: Answer | None = None
    now: dict[str, SerialRecord] = field(default_factory=dict)  # by serial: seen there now
    read: list[Place] = field(default_factory=list)  # resources read on the list endpoint
    unread: set[str] = field(default_factory=set)  # serials whose places were not all read
    walked_rows: int | None = None  # rows of the unfiltered listing read (stock failed)
    walk_complete: bool = False

    def serial_of_id(self, i: int) -> str | None:
        for rec in (self.stock or {}).values():
            if rec.id == i:
                return rec.serial_number
        for s, row in self.now.items():
            if row.id == i:
                return s
        return None

    @property
    def wanted(self) -> list[str]:
        """Every asked serial by string (ids turned into their strings where known)."""
        out = list(self.serials)
        for i in self.ids:
            s = self.serial_of_id(i)
            if s is not None and s not in out:
                out.append(s)
        return out


async def find_serial_numbers(
    client: KatanaClient, serials: Sequence[str] = (), ids: Sequence[int] = (),
    resources_read: int = RESOURCES_READ,
) -> FindFacts:
    """Raises KatanaError only when nothing could be read at all."""
    facts = FindFacts(list(dict.fromkeys(serials)), list(dict.fromkeys(ids)))
    try:
        rows = await client.stock()
    except KatanaError as exc:
        facts.stock_failure = Answer.of_error(exc)
        await _walk(client, facts)
        return facts
    wanted_ids = set(facts.ids)
    facts.stock = {r.serial_number: r for r in rows
                   if r.serial_number in set(facts.serials) or r.id in wanted_ids}
    await _place(client, facts, resources_read)
    return facts


async def _place(client: KatanaClient, facts: FindFacts, budget: int) -> None:
    """Read the resources of each serial's transactions, latest first, until it is seen."""
    seen: dict[Place, dict[str, SerialRecord]] = {}
    for serial in facts.wanted:
        rec = (facts.stock or {}).get(serial)
        if rec is None:
            continue
        places = list(dict.fromkeys(
            (t.resource_type, t.resource_id) for t in reversed(rec.transactions)
            if t.resource_type is not None and t.resource_id is not None))
        for place in places:
            if place not in seen:
                if len(seen) >= budget:
                    facts.unread.add(serial)
                    break
                found = await client.list_all(resource_type=place[0], resource_id=place[1])
                seen[place] = {r.serial_number: r for r in found}
                facts.read.append(place)  # type: ignore[arg-type]
            if serial in seen[place]:
                facts.now[serial] = seen[place][serial]
                break


async def _walk(client: KatanaClient, facts: FindFacts) -> None:
    """Without the stock endpoint: the unfiltered listing, page by page, until every asked
    serial and id is seen or WALK_PAGES pages are read."""
    left_s, left_i = set(facts.serials), set(facts.ids)
    facts.walked_rows = 0
    for page in range(1, WALK_PAGES + 1):
        rows, _ = await client.list_page(page=page, limit=PAGE_SIZE)
        facts.walked_rows += len(rows)
        for r in rows:
            if r.serial_number in left_s or (r.id is not None and r.id in left_i):
                facts.now[r.serial_number] = r
                left_s.discard(r.serial_number)
                left_i.discard(r.id)  # type: ignore[arg-type]
        if len(rows) < PAGE_SIZE:
            facts.walk_complete = True
            return
        if not left_s and not left_i:
            return
