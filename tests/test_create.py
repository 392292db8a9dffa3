"""create_serial_numbers through a real MCP Client against the sandbox Katana, in both MCP
protocol eras and both Katana behaviours."""

from __future__ import annotations

import pytest

from tests.conftest import Harness, text

pytestmark = pytest.mark.anyio


async def test_mint_on_a_manufacturing_order_lands_and_is_reported(harness: Harness) -> None:
    r = await harness.call("create_serial_numbers", {
        "resource_type": "ManufacturingOrder", "resource_id": 1003,
        "serial_numbers": ["NEW-1", "NEW-2"]})
    assert not r.is_error, text(r)
    out = r.structured_content
    assert out["outcome"] == "applied" and out["operation"] == "mint"
    assert [i["serial_number"] for i in out["succeeded"]] == ["NEW-1", "NEW-2"]
    assert all(i["landing"] == "reported" and i["resource_id"] == 1003 for i in out["succeeded"])
    assert out["failed"] == []
    truth = {s.serial_number for s in harness.sandbox.serials_on("ManufacturingOrder", 1003)}
    assert truth == {"NEW-1", "NEW-2"}
    assert out["summary"].startswith("2 strings minted on ManufacturingOrder 1003")


async def test_mint_duplicate_fails_that_string_and_summary_leads_with_it(harness: Harness) -> None:
    r = await harness.call("create_serial_numbers", {
        "resource_type": "ManufacturingOrder", "resource_id": 1003,
        "serial_numbers": ["SN-1001-001", "FRESH-9"]})
    out = r.structured_content
    assert out["outcome"] == "partially_applied"
    assert out["failed"][0]["serial_number"] == "SN-1001-001"
    assert out["failed"][0]["reason"] == "DUPLICATE"
    assert "already exists" in out["failed"][0]["explanation"]
    assert out["summary"].startswith(
        "1 string NOT minted on ManufacturingOrder 1003: SN-1001-001 (DUPLICATE)")
    assert harness.sandbox.find("SN-1001-001").resource_id == 1001  # untouched


async def test_transfer_reports_the_true_landing_not_the_undefined_quirk(harness: Harness) -> None:
    r = await harness.call("create_serial_numbers", {
        "resource_type": "SalesOrderRow", "resource_id": 3001,
        "serial_numbers": ["SN-1001-001"]})
    out = r.structured_content
    assert out["outcome"] == "applied" and out["verified"] is True
    item = out["succeeded"][0]
    assert item["landing"] == "confirmed"
    assert item["resource_id"] == 3001 and item["resource_type"] == "SalesOrderRow"
    assert item["transaction_id"] not in (None, "undefined", "null")
    assert harness.sandbox.find("SN-1001-001").resource_id == 3001


async def test_transfer_without_verification_never_states_unknown_landing_as_fact(tmp_path) -> None:
    from tests.conftest import make_harness

    h = make_harness(tmp_path)
    r = await h.call("create_serial_numbers", {
        "resource_type": "SalesOrderRow", "resource_id": 3001,
        "serial_numbers": ["SN-1001-002"], "verify": False})
    out = r.structured_content
    assert out["verified"] is False
    item = out["succeeded"][0]
    assert item["landing"] == "unconfirmed" and item["resource_id"] is None
    assert item["transaction_id"] is None
    assert any("verify_serial_numbers" in s for s in out["next_steps"])
    assert out["summary"].startswith("Katana reported 1 string as transferred to SalesOrderRow 3001 "
                                     "but gave no landing data, and it has not been confirmed")


async def test_transfer_of_unknown_string_in_seeds_mode_is_missing_and_moves_the_rest(tmp_path) -> None:
    from tests.conftest import make_harness

    h = make_harness(tmp_path, mode="seeds")
    r = await h.call("create_serial_numbers", {
        "resource_type": "SalesOrderRow", "resource_id": 3001,
        "serial_numbers": ["GHOST-1", "SN-1001-003"]})
    out = r.structured_content
    assert out["outcome"] == "partially_applied"
    assert out["failed"][0]["reason"] == "MISSING"
    assert "exists nowhere" in out["failed"][0]["explanation"]
    assert "minted on a manufacturing order" in out["failed"][0]["explanation"]
    assert "other strings in the same call" in out["failed"][0]["explanation"]
    assert out["summary"].startswith("1 string NOT transferred to SalesOrderRow 3001: GHOST-1 (MISSING)")
    assert h.sandbox.find("SN-1001-003").resource_id == 3001
    assert h.sandbox.find("GHOST-1") is None


async def test_transfer_of_unknown_string_in_current_mode_fails_whole_call(tmp_path) -> None:
    from tests.conftest import make_harness

    h = make_harness(tmp_path, mode="current")
    r = await h.call("create_serial_numbers", {
        "resource_type": "SalesOrderRow", "resource_id": 3001,
        "serial_numbers": ["GHOST-1", "SN-1001-003"]})
    assert r.is_error
    assert "refused the whole call" in text(r) and "Nothing was changed" in text(r)
    assert "serial numbers not found" in text(r)  # Katana's own words
    assert h.sandbox.find("SN-1001-003").resource_id == 1001


async def test_unknown_resource_is_explained_in_both_katana_eras(harness: Harness) -> None:
    r = await harness.call("create_serial_numbers", {
        "resource_type": "ManufacturingOrder", "resource_id": 999999,
        "serial_numbers": ["X-1"]})
    assert r.is_error
    body = text(r)
    assert "ManufacturingOrder 999999 does not exist in this Katana account" in body
    assert "Nothing was changed" in body
    expected = "No entity found" if harness.sandbox.config.mode == "seeds" else "not found"
    assert expected in body
    assert harness.sandbox.find("X-1") is None


async def test_production_is_rejected_with_allowed_values_or_accepted_by_era(harness: Harness) -> None:
    r = await harness.call("create_serial_numbers", {
        "resource_type": "Production", "resource_id": 6001, "serial_numbers": ["SN-1001-004"]})
    if harness.sandbox.config.mode == "seeds":
        assert r.is_error
        assert "resource_type" in text(r) and "allowed values" in text(r)
        assert "SalesOrderRow" in text(r)
        assert harness.sandbox.find("SN-1001-004").resource_id == 1001
    else:
        assert not r.is_error, text(r)
        assert r.structured_content["succeeded"][0]["resource_id"] == 6001
        assert harness.sandbox.find("SN-1001-004").resource_id == 6001


async def test_linked_sales_order_row_explains_to_use_the_manufacturing_order(harness: Harness) -> None:
    r = await harness.call("create_serial_numbers", {
        "resource_type": "SalesOrderRow", "resource_id": 3002, "serial_numbers": ["SN-1002-001"]})
    assert r.is_error
    assert "make-to-order manufacturing order" in text(r) and "Nothing was changed" in text(r)
    assert "is linked, serial info must be updated on MO" in text(r)


async def test_not_in_stock_is_a_per_string_failure(harness: Harness) -> None:
    await harness.call("create_serial_numbers", {
        "resource_type": "SalesOrderRow", "resource_id": 3001, "serial_numbers": ["SN-1001-005"]})
    r = await harness.call("create_serial_numbers", {
        "resource_type": "StockAdjustmentRow", "resource_id": 5001,
        "serial_numbers": ["SN-1001-005"]})
    out = r.structured_content
    assert out["outcome"] == "not_applied"
    assert out["failed"][0]["reason"] == "NOT_IN_STOCK"
    assert "not in stock" in out["failed"][0]["explanation"]
    assert harness.sandbox.find("SN-1001-005").resource_id == 3001
