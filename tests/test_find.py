"""find_serial_numbers: where serial numbers are now, across the account, read from the
sandbox Katana's stock list and list endpoint through the real client."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from inline_snapshot import snapshot

from katana_sn_mcp.present.budget import RESULT_BYTES
from katana_sn_mcp.sandbox.config import Fault
from tests.conftest import make_harness, size, text, whole

pytestmark = pytest.mark.anyio


def dated(result: Any) -> dict[str, Any]:
    """whole(), with the sandbox's transaction dates (the clock) replaced."""
    raw = json.dumps(whole(result), ensure_ascii=False)
    return json.loads(re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+Z)?", "<date>", raw))


async def test_finds_strings_on_another_resource_on_none_and_transferred(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    await h.call("create_serial_numbers", {"resource_type": "SalesOrderRow", "resource_id": 3001,
                                           "serial_numbers": ["SN-1001-002"]})
    r = await h.call("find_serial_numbers", {"serial_numbers": ["SN-1001-001", "SN-1001-002",
                                                                "PO-2001-A", "NOPE-1"]})
    assert dated(r) == snapshot({'is_error': False, 'structured': {'summary': "3 of 4 serial numbers asked found on a resource now (1 on ManufacturingOrder 1001, 1 on SalesOrderRow 3001, 1 on PurchaseOrderRow 2001); 1 exists nowhere in this account. Read just now: Katana's stock list (one request) and 3 resources on the list endpoint.", 'asked': 4, 'found': 3, 'where': [{'resource_type': 'ManufacturingOrder', 'resource_id': 1001, 'serials': {'count': 1, 'runs': [{'first': 'SN-1001-001', 'count': 1, 'ids': [[886001, 886001]]}]}}, {'resource_type': 'SalesOrderRow', 'resource_id': 3001, 'serials': {'count': 1, 'runs': [{'first': 'SN-1001-002', 'count': 1, 'ids': [[886002, 886002]]}]}}, {'resource_type': 'PurchaseOrderRow', 'resource_id': 2001, 'serials': {'count': 1, 'runs': [{'first': 'PO-2001-A', 'count': 1, 'ids': [[886008, 886008]]}]}}], 'not_found': [{'reason': 'NOT_KNOWN', 'count': 1, 'runs': [{'first': 'NOPE-1', 'count': 1}], 'why': "Not in Katana's stock list, which names every serial number of the account: they exist nowhere (never minted, deleted, or spelled differently)."}], 'history': [{'serial_number': 'SN-1001-001', 'id': 886001, 'in_stock': True, 'transactions': 1, 'last': [{'resource_type': 'ManufacturingOrder', 'resource_id': 1001, 'quantity_change': 0, 'date': '<date>'}]}, {'serial_number': 'SN-1001-002', 'id': 886002, 'in_stock': False, 'transactions': 2, 'last': [{'resource_type': 'ManufacturingOrder', 'resource_id': 1001, 'quantity_change': 0, 'date': '<date>'}, {'resource_type': 'SalesOrderRow', 'resource_id': 3001, 'quantity_change': -1, 'date': '<date>'}]}, {'serial_number': 'PO-2001-A', 'id': 886008, 'in_stock': True, 'transactions': 1, 'last': [{'resource_type': 'PurchaseOrderRow', 'resource_id': 2001, 'quantity_change': 1, 'date': '<date>'}]}], 'stock_read': True}, 'text': """\
3 of 4 serial numbers asked found on a resource now (1 on ManufacturingOrder 1001, 1 on SalesOrderRow 3001, 1 on PurchaseOrderRow 2001); 1 exists nowhere in this account. Read just now: Katana's stock list (one request) and 3 resources on the list endpoint.
On ManufacturingOrder 1001 now (1): SN-1001-001 id 886001
On SalesOrderRow 3001 now (1): SN-1001-002 id 886002
On PurchaseOrderRow 2001 now (1): PO-2001-A id 886008
NOT_KNOWN (1, all named): NOPE-1. Not in Katana's stock list, which names every serial number of the account: they exist nowhere (never minted, deleted, or spelled differently).
History of SN-1001-001 (id 886001): in stock; 1 transaction: ManufacturingOrder 1001 +0 (latest dated <date>).
History of SN-1001-002 (id 886002): not in stock; 2 transactions: ManufacturingOrder 1001 +0; SalesOrderRow 3001 -1 (latest dated <date>).
History of PO-2001-A (id 886008): in stock; 1 transaction: PurchaseOrderRow 2001 +1 (latest dated <date>).\
"""})


async def test_finds_by_id_and_says_which_ids_belong_to_no_serial(tmp_path) -> None:
    h = make_harness(tmp_path)
    on = h.sandbox.serials_on("ManufacturingOrder", 1002)
    r = await h.call("find_serial_numbers", {"ids": [on[0].id, 42]})
    assert dated(r) == snapshot({'is_error': False, 'structured': {'summary': "1 of 2 serial numbers asked found on a resource now (1 on ManufacturingOrder 1002); 1 exists nowhere in this account. Read just now: Katana's stock list (one request) and 1 resource on the list endpoint.", 'asked': 2, 'found': 1, 'where': [{'resource_type': 'ManufacturingOrder', 'resource_id': 1002, 'serials': {'count': 1, 'runs': [{'first': 'SN-1002-001', 'count': 1, 'ids': [[886006, 886006]]}]}}], 'not_found': [{'reason': 'NOT_KNOWN', 'count': 1, 'runs': [{'first': 'id 42', 'count': 1}], 'why': "Not in Katana's stock list, which names every serial number of the account: they exist nowhere (never minted, deleted, or spelled differently)."}], 'history': [{'serial_number': 'SN-1002-001', 'id': 886006, 'in_stock': True, 'transactions': 1, 'last': [{'resource_type': 'ManufacturingOrder', 'resource_id': 1002, 'quantity_change': 0, 'date': '<date>'}]}], 'stock_read': True}, 'text': """\
1 of 2 serial numbers asked found on a resource now (1 on ManufacturingOrder 1002); 1 exists nowhere in this account. Read just now: Katana's stock list (one request) and 1 resource on the list endpoint.
On ManufacturingOrder 1002 now (1): SN-1002-001 id 886006
NOT_KNOWN (1, all named): id 42. Not in Katana's stock list, which names every serial number of the account: they exist nowhere (never minted, deleted, or spelled differently).
History of SN-1002-001 (id 886006): in stock; 1 transaction: ManufacturingOrder 1002 +0 (latest dated <date>).\
"""})


async def test_without_the_stock_list_it_walks_the_listing_and_says_so(tmp_path) -> None:
    h = make_harness(tmp_path)
    h.sandbox.inject(Fault(kind="status", status=404, method="GET", count=1))
    r = await h.call("find_serial_numbers", {"serial_numbers": ["SN-1002-001", "NOPE-1"]})
    assert dated(r) == snapshot({'is_error': False, 'structured': {'summary': "1 of 2 serial numbers asked found on a resource now (1 on ManufacturingOrder 1002); 1 exists nowhere in this account. Katana's stock list could not be read (Katana answered 404 NotFoundError: Not Found), so 9 rows of the account's listing were read instead (all of them).", 'asked': 2, 'found': 1, 'where': [{'resource_type': 'ManufacturingOrder', 'resource_id': 1002, 'serials': {'count': 1, 'runs': [{'first': 'SN-1002-001', 'count': 1, 'ids': [[886006, 886006]]}]}}], 'not_found': [{'reason': 'NOT_KNOWN', 'count': 1, 'runs': [{'first': 'NOPE-1', 'count': 1}], 'why': "Not in the account's listing, read to its end just now: they are on no resource (never minted, deleted, or spelled differently)."}], 'stock_read': False}, 'text': """\
1 of 2 serial numbers asked found on a resource now (1 on ManufacturingOrder 1002); 1 exists nowhere in this account. Katana's stock list could not be read (Katana answered 404 NotFoundError: Not Found), so 9 rows of the account's listing were read instead (all of them).
On ManufacturingOrder 1002 now (1): SN-1002-001 id 886006
NOT_KNOWN (1, all named): NOPE-1. Not in the account's listing, read to its end just now: they are on no resource (never minted, deleted, or spelled differently).\
"""})
    assert [q.path for q in h.sandbox.requests] == snapshot(['/v1/serial_numbers_stock', '/v1/serial_numbers'])


async def test_ten_thousand_strings_on_many_resources_fit_and_are_counted(tmp_path) -> None:
    h = make_harness(tmp_path)
    serials = []
    for mo in range(40):
        batch = [f"LOT{mo:02d}-{'Q' * 200}-{i:04d}" for i in range(250)]
        h.sandbox.mint("ManufacturingOrder", 7000 + mo, batch)
        serials += batch
    r = await h.call("find_serial_numbers", {"serial_numbers": serials})
    out = r.structured_content or {}
    assert size(r) <= RESULT_BYTES
    assert out["asked"] == 10_000
    looked = sum(g["count"] for g in out.get("not_found", []) if g["reason"] == "NOT_LOOKED_UP")
    assert out["found"] + looked == 10_000 and out["found"] == 12 * 250


async def test_a_walk_that_stops_early_says_what_it_did_not_see(tmp_path) -> None:
    h = make_harness(tmp_path)
    h.sandbox.mint("ManufacturingOrder", 1003, [f"W-{i:05d}" for i in range(2100)])
    h.sandbox.inject(Fault(kind="status", status=500, method="GET", count=4))  # the stock list
    r = await h.call("find_serial_numbers", {"serial_numbers": ["W-00005", "W-02099"]})
    out = r.structured_content or {}
    assert (out["found"], out["stock_read"]) == (1, False)
    assert [g["reason"] for g in out["not_found"]] == ["NOT_SEEN"]
    assert "exist nowhere" not in text(r)  # not read to the end: absence is not claimed
    assert text(r).splitlines()[-1] == snapshot("NOT_SEEN (1, all named): W-02099. Not among the 2,000 rows of the account's listing read; where they are is unknown.")
