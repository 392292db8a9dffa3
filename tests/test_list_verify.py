"""list_serial_numbers (model-sized pages, cursors) and verify_serial_numbers (counts,
the items that did not hold, and no confirmation from an empty or shifting read)."""

from __future__ import annotations

from typing import Any

import pytest
from inline_snapshot import snapshot

from katana_sn_mcp.sandbox import Sandbox
from tests.conftest import Harness, make_harness, text, walk, whole

pytestmark = pytest.mark.anyio
MO = {"resource_type": "ManufacturingOrder", "resource_id": 1001}


async def test_a_list_page_and_its_cursor(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    h.sandbox.mint("ManufacturingOrder", 1003, [f"BULK-{i:04d}" for i in range(25)])
    r = await h.call("list_serial_numbers", {"resource_type": "ManufacturingOrder",
                                              "resource_id": 1003, "limit": 3})
    assert whole(r) == snapshot({'is_error': False, 'structured': {'summary': 'ManufacturingOrder 1003: rows 1–3 of 25. More: call again with cursor="<cursor>" (next_cursor).', 'resource_type': 'ManufacturingOrder', 'resource_id': 1003, 'count': 3, 'total': 25, 'columns': ['id', 'serial_number'], 'rows': [[886010, 'BULK-0000'], [886011, 'BULK-0001'], [886012, 'BULK-0002']], 'next_cursor': '<cursor>'}, 'text': """\
ManufacturingOrder 1003: rows 1–3 of 25. More: call again with cursor="<cursor>" (next_cursor).
886010 BULK-0000
886011 BULK-0001
886012 BULK-0002\
"""})
    seen = [row[1] for row in r.structured_content["rows"]]
    cursor = r.structured_content["next_cursor"]
    while cursor:
        r = await h.call("list_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                  "resource_id": 1003, "cursor": cursor})
        seen += [row[1] for row in r.structured_content["rows"]]
        cursor = r.structured_content.get("next_cursor")
        assert len(seen) <= 25
    assert seen == [f"BULK-{i:04d}" for i in range(25)]


async def test_an_unfiltered_listing_counts_per_resource(harness: Harness) -> None:
    r = await harness.call("list_serial_numbers", {})
    out = r.structured_content
    assert "rows" not in out and out["count"] == sum(c["on_this_page"] for c in out["by_resource"])
    assert {"resource_type": "ManufacturingOrder", "resource_id": 1001, "on_this_page": 5} in out["by_resource"]


async def test_a_cursor_from_another_listing_is_refused(harness: Harness) -> None:
    r = await harness.call("list_serial_numbers", {**MO, "limit": 1})
    cursor = r.structured_content["next_cursor"]
    r = await harness.call("list_serial_numbers", {"resource_id": 1002, "cursor": cursor})
    assert r.is_error and "belongs to a listing with other filters" in text(r)
    r = await harness.call("list_serial_numbers", {"cursor": "not-a-cursor"})
    assert r.is_error and "not one this server returned" in text(r)


async def test_a_failed_verification(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    lingering = h.sandbox.find("SN-1001-002").id
    r = await h.call("verify_serial_numbers", {**MO, "expect_attached": ["SN-1001-001", "NOPE-1"],
                                                "expect_absent_ids": [lingering, 424242]})
    assert whole(r) == snapshot({'is_error': False, 'structured': {'summary': '1 of 2 expected is on ManufacturingOrder 1001; 1 of 2 ids expected gone is gone from ManufacturingOrder 1001. Not confirmed. ManufacturingOrder 1001 has 5 serial numbers now (read just now), 3 of them not expected.', 'all_confirmed': False, 'resource_type': 'ManufacturingOrder', 'resource_id': 1001, 'on_resource': 5, 'checked': 4, 'holding': 2, 'failed': [{'reason': 'NOT_ATTACHED', 'count': 1, 'runs': [{'first': 'NOPE-1', 'count': 1}], 'why': 'Expected on ManufacturingOrder 1001, not on it now.'}, {'reason': 'STILL_ATTACHED', 'count': 1, 'runs': [{'first': '886002', 'count': 1, 'ids': [[886002, 886002]]}], 'why': 'Expected gone from ManufacturingOrder 1001, still on it now.'}], 'not_expected': {'reason': 'NOT_EXPECTED', 'count': 3, 'runs': [{'first': 'SN-1001-003', 'last': 'SN-1001-005', 'count': 3}], 'why': 'On ManufacturingOrder 1001, not among expect_attached.'}}, 'text': """\
1 of 2 expected is on ManufacturingOrder 1001; 1 of 2 ids expected gone is gone from ManufacturingOrder 1001. Not confirmed. ManufacturingOrder 1001 has 5 serial numbers now (read just now), 3 of them not expected.
NOT_ATTACHED (1, all named): NOPE-1. Expected on ManufacturingOrder 1001, not on it now.
STILL_ATTACHED (1, all named): 886002. Expected gone from ManufacturingOrder 1001, still on it now.
NOT_EXPECTED (3, all named): SN-1001-003…SN-1001-005 (3). On ManufacturingOrder 1001, not among expect_attached.\
"""})


async def test_verify_with_nothing_to_check_is_refused_and_reads_nothing(harness: Harness) -> None:
    r = await harness.call("verify_serial_numbers", MO)
    assert r.is_error and "Nothing to check" in text(r)
    assert harness.sandbox.requests == []


@pytest.mark.parametrize(("rtype", "rid"), [("ManufacturingOrder", 999999), ("SalesOrderRow", 1001)])
async def test_a_mistyped_resource_is_never_read_as_confirmation(harness: Harness, rtype, rid) -> None:
    r = await harness.call("verify_serial_numbers", {"resource_type": rtype, "resource_id": rid,
                                                      "expect_absent_ids": [886001]})
    out = r.structured_content
    assert out["all_confirmed"] is False and out["on_resource"] == 0
    assert "holds no serial numbers at all" in out["summary"]
    assert "an id that does not exist" in out["summary"] and "check the id and the type" in out["summary"]


class Shifting:
    """Another user removes a row from page 1 while page 2 is read (`times` times)."""

    def __init__(self, sandbox: Sandbox, times: int) -> None:
        self.sandbox, self.times = sandbox, times

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and b"page=2" in scope.get("query_string", b"") and self.times:
            self.times -= 1
            first = self.sandbox.serials_on("ManufacturingOrder", 1003)[0]
            self.sandbox.store.remove("ManufacturingOrder", 1003, [first.id])
        await self.sandbox(scope, receive, send)


def shifting_harness(tmp_path, times: int) -> Harness:
    import httpx

    from katana_sn_mcp.journal import Journal
    from katana_sn_mcp.runtime import SANDBOX_BASE_URL, client_factory
    from katana_sn_mcp.server import build_server
    from katana_sn_mcp.settings import Settings
    from tests.conftest import FAST_RETRY

    h = make_harness(tmp_path)
    h.sandbox.mint("ManufacturingOrder", 1003, [f"P-{i:03d}" for i in range(300)])
    app = Shifting(h.sandbox, times)
    factory = client_factory(Settings(), transport=httpx.ASGITransport(app=app),
                             api_key=h.sandbox.config.api_key, base_url=SANDBOX_BASE_URL,
                             retry=FAST_RETRY)
    h.server = build_server(factory, Journal(h.journal_path))
    return h


async def test_a_listing_that_shifts_once_is_read_again(tmp_path) -> None:
    h = shifting_harness(tmp_path, times=1)
    last = h.sandbox.serials_on("ManufacturingOrder", 1003)[-1].serial_number
    r = await h.call("verify_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                "resource_id": 1003, "expect_attached": [last]})
    assert r.structured_content["all_confirmed"] is True
    assert r.structured_content["on_resource"] == 299
    assert sum(q.method == "GET" for q in h.sandbox.requests) == 4  # two pages, twice


async def test_a_listing_that_keeps_shifting_proves_nothing(tmp_path) -> None:
    h = shifting_harness(tmp_path, times=5)
    r = await h.call("verify_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                "resource_id": 1003, "expect_absent_ids": [1]})
    assert r.is_error and "kept changing while its pages were read" in text(r)




async def test_counts_per_resource_page_through_every_row_once(tmp_path) -> None:
    h = make_harness(tmp_path, mode="current")
    for mo in range(5000, 5200):
        h.sandbox.mint("ManufacturingOrder", mo, [f"W{mo}-a", f"W{mo}-b"])
    pages = await walk(h, {"resource_type": "ManufacturingOrder", "limit": 250})
    counted: dict[int, int] = {}
    for page in pages:
        for c in page["by_resource"]:
            counted[c["resource_id"]] = counted.get(c["resource_id"], 0) + c["on_this_page"]
        assert page["count"] == sum(c["on_this_page"] for c in page["by_resource"])
    assert all(counted[mo] == 2 for mo in range(5000, 5200))  # every row once, none twice
    assert sum(p["count"] for p in pages) == pages[0]["total"]
    assert len(pages) <= 2 * pages[0]["total"] // 250 + 2  # pages near the budget, not tiny


async def test_long_rows_fill_pages_near_the_budget(tmp_path) -> None:
    h = make_harness(tmp_path)
    h.sandbox.mint("ManufacturingOrder", 1003, [f"LONG-{'x' * 60}-{i:04}" for i in range(500)])
    pages = await walk(h, {"resource_type": "ManufacturingOrder", "resource_id": 1003,
                           "limit": 250})
    rows = [row for p in pages for row in p["rows"]]
    assert len(rows) == len({r[0] for r in rows}) == pages[0]["total"]  # each row once
    # a page is filled to the budget, not cut to a few rows; only the rest of each of
    # Katana's two 250-row pages may be short
    assert sum(p["count"] < 40 for p in pages) <= 2
