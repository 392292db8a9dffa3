"""Whole results for the situations fresh readers were given: every fact a reader needs to
act on (what changed, where things are now, how to continue) is in the text itself."""

from __future__ import annotations

import random
import re

import pytest
from inline_snapshot import snapshot

from katana_sn_mcp.present.budget import RESULT_BYTES
from katana_sn_mcp.sandbox import Fault
from tests.conftest import make_harness, size, text, whole

pytestmark = pytest.mark.anyio
MO = {"resource_type": "ManufacturingOrder", "resource_id": 1003}


async def test_a_mint_with_duplicates_here_and_elsewhere(tmp_path) -> None:
    h = make_harness(tmp_path)
    h.sandbox.mint("ManufacturingOrder", 1003, ["NEW-1", "NEW-2"])
    r = await h.call("create_serial_numbers", {**MO, "serial_numbers": [
        "NEW-1", "NEW-2", "NEW-3", "SN-1001-001", "SN-1001-002", "PO-2001-A"]})
    assert whole(r) == snapshot({'is_error': False, 'structured': {'summary': "5 strings NOT minted on ManufacturingOrder 1003 (DUPLICATE 5). 1 string minted on ManufacturingOrder 1003 by Katana's answer (not re-read).", 'outcome': 'partially_applied', 'operation': 'mint', 'resource_type': 'ManufacturingOrder', 'resource_id': 1003, 'requested': 6, 'applied': {'count': 1, 'runs': [{'first': 'NEW-3', 'count': 1, 'ids': [[886012, 886012]]}]}, 'not_applied': [{'reason': 'DUPLICATE', 'count': 5, 'why': 'Katana already has these strings, so it did not mint them again; nothing changed for them. The strings reported applied in this call are not undone by it.'}], 'verified': False, 'duplicates_at': [{'resource_type': 'ManufacturingOrder', 'resource_id': 1003, 'serials': {'count': 2, 'runs': [{'first': 'NEW-1', 'last': 'NEW-2', 'count': 2, 'ids': [[886010, 886011]]}]}}, {'resource_type': 'ManufacturingOrder', 'resource_id': 1001, 'serials': {'count': 2, 'runs': [{'first': 'SN-1001-001', 'last': 'SN-1001-002', 'count': 2, 'ids': [[886001, 886002]]}]}}, {'resource_type': 'PurchaseOrderRow', 'resource_id': 2001, 'serials': {'count': 1, 'runs': [{'first': 'PO-2001-A', 'count': 1, 'ids': [[886008, 886008]]}]}}], 'katana': {'status': 200, 'sends': 1, 'says': 'Katana answered 200'}, 'result_id': '<id>'}, 'text': """\
5 strings NOT minted on ManufacturingOrder 1003 (DUPLICATE 5). 1 string minted on ManufacturingOrder 1003 by Katana's answer (not re-read).
Minted (1): NEW-3 id 886012
DUPLICATE (5, named below by where they are now). Katana already has these strings, so it did not mint them again; nothing changed for them. The strings reported applied in this call are not undone by it.
DUPLICATE, already on ManufacturingOrder 1003 (2): NEW-1…NEW-2 (2) id 886010…886011
DUPLICATE, on ManufacturingOrder 1001 instead (2): SN-1001-001…SN-1001-002 (2) id 886001…886002
DUPLICATE, on PurchaseOrderRow 2001 instead (1): PO-2001-A id 886008
Katana answered 200.
Every item: katana://results/<id>\
"""})


