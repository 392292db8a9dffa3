"""create_serial_numbers through a real MCP Client against the sandbox Katana. Typical
results are pinned whole (every sentence the model reads); behaviours run in both MCP
protocol eras and both Katana behaviours."""

from __future__ import annotations

import pytest
from inline_snapshot import snapshot

from katana_sn_mcp.sandbox import Fault
from tests.conftest import Harness, make_harness, text, whole

pytestmark = pytest.mark.anyio
MO = {"resource_type": "ManufacturingOrder", "resource_id": 1003}
SO_ROW = {"resource_type": "SalesOrderRow", "resource_id": 3001}


async def test_a_three_string_mint(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    r = await h.call("create_serial_numbers", {**MO, "serial_numbers": ["NEW-1", "NEW-2", "X"]})
    assert whole(r) == snapshot({'is_error': False, 'structured': {'summary': "3 strings minted on ManufacturingOrder 1003 by Katana's answer (not re-read).", 'outcome': 'applied', 'operation': 'mint', 'resource_type': 'ManufacturingOrder', 'resource_id': 1003, 'requested': 3, 'applied': {'count': 3, 'runs': [{'first': 'NEW-1', 'last': 'NEW-2', 'count': 2, 'ids': [[886010, 886011]]}, {'first': 'X', 'count': 1, 'ids': [[886012, 886012]]}]}, 'verified': False, 'katana': {'status': 200, 'sends': 1, 'says': 'Katana answered 200'}, 'result_id': '<id>'}, 'text': """\
3 strings minted on ManufacturingOrder 1003 by Katana's answer (not re-read).
Minted (3): NEW-1…NEW-2 (2) id 886010…886011; X id 886012 (all runs shown)
Katana answered 200.
Every item: katana://results/<id>\
"""})
    assert {s.serial_number for s in h.sandbox.serials_on("ManufacturingOrder", 1003)} == {
        "NEW-1", "NEW-2", "X"}


async def test_a_transfer_with_one_missing_string_moves_the_rest(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era, mode="seeds")
    r = await h.call("create_serial_numbers", {**SO_ROW,
                                                "serial_numbers": ["GHOST-1", "SN-1001-003"]})
    assert whole(r) == snapshot({'is_error': False, 'structured': {'summary': '1 string NOT transferred to SalesOrderRow 3001 (MISSING 1). 1 string transferred to SalesOrderRow 3001 and confirmed by re-reading it.', 'outcome': 'partially_applied', 'operation': 'transfer', 'resource_type': 'SalesOrderRow', 'resource_id': 3001, 'requested': 2, 'applied': {'count': 1, 'runs': [{'first': 'SN-1001-003', 'count': 1, 'ids': [[886003, 886003]]}]}, 'not_applied': [{'reason': 'MISSING', 'count': 1, 'runs': [{'first': 'GHOST-1', 'count': 1}], 'why': 'They exist nowhere in this Katana account, so there is nothing to transfer. Mint them first on a manufacturing order (ManufacturingOrder) or purchase order row (PurchaseOrderRow), or check the spelling. The strings reported applied in this call are not undone by it.'}], 'verified': True, 'katana': {'status': 200, 'sends': 1, 'says': 'Katana answered 200'}, 'result_id': '<id>'}, 'text': """\
1 string NOT transferred to SalesOrderRow 3001 (MISSING 1). 1 string transferred to SalesOrderRow 3001 and confirmed by re-reading it.
Transferred (1): SN-1001-003 id 886003
MISSING (1, all named): GHOST-1. They exist nowhere in this Katana account, so there is nothing to transfer. Mint them first on a manufacturing order (ManufacturingOrder) or purchase order row (PurchaseOrderRow), or check the spelling. The strings reported applied in this call are not undone by it.
Katana answered 200.
Every item: katana://results/<id>\
"""})
    assert h.sandbox.find("SN-1001-003").resource_id == 3001
    assert h.sandbox.find("GHOST-1") is None


async def test_an_all_duplicate_re_mint_is_an_error_that_changed_nothing(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    serials = [f"SN-1001-00{i}" for i in range(1, 5)]
    r = await h.call("create_serial_numbers", {**MO, "serial_numbers": serials})
    assert whole(r) == snapshot({'is_error': True, 'structured': {'summary': '4 strings NOT minted on ManufacturingOrder 1003 (DUPLICATE 4).', 'outcome': 'not_applied', 'operation': 'mint', 'resource_type': 'ManufacturingOrder', 'resource_id': 1003, 'requested': 4, 'not_applied': [{'reason': 'DUPLICATE', 'count': 4, 'why': 'Katana already has these strings, so it did not mint them again; nothing changed for them.'}], 'verified': False, 'duplicates_at': [{'resource_type': 'ManufacturingOrder', 'resource_id': 1001, 'serials': {'count': 4, 'runs': [{'first': 'SN-1001-001', 'last': 'SN-1001-004', 'count': 4, 'ids': [[886001, 886004]]}]}}], 'katana': {'status': 200, 'sends': 1, 'says': 'Katana answered 200'}, 'result_id': '<id>'}, 'text': """\
4 strings NOT minted on ManufacturingOrder 1003 (DUPLICATE 4).
DUPLICATE (4, named below by where they are now). Katana already has these strings, so it did not mint them again; nothing changed for them.
DUPLICATE, on ManufacturingOrder 1001 instead (4): SN-1001-001…SN-1001-004 (4) id 886001…886004
Katana answered 200.
Every item: katana://results/<id>\
"""})
    assert h.sandbox.serials_on("ManufacturingOrder", 1003) == []


async def test_a_transfer_without_verification_never_states_the_landing(tmp_path) -> None:
    h = make_harness(tmp_path)
    r = await h.call("create_serial_numbers", {**SO_ROW, "serial_numbers": ["SN-1001-002"],
                                                "verify": False})
    assert whole(r) == snapshot({'is_error': False, 'structured': {'summary': '1 string transferred to SalesOrderRow 3001, landing not confirmed.', 'outcome': 'applied', 'operation': 'transfer', 'resource_type': 'SalesOrderRow', 'resource_id': 3001, 'requested': 1, 'applied': {'count': 1, 'runs': [{'first': 'SN-1001-002', 'count': 1, 'ids': [[886002, 886002]]}]}, 'verified': False, 'katana': {'status': 200, 'sends': 1, 'says': 'Katana answered 200'}, 'next_steps': ["Katana reported the transfer but gave no landing data (transaction_id 'undefined', resource_id null), and verify=false skipped the re-read: confirm with verify_serial_numbers."], 'result_id': '<id>'}, 'text': """\
1 string transferred to SalesOrderRow 3001, landing not confirmed.
Transferred (1): SN-1001-002 id 886002
Katana answered 200.
Next: Katana reported the transfer but gave no landing data (transaction_id 'undefined', resource_id null), and verify=false skipped the re-read: confirm with verify_serial_numbers.
Every item: katana://results/<id>\
"""})


async def test_a_transfer_whose_re_read_failed_says_so_not_verify_false(tmp_path) -> None:
    h = make_harness(tmp_path)
    h.sandbox.inject(Fault(kind="status", status=500, method="GET", count=8))
    r = await h.call("create_serial_numbers", {**SO_ROW, "serial_numbers": ["SN-1001-002"]})
    assert whole(r) == snapshot({'is_error': False, 'structured': {'summary': '1 string transferred to SalesOrderRow 3001, landing not confirmed.', 'outcome': 'applied', 'operation': 'transfer', 'resource_type': 'SalesOrderRow', 'resource_id': 3001, 'requested': 1, 'applied': {'count': 1, 'runs': [{'first': 'SN-1001-002', 'count': 1, 'ids': [[886002, 886002]]}]}, 'verified': False, 'katana': {'status': 200, 'sends': 1, 'says': 'Katana answered 200'}, 'next_steps': ["Katana reported the transfer but gave no landing data (transaction_id 'undefined', resource_id null), and re-reading the target failed (Katana answered 500 InternalServerError: Internal Server Error (sent 4 times)): confirm with verify_serial_numbers."], 'result_id': '<id>'}, 'text': """\
1 string transferred to SalesOrderRow 3001, landing not confirmed.
Transferred (1): SN-1001-002 id 886002
Katana answered 200.
Next: Katana reported the transfer but gave no landing data (transaction_id 'undefined', resource_id null), and re-reading the target failed (Katana answered 500 InternalServerError: Internal Server Error (sent 4 times)): confirm with verify_serial_numbers.
Every item: katana://results/<id>\
"""})


async def test_unknown_strings_in_current_mode_refuse_the_whole_call(tmp_path) -> None:
    h = make_harness(tmp_path, mode="current")
    r = await h.call("create_serial_numbers", {**SO_ROW,
                                                "serial_numbers": ["GHOST-1", "SN-1001-003"]})
    assert whole(r) == snapshot({'is_error': True, 'structured': None, 'text': """\
Error executing tool create_serial_numbers: Katana refused the whole call because at least one string exists nowhere in this account; a transfer only moves strings already minted. Nothing was changed. None moved to SalesOrderRow 3001. Mint the unknown strings first on a manufacturing order (ManufacturingOrder) or purchase order row (PurchaseOrderRow) (or fix their spelling); find_serial_numbers says which strings exist and where.
(Katana answered 422 UnprocessableEntityError: serial numbers not found)\
"""})
    assert h.sandbox.find("SN-1001-003").resource_id == 1001
    journal = h.journal_path.read_text()
    assert '"phase": "intent"' in journal and '"outcome": "not_applied"' in journal


async def test_unknown_resource_is_explained_in_both_katana_eras(harness: Harness) -> None:
    r = await harness.call("create_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                      "resource_id": 999999,
                                                      "serial_numbers": ["A-1"]})
    assert r.is_error
    assert text(r).startswith("Error executing tool create_serial_numbers: Katana says "
                              "ManufacturingOrder 999999 does not exist")
    status = "422" if harness.sandbox.config.mode == "seeds" else "404"
    assert f"(Katana answered {status}" in text(r)


async def test_production_is_rejected_with_allowed_values_or_accepted_by_era(harness: Harness) -> None:
    r = await harness.call("create_serial_numbers", {"resource_type": "Production",
                                                      "resource_id": 6001,
                                                      "serial_numbers": ["SN-1001-004"]})
    if harness.sandbox.config.mode == "seeds":
        assert r.is_error and "allowed values: ManufacturingOrder" in text(r)
        assert harness.sandbox.find("SN-1001-004").resource_id == 1001
    else:
        assert not r.is_error, text(r)
        assert r.structured_content["applied"]["count"] == 1
        assert harness.sandbox.find("SN-1001-004").resource_id == 6001


async def test_linked_sales_order_row_explains_to_use_the_manufacturing_order(harness: Harness) -> None:
    r = await harness.call("create_serial_numbers", {"resource_type": "SalesOrderRow",
                                                      "resource_id": 3002,
                                                      "serial_numbers": ["SN-1001-001"]})
    assert r.is_error and "linked to a make-to-order manufacturing order" in text(r)


async def test_not_in_stock_is_grouped_with_its_reason(harness: Harness) -> None:
    await harness.call("create_serial_numbers", {**SO_ROW, "serial_numbers": ["SN-1001-001"]})
    r = await harness.call("create_serial_numbers", {
        "resource_type": "StockTransferRow", "resource_id": 4001,
        "serial_numbers": ["SN-1001-001", "SN-1001-002"]})
    out = r.structured_content
    assert out["outcome"] == "partially_applied"
    assert out["not_applied"] == [{"reason": "NOT_IN_STOCK", "count": 1,
                                   "runs": [{"first": "SN-1001-001", "count": 1}], "why": out["not_applied"][0]["why"]}]
    assert out["applied"]["count"] == 1


async def test_a_thousand_serials_from_one_range_and_repeats_collapsed(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    r = await h.call("create_serial_numbers", {
        **MO, "serial_numbers": ["EXTRA", "EXTRA"],
        "serial_ranges": [{"prefix": "R-", "first": 1, "last": 1000, "width": 4}]})
    out = r.structured_content
    assert (out["requested"], out["repeated"], out["applied"]["count"]) == (1001, 1, 1001)
    run = out["applied"]["runs"][1]
    assert (run["first"], run["last"], run["count"]) == ("R-0001", "R-1000", 1000)
    assert len(run["ids"]) == 1 and run["ids"][0][1] - run["ids"][0][0] == 999  # integer pairs
    assert "R-0001…R-1000 (1,000) id " in text(r)
    assert len(h.sandbox.serials_on("ManufacturingOrder", 1003)) == 1001


@pytest.mark.parametrize(("ranges", "says"), [
    ([{"first": 5, "last": 1}], "first (5) is greater than last (1)"),
    ([{"prefix": "A", "first": 1, "last": 100, "width": 2}], "width 2 is too small for 100"),
    ([{"first": 1, "last": 10001}], "more than 10,000 strings"),
    ([{"prefix": "x" * 200, "suffix": "y" * 60, "first": 1, "last": 2}], "Katana allows 255"),
    ([{"prefix": " A", "first": 1, "last": 2}], "without leading or trailing whitespace"),
    ([], "No strings given"),
])
async def test_bad_ranges_are_refused_and_nothing_is_sent(tmp_path, ranges, says) -> None:
    h = make_harness(tmp_path)
    r = await h.call("create_serial_numbers", {**MO, "serial_ranges": ranges})
    assert r.is_error and says in text(r) and "Nothing was sent" in text(r)
    assert h.sandbox.requests == []


async def test_look_alike_letters_from_another_script_are_flagged(tmp_path) -> None:
    h = make_harness(tmp_path)
    r = await h.call("create_serial_numbers", {**MO, "serial_numbers": ["SN-\u0410BC-1", "SN-ABC-2"]})
    steps = r.structured_content["next_steps"]
    assert steps == ["1 string mixes Latin letters with look-alike letters from another script "
                     "(e.g. Cyrillic 'А'), so they differ from what a person would type: SN-\u0410BC-1. "
                     "Check them before relying on them."]


async def unsettled_mint(tmp_path, fault: str) -> dict:
    h = make_harness(tmp_path)
    h.sandbox.inject(Fault(kind=fault, method="POST", status=500))
    r = await h.call("create_serial_numbers", {"resource_type": "ManufacturingOrder",
                                               "resource_id": 1003, "serial_numbers": ["U-1"]})
    return whole(r)


async def test_a_mint_without_an_answer_absent_on_re_read_in_whole(tmp_path) -> None:
    """Katana's answer is said once, in `katana.says`, not again in the reason."""
    assert await unsettled_mint(tmp_path, "timeout_before") == snapshot({'is_error': False, 'structured': {'summary': '1 string with an unknown outcome.', 'outcome': 'unknown', 'operation': 'mint', 'resource_type': 'ManufacturingOrder', 'resource_id': 1003, 'requested': 1, 'unknown': [{'reason': 'NOT_SEEN', 'count': 1, 'runs': [{'first': 'U-1', 'count': 1}], 'why': 'A re-read of ManufacturingOrder 1003 at <time> does not show them yet, but Katana may still apply a request it got: do not send them again until verify_serial_numbers, run a minute later, still shows them absent.'}], 'verified': True, 'katana': {'status': None, 'sends': 1, 'says': 'Katana gave no answer: no answer came within the timeout'}, 'result_id': '<id>'}, 'text': """\
1 string with an unknown outcome.
NOT_SEEN (1, all named): U-1. A re-read of ManufacturingOrder 1003 at <time> does not show them yet, but Katana may still apply a request it got: do not send them again until verify_serial_numbers, run a minute later, still shows them absent.
Katana gave no answer: no answer came within the timeout.
Every item: katana://results/<id>\
"""})


async def test_a_mint_with_an_unreadable_answer_present_on_re_read_in_whole(tmp_path) -> None:
    assert await unsettled_mint(tmp_path, "non_json_after") == snapshot({'is_error': False, 'structured': {'summary': '1 string on ManufacturingOrder 1003 now, but whether this call put them there cannot be told.', 'outcome': 'unknown', 'operation': 'mint', 'resource_type': 'ManufacturingOrder', 'resource_id': 1003, 'requested': 1, 'present': {'count': 1, 'runs': [{'first': 'U-1', 'count': 1}]}, 'verified': True, 'katana': {'status': 500, 'sends': 1, 'says': 'Katana answered 500 <html><body><h1>502 Bad Gateway</h1></body></html>'}, 'next_steps': ['Do not send them again: a re-read of ManufacturingOrder 1003 at <time> shows them on it.'], 'result_id': '<id>'}, 'text': """\
1 string on ManufacturingOrder 1003 now, but whether this call put them there cannot be told.
On ManufacturingOrder 1003 now (1): U-1
Katana answered 500 <html><body><h1>502 Bad Gateway</h1></body></html>.
Next: Do not send them again: a re-read of ManufacturingOrder 1003 at <time> shows them on it.
Every item: katana://results/<id>\
"""})
