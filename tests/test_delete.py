"""delete_serial_numbers through a real MCP Client: what left the resource is proven by a
read just before and just after the DELETE, under a per-resource lock."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from inline_snapshot import snapshot
from mcp.types import ElicitResult

from katana_sn_mcp.sandbox import Fault
from tests.conftest import Harness, make_harness, whole

pytestmark = pytest.mark.anyio
MO = {"resource_type": "ManufacturingOrder", "resource_id": 1001}


def ids_on(h: Harness, rtype: str, rid: int) -> dict[str, int]:
    return {s.serial_number: s.id for s in h.sandbox.serials_on(rtype, rid)}


async def test_a_delete_with_one_id_not_on_the_resource(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    target = ids_on(h, *MO.values())["SN-1001-001"]
    po_id = ids_on(h, "PurchaseOrderRow", 2001)["PO-2001-A"]
    r = await h.call("delete_serial_numbers", {**MO, "ids": [target, po_id], "confirm": True})
    assert whole(r) == snapshot({'is_error': False, 'structured': {'summary': '1 id not on ManufacturingOrder 1001, left alone. 1 serial number gone from ManufacturingOrder 1001: on it just before the delete and not after.', 'outcome': 'partially_applied', 'resource_type': 'ManufacturingOrder', 'resource_id': 1001, 'requested': 2, 'removed': {'count': 1, 'ids': [[886001, 886001]]}, 'not_attached': {'count': 1, 'ids': [[886008, 886008]]}, 'delete_sent': True, 'verified': True, 'katana': {'status': 204, 'sends': 1, 'says': 'Katana answered 204'}, 'note': 'Katana answers 204 to every well-formed delete, whatever the ids, so its answer confirms nothing; what is reported here comes from reading the resource just before and after the delete.', 'result_id': '<id>'}, 'text': """\
1 id not on ManufacturingOrder 1001, left alone. 1 serial number gone from ManufacturingOrder 1001: on it just before the delete and not after.
Gone (1): 886001
Not on it (1): 886008
Katana answers 204 to every well-formed delete, whatever the ids, so its answer confirms nothing; what is reported here comes from reading the resource just before and after the delete.
Katana answered 204.
Every item: katana://results/<id>\
"""})
    assert "SN-1001-001" not in ids_on(h, *MO.values())
    assert h.sandbox.find("PO-2001-A").resource_id == 2001  # wrong parent: untouched
    assert [q.method for q in h.sandbox.requests] == ["GET", "DELETE", "GET"]


async def test_a_planned_delete_reads_only(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    target = ids_on(h, *MO.values())["SN-1001-002"]
    r = await h.call("delete_serial_numbers", {**MO, "ids": [target, 424242]})
    assert whole(r) == snapshot({'is_error': False, 'structured': {'summary': 'Nothing deleted yet; ManufacturingOrder 1001 was only read. Delete 1 serial number from ManufacturingOrder 1001: 886002 (SN-1001-002). 1 requested id not on ManufacturingOrder 1001 will be left alone: 424242. Ask the person to confirm, then call again with confirm=true.', 'outcome': 'planned', 'resource_type': 'ManufacturingOrder', 'resource_id': 1001, 'requested': 2, 'delete_sent': False, 'verified': False}, 'text': 'Nothing deleted yet; ManufacturingOrder 1001 was only read. Delete 1 serial number from ManufacturingOrder 1001: 886002 (SN-1001-002). 1 requested id not on ManufacturingOrder 1001 will be left alone: 424242. Ask the person to confirm, then call again with confirm=true.'})
    assert [q.method for q in h.sandbox.requests] == ["GET"]


async def test_ids_not_on_the_resource_send_no_delete_and_are_an_error(harness: Harness) -> None:
    r = await harness.call("delete_serial_numbers", {"resource_type": "SalesOrderRow",
                                                      "resource_id": 3001, "ids": [123],
                                                      "confirm": True})
    assert r.is_error
    assert r.structured_content["not_attached"] == {"count": 1, "ids": [[123, 123]]}
    assert not any(q.method == "DELETE" for q in harness.sandbox.requests)


async def test_two_sessions_deleting_one_id_cannot_both_claim_it(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    target = ids_on(h, *MO.values())["SN-1001-003"]
    h.sandbox.inject(Fault(kind="delay", method="DELETE", delay=0.05, count=2))  # slow deletes
    results: list[Any] = []

    async def delete() -> None:
        results.append(await h.call("delete_serial_numbers", {**MO, "ids": [target],
                                                               "confirm": True}))

    async with anyio.create_task_group() as tg:
        tg.start_soon(delete)
        tg.start_soon(delete)
    removed = [r.structured_content.get("removed") for r in results]
    assert sorted(map(bool, removed)) == [False, True], [r.structured_content for r in results]
    assert sum(q.method == "DELETE" for q in h.sandbox.requests) == 1


async def test_an_id_moved_while_the_person_decides_is_not_reported_removed(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    target = ids_on(h, *MO.values())["SN-1001-004"]

    async def meanwhile_someone_moves_it(ctx: Any, params: Any) -> ElicitResult:
        record = h.sandbox.store.find("SN-1001-004")
        h.sandbox.store.move(record, "SalesOrderRow", 3001, -1)
        return ElicitResult(action="accept", content={"confirm": True})

    h.elicitation = meanwhile_someone_moves_it
    r = await h.call("delete_serial_numbers", {**MO, "ids": [target]})
    out = r.structured_content
    assert "removed" not in out and out["not_attached"] == {"count": 1, "ids": [[target, target]]}
    # legacy era: the plan the person saw is older than the delete's own read; the new era
    # re-runs the pre-check after the answer, so the id is simply not there any more
    assert ("between the confirmation and the delete" in out["summary"]) is (era == "legacy")
    assert h.sandbox.find("SN-1001-004").resource_id == 3001  # still exists, elsewhere
    assert not any(q.method == "DELETE" for q in h.sandbox.requests)


async def test_a_delete_refused_with_500_that_changed_nothing_is_an_error(tmp_path, era) -> None:
    from katana_sn_mcp.sandbox import Fault

    h = make_harness(tmp_path, era=era)
    target = ids_on(h, *MO.values())["SN-1001-005"]
    h.sandbox.inject(Fault(kind="status", status=500, method="DELETE"))
    r = await h.call("delete_serial_numbers", {**MO, "ids": [target], "confirm": True})
    out = r.structured_content
    assert r.is_error and out["outcome"] == "not_applied"
    assert out["still_attached"] == {"count": 1, "ids": [[target, target]]}
    assert out["katana"]["status"] == 500 and out["katana"]["says"].startswith("Katana answered 500")


async def test_a_declined_delete(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    target = ids_on(h, *MO.values())["SN-1001-002"]

    async def decline(ctx: Any, params: Any) -> ElicitResult:
        return ElicitResult(action="decline")

    h.elicitation = decline
    r = await h.call("delete_serial_numbers", {**MO, "ids": [target]})
    assert whole(r) == snapshot({'is_error': False, 'structured': {'summary': 'The person declined the deletion, so no delete was sent; ManufacturingOrder 1001 was only read.', 'outcome': 'declined', 'resource_type': 'ManufacturingOrder', 'resource_id': 1001, 'requested': 1, 'delete_sent': False, 'verified': False}, 'text': 'The person declined the deletion, so no delete was sent; ManufacturingOrder 1001 was only read.'})
    assert not any(q.method == "DELETE" for q in h.sandbox.requests)