async def test_list_page_two_from_the_cursor_in_the_text(tmp_path) -> None:
    h = make_harness(tmp_path)
    h.sandbox.mint("ManufacturingOrder", 1003, [f"BULK-{i:04d}" for i in range(5)])
    first = await h.call("list_serial_numbers", {**MO, "limit": 2})
    cursor = re.search(r'cursor="([^"]+)"', text(first))
    assert cursor is not None  # a host passing only text still passes the way on
    second = await h.call("list_serial_numbers", {**MO, "cursor": cursor.group(1)})
    assert whole(second) == snapshot({'is_error': False, 'structured': {'summary': 'ManufacturingOrder 1003: rows 3–4 of 5. More: call again with cursor="<cursor>" (next_cursor).', 'resource_type': 'ManufacturingOrder', 'resource_id': 1003, 'count': 2, 'total': 5, 'columns': ['id', 'serial_number'], 'rows': [[886012, 'BULK-0002'], [886013, 'BULK-0003']], 'next_cursor': '<cursor>'}, 'text': """\
ManufacturingOrder 1003: rows 3–4 of 5. More: call again with cursor="<cursor>" (next_cursor).
886012 BULK-0002
886013 BULK-0003\
"""})


async def test_an_unfiltered_page_labels_its_counts_as_this_pages(tmp_path) -> None:
    h = make_harness(tmp_path)
    r = await h.call("list_serial_numbers", {"limit": 3})
    assert whole(r) == snapshot({'is_error': False, 'structured': {'summary': 'this account: rows 1–3 of 9, on 1 resource; the counts below are of this page\'s rows only, not each resource\'s total (filter by resource_id for a resource\'s rows). More: call again with cursor="<cursor>" (next_cursor).', 'resource_type': None, 'resource_id': None, 'count': 3, 'total': 9, 'by_resource': [{'resource_type': 'ManufacturingOrder', 'resource_id': 1001, 'on_this_page': 3}], 'next_cursor': '<cursor>'}, 'text': """\
this account: rows 1–3 of 9, on 1 resource; the counts below are of this page's rows only, not each resource's total (filter by resource_id for a resource's rows). More: call again with cursor="<cursor>" (next_cursor).
ManufacturingOrder 1001: 3 on this page\
"""})


async def test_a_delete_answered_500_after_it_was_applied(tmp_path) -> None:
    h = make_harness(tmp_path)
    target = h.sandbox.find("SN-1001-005")
    assert target is not None
    h.sandbox.inject(Fault(kind="non_json_after", status=500, method="DELETE"))
    r = await h.call("delete_serial_numbers", {"resource_type": "ManufacturingOrder",
                                               "resource_id": 1001, "ids": [target.id],
                                               "confirm": True})
    out = whole(r)
    assert "204" not in out["text"]  # the 204 caveat only after a 204
    assert out == snapshot({'is_error': False, 'structured': {'summary': '1 serial number gone from ManufacturingOrder 1001: on it just before the delete and not after.', 'outcome': 'applied', 'resource_type': 'ManufacturingOrder', 'resource_id': 1001, 'requested': 1, 'removed': {'count': 1, 'ids': [[886005, 886005]]}, 'delete_sent': True, 'verified': True, 'katana': {'status': 500, 'sends': 1, 'says': 'Katana answered 500 <html><body><h1>502 Bad Gateway</h1></body></html>'}, 'result_id': '<id>'}, 'text': """\
1 serial number gone from ManufacturingOrder 1001: on it just before the delete and not after.
Gone (1): 886005
Katana answered 500 <html><body><h1>502 Bad Gateway</h1></body></html>.
Every item: katana://results/<id>\
"""})


