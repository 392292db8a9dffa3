"""delete, list and verify through a real MCP Client against the sandbox Katana."""

from __future__ import annotations

import pytest

from tests.conftest import Harness, text

pytestmark = pytest.mark.anyio


def ids_on(h: Harness, rtype: str, rid: int) -> dict[str, int]:
    return {s.serial_number: s.id for s in h.sandbox.serials_on(rtype, rid)}


async def test_delete_reports_removed_and_not_attached_from_the_list(harness: Harness) -> None:
    on_mo = ids_on(harness, "ManufacturingOrder", 1001)
    po_id = ids_on(harness, "PurchaseOrderRow", 2001)["PO-2001-A"]
    target = on_mo["SN-1001-001"]
    r = await harness.call("delete_serial_numbers", {
        "resource_type": "ManufacturingOrder", "resource_id": 1001,
        "ids": [target, po_id, 99999999], "confirm": True})
    assert not r.is_error, text(r)
    out = r.structured_content
    assert out["removed"] == [target]
    assert [n["id"] for n in out["not_attached"]] == [po_id, 99999999]
    assert out["still_attached"] == [] and out["verified"] is True and out["delete_sent"] is True
    assert "204" in out["katana_note"] and "confirms nothing" in out["katana_note"]
    assert "SN-1001-001" not in ids_on(harness, "ManufacturingOrder", 1001)
    assert harness.sandbox.find("PO-2001-A").resource_id == 2001  # wrong parent: untouched


async def test_delete_without_confirmation_only_plans_and_changes_nothing(harness: Harness) -> None:
    target = ids_on(harness, "ManufacturingOrder", 1001)["SN-1001-002"]
    before = harness.katana_requests()
    r = await harness.call("delete_serial_numbers", {
        "resource_type": "ManufacturingOrder", "resource_id": 1001, "ids": [target]})
    out = r.structured_content
    assert out["outcome"] == "planned" and out["delete_sent"] is False
    assert "confirm=true" in out["summary"] and "SN-1001-002" in out["summary"]
    assert "SN-1001-002" in ids_on(harness, "ManufacturingOrder", 1001)
    assert all(q.method == "GET" for q in harness.sandbox.requests[before:])


async def test_delete_of_ids_not_on_the_resource_sends_no_delete(harness: Harness) -> None:
    r = await harness.call("delete_serial_numbers", {
        "resource_type": "SalesOrderRow", "resource_id": 3001, "ids": [123], "confirm": True})
    out = r.structured_content
    assert out["outcome"] == "not_applied" and out["delete_sent"] is False
    assert out["not_attached"] == [{"id": 123, "found_on": None}]
    assert not any(q.method == "DELETE" for q in harness.sandbox.requests)


async def test_list_reads_every_page_or_one_page(harness: Harness) -> None:
    harness.sandbox.mint("ManufacturingOrder", 1003, [f"BULK-{i:04d}" for i in range(600)])
    r = await harness.call("list_serial_numbers", {
        "resource_type": "ManufacturingOrder", "resource_id": 1003})
    out = r.structured_content
    assert out["count"] == 600 and out["complete"] is True
    r = await harness.call("list_serial_numbers", {
        "resource_type": "ManufacturingOrder", "resource_id": 1003, "page": 3})
    out = r.structured_content
    assert out["count"] == 100 and out["complete"] is False and out["next_page"] is None
    r = await harness.call("list_serial_numbers", {"resource_id": 1003, "page": 1})
    assert r.structured_content["next_page"] == 2


async def test_verify_gives_per_item_verdicts_and_all_confirmed(harness: Harness) -> None:
    on_mo = ids_on(harness, "ManufacturingOrder", 1001)
    r = await harness.call("verify_serial_numbers", {
        "resource_type": "ManufacturingOrder", "resource_id": 1001,
        "expect_attached": ["SN-1001-001", "NOPE-1"],
        "expect_absent_ids": [on_mo["SN-1001-002"], 424242]})
    out = r.structured_content
    assert out["all_confirmed"] is False
    assert [(c["serial_number"], c["verdict"]) for c in out["expect_attached"]] == [
        ("SN-1001-001", "attached"), ("NOPE-1", "not_attached")]
    assert [(c["id"], c["verdict"]) for c in out["expect_absent"]] == [
        (on_mo["SN-1001-002"], "still_attached"), (424242, "absent")]
    assert out["summary"].startswith("Not confirmed.")
    r = await harness.call("verify_serial_numbers", {
        "resource_type": "ManufacturingOrder", "resource_id": 1001,
        "expect_attached": ["SN-1001-001"], "expect_absent_ids": [424242]})
    assert r.structured_content["all_confirmed"] is True
    assert r.structured_content["attached_count"] == 5


async def test_an_unfiltered_giant_listing_stops_after_twenty_pages(tmp_path) -> None:
    from tests.conftest import make_harness

    h = make_harness(tmp_path)
    h.sandbox.mint("SalesOrderRow", 3001, [f"G-{i:05d}" for i in range(5100)])
    r = await h.call("list_serial_numbers", {"resource_type": "SalesOrderRow"})
    out = r.structured_content
    assert out["count"] == 5000 and out["complete"] is False and out["next_page"] == 21
    assert "first 20 pages only" in out["summary"]
    assert len(h.sandbox.requests) == 20
    r = await h.call("list_serial_numbers", {"resource_type": "SalesOrderRow", "page": 21})
    assert r.structured_content["count"] == 100