async def test_a_10000_string_mint_with_mixed_failures(tmp_path) -> None:
    h = make_harness(tmp_path)
    serials = [f"BATCH-{i:05d}" for i in range(10_000)]
    rng = random.Random(7)
    taken = sorted(rng.sample(serials, 300))
    h.sandbox.mint("ManufacturingOrder", 1003, taken[:100])  # already here
    h.sandbox.mint("ManufacturingOrder", 1001, taken[100:200])  # elsewhere
    h.sandbox.mint("PurchaseOrderRow", 2001, taken[200:])  # elsewhere
    r = await h.call("create_serial_numbers", {**MO, "serial_numbers": serials})
    assert size(r) <= RESULT_BYTES
    assert whole(r) == snapshot({'is_error': False, 'structured': {'summary': "300 strings NOT minted on ManufacturingOrder 1003 (DUPLICATE 300). 9,700 strings minted on ManufacturingOrder 1003 by Katana's answer (not re-read).", 'outcome': 'partially_applied', 'operation': 'mint', 'resource_type': 'ManufacturingOrder', 'resource_id': 1003, 'requested': 10000, 'applied': {'count': 9700, 'runs': [{'first': 'BATCH-00000', 'last': 'BATCH-00002', 'count': 3, 'ids': [[886310, 886312]]}, {'first': 'BATCH-00004', 'last': 'BATCH-00030', 'count': 27, 'ids': [[886313, 886339]]}, {'first': 'BATCH-00032', 'last': 'BATCH-00066', 'count': 35, 'ids': [[886340, 886374]]}, {'first': 'BATCH-00068', 'last': 'BATCH-00196', 'count': 129, 'ids': [[886375, 886503]]}, {'first': 'BATCH-00198', 'last': 'BATCH-00232', 'count': 35, 'ids': [[886504, 886538]]}, {'first': 'BATCH-00234', 'last': 'BATCH-00349', 'count': 116, 'ids': [[886539, 886654]]}, {'first': 'BATCH-00351', 'last': 'BATCH-00368', 'count': 18, 'ids': [[886655, 886672]]}, {'first': 'BATCH-00370', 'last': 'BATCH-00377', 'count': 8, 'ids': [[886673, 886680]]}, {'first': 'BATCH-00379', 'last': 'BATCH-00416', 'count': 38, 'ids': [[886681, 886718]]}, {'first': 'BATCH-00418', 'last': 'BATCH-00442', 'count': 25, 'ids': [[886719, 886743]]}], 'more_runs': 282}, 'not_applied': [{'reason': 'DUPLICATE', 'count': 300, 'why': 'Katana already has these strings, so it did not mint them again; nothing changed for them. The strings reported applied in this call are not undone by it.'}], 'verified': False, 'duplicates_at': [{'resource_type': 'ManufacturingOrder', 'resource_id': 1003, 'serials': {'count': 100, 'runs': [{'first': 'BATCH-00003', 'count': 1, 'ids': [[886010, 886010]]}, {'first': 'BATCH-00031', 'count': 1, 'ids': [[886011, 886011]]}, {'first': 'BATCH-00067', 'count': 1, 'ids': [[886012, 886012]]}, {'first': 'BATCH-00197', 'count': 1, 'ids': [[886013, 886013]]}, {'first': 'BATCH-00233', 'count': 1, 'ids': [[886014, 886014]]}, {'first': 'BATCH-00350', 'count': 1, 'ids': [[886015, 886015]]}, {'first': 'BATCH-00369', 'count': 1, 'ids': [[886016, 886016]]}, {'first': 'BATCH-00378', 'count': 1, 'ids': [[886017, 886017]]}, {'first': 'BATCH-00417', 'count': 1, 'ids': [[886018, 886018]]}, {'first': 'BATCH-00443', 'count': 1, 'ids': [[886019, 886019]]}, {'first': 'BATCH-00451', 'count': 1, 'ids': [[886020, 886020]]}], 'more_runs': 84}}, {'resource_type': 'ManufacturingOrder', 'resource_id': 1001, 'serials': {'count': 100, 'runs': [{'first': 'BATCH-03172', 'count': 1, 'ids': [[886110, 886110]]}, {'first': 'BATCH-03191', 'count': 1, 'ids': [[886111, 886111]]}, {'first': 'BATCH-03197', 'count': 1, 'ids': [[886112, 886112]]}, {'first': 'BATCH-03222', 'count': 1, 'ids': [[886113, 886113]]}, {'first': 'BATCH-03265', 'count': 1, 'ids': [[886114, 886114]]}, {'first': 'BATCH-03275', 'count': 1, 'ids': [[886115, 886115]]}, {'first': 'BATCH-03348', 'count': 1, 'ids': [[886116, 886116]]}, {'first': 'BATCH-03362', 'count': 1, 'ids': [[886117, 886117]]}, {'first': 'BATCH-03374', 'count': 1, 'ids': [[886118, 886118]]}, {'first': 'BATCH-03407', 'count': 1, 'ids': [[886119, 886119]]}, {'first': 'BATCH-03420', 'count': 1, 'ids': [[886120, 886120]]}], 'more_runs': 88}}, {'resource_type': 'PurchaseOrderRow', 'resource_id': 2001, 'serials': {'count': 100, 'runs': [{'first': 'BATCH-06804', 'count': 1, 'ids': [[886210, 886210]]}, {'first': 'BATCH-06850', 'last': 'BATCH-06851', 'count': 2, 'ids': [[886211, 886212]]}, {'first': 'BATCH-06864', 'count': 1, 'ids': [[886213, 886213]]}, {'first': 'BATCH-06867', 'count': 1, 'ids': [[886214, 886214]]}, {'first': 'BATCH-06909', 'count': 1, 'ids': [[886215, 886215]]}, {'first': 'BATCH-06955', 'count': 1, 'ids': [[886216, 886216]]}, {'first': 'BATCH-07005', 'count': 1, 'ids': [[886217, 886217]]}, {'first': 'BATCH-07053', 'count': 1, 'ids': [[886218, 886218]]}, {'first': 'BATCH-07104', 'count': 1, 'ids': [[886219, 886219]]}, {'first': 'BATCH-07107', 'count': 1, 'ids': [[886220, 886220]]}, {'first': 'BATCH-07109', 'count': 1, 'ids': [[886221, 886221]]}], 'more_runs': 86}}], 'katana': {'status': 200, 'sends': 1, 'says': 'Katana answered 200'}, 'result_id': '<id>'}, 'text': """\
300 strings NOT minted on ManufacturingOrder 1003 (DUPLICATE 300). 9,700 strings minted on ManufacturingOrder 1003 by Katana's answer (not re-read).
Minted (9,700): BATCH-00000…BATCH-00002 (3) id 886310…886312; BATCH-00004…BATCH-00030 (27) id 886313…886339; BATCH-00032…BATCH-00066 (35) id 886340…886374; BATCH-00068…BATCH-00196 (129) id 886375…886503; BATCH-00198…BATCH-00232 (35) id 886504…886538; BATCH-00234…BATCH-00349 (116) id 886539…886654; BATCH-00351…BATCH-00368 (18) id 886655…886672; BATCH-00370…BATCH-00377 (8) id 886673…886680; BATCH-00379…BATCH-00416 (38) id 886681…886718; BATCH-00418…BATCH-00442 (25) id 886719…886743; and 282 more runs, not shown
DUPLICATE (300, named below by where they are now). Katana already has these strings, so it did not mint them again; nothing changed for them. The strings reported applied in this call are not undone by it.
DUPLICATE, already on ManufacturingOrder 1003 (100): BATCH-00003 id 886010; BATCH-00031 id 886011; BATCH-00067 id 886012; BATCH-00197 id 886013; BATCH-00233 id 886014; BATCH-00350 id 886015; BATCH-00369 id 886016; BATCH-00378 id 886017; BATCH-00417 id 886018; BATCH-00443 id 886019; BATCH-00451 id 886020; and 84 more runs, not shown
DUPLICATE, on ManufacturingOrder 1001 instead (100): BATCH-03172 id 886110; BATCH-03191 id 886111; BATCH-03197 id 886112; BATCH-03222 id 886113; BATCH-03265 id 886114; BATCH-03275 id 886115; BATCH-03348 id 886116; BATCH-03362 id 886117; BATCH-03374 id 886118; BATCH-03407 id 886119; BATCH-03420 id 886120; and 88 more runs, not shown
DUPLICATE, on PurchaseOrderRow 2001 instead (100): BATCH-06804 id 886210; BATCH-06850…BATCH-06851 (2) id 886211…886212; BATCH-06864 id 886213; BATCH-06867 id 886214; BATCH-06909 id 886215; BATCH-06955 id 886216; BATCH-07005 id 886217; BATCH-07053 id 886218; BATCH-07104 id 886219; BATCH-07107 id 886220; BATCH-07109 id 886221; and 86 more runs, not shown
Katana answered 200.
Every item: katana://results/<id>\
"""})
