"""Signed list cursors: forged, edited, cut or foreign cursors are refused in one sentence
with no Katana request; a walk whose listing moves says so and never ends claiming it saw
everything."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from katana_sn_mcp import cursors
from katana_sn_mcp.cursors import Place
from tests.conftest import Harness, make_harness, text, walk

pytestmark = pytest.mark.anyio
MO = {"resource_type": "ManufacturingOrder", "resource_id": 5001}
NOT_OURS = ("Error executing tool list_serial_numbers: next_cursor is not one this server "
            "returned, or it was changed or cut short (cursors also lapse when the server "
            "restarts); pass next_cursor back exactly as returned, or list again without a "
            "cursor. Nothing was read.")


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    h = make_harness(tmp_path)
    h.sandbox.mint("ManufacturingOrder", 5001, [f"CU-{i:04d}" for i in range(1, 602)])
    return h


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def forgeries(good: str) -> Iterator[str]:
    body, tag = good.split(".")
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    yield good[:-1]  # cut short
    yield good[:len(good) // 2]
    yield body  # no tag
    yield f"{body}."
    yield f"{body}.{tag}.{tag}"
    yield "x" + good[1:]
    edited = json.loads(raw)
    for index, value in ((3, 0), (3, -1), (3, 10**18), (4, 10**6), (4, 0), (5, -1), (1, None)):
        changed = list(edited)
        changed[index] = value
        yield f"{_b64(json.dumps(changed).encode())}.{tag}"  # edited, old tag
    # the unsigned cursors this server used to make: page 1, limit 10^6
    yield _b64(json.dumps([1, 1000000, 0, "ManufacturingOrder", 5001]).encode())
    yield _b64(json.dumps([0, 250, 0, "ManufacturingOrder", 5001]).encode())
    # signed with this very key, yet out of bounds: still never sent
    for place in (Place(0, 100, 0, *MO.values(), 1), Place(2, 10**6, 0, *MO.values(), 1),
                  Place(10**9, 250, 0, *MO.values(), 1), Place(2, 100, 100, *MO.values(), 1),
                  Place(1, 100, 0, *MO.values(), 1)):
        yield cursors.make(place)


async def test_forged_edited_or_cut_cursors_are_refused_without_a_request(h: Harness) -> None:
    r = await h.call("list_serial_numbers", {**MO, "limit": 100})
    good = r.structured_content["next_cursor"]
    before = h.katana_requests()
    refused = 0
    async with h.client() as client:
        for forged in forgeries(good):
            r = await client.call_tool("list_serial_numbers", {**MO, "cursor": forged})
            assert r.is_error and text(r) == NOT_OURS, forged
            refused += 1
    assert refused == 20
    assert h.katana_requests() == before  # not one request for any of them


async def test_a_cursor_for_another_listing_is_refused_without_a_request(h: Harness) -> None:
    r = await h.call("list_serial_numbers", {**MO, "limit": 100})
    good = r.structured_content["next_cursor"]
    before = h.katana_requests()
    for other in ({"resource_type": "ManufacturingOrder", "resource_id": 1001},
                  {"resource_type": "SalesOrderRow", "resource_id": 5001}, {}):
        r = await h.call("list_serial_numbers", {**other, "cursor": good})
        assert text(r) == (
            "Error executing tool list_serial_numbers: this next_cursor belongs to a listing "
            "with other filters; pass the same resource_type and resource_id as the call that "
            "returned it. Nothing was read.")
    assert h.katana_requests() == before


def test_replicas_sharing_the_state_key_accept_each_others_cursors() -> None:
    saved = cursors._key
    try:
        cursors.use_key("a" * 64)
        made = cursors.make(Place(2, 100, 0, *MO.values(), 7))
        cursors.use_key("b" * 64)  # another deployment
        with pytest.raises(cursors.BadCursor):
            cursors.read(made, *MO.values())
        cursors.use_key("a" * 64)  # another replica of the first: the same key
        assert cursors.read(made, *MO.values()) == Place(2, 100, 0, *MO.values(), 7)
    finally:
        cursors._key = saved


@pytest.mark.parametrize("header", [True, False])
async def test_a_walk_that_sees_rows_shift_says_so_and_never_claims_all(
        tmp_path: Path, header: bool) -> None:
    h = make_harness(tmp_path, pagination_header=header)
    ids = h.sandbox.mint("ManufacturingOrder", 5001, [f"CU-{i:04d}" for i in range(1, 602)])

    def someone_deletes(pages: int) -> None:
        if pages == 2:  # the first row goes: every later row moves one place earlier
            h.sandbox.store.remove("ManufacturingOrder", 5001, [ids[0]])

    pages = await walk(h, {**MO, "limit": 250}, someone_deletes)
    summaries = [p["summary"] for p in pages]
    moved = [s for s in summaries if "The listing changed since the previous page" in s]
    assert len(moved) == 1
    assert not any("That is all of them" in s for s in summaries)
    assert summaries[-1].endswith("That was the last page, but the listing changed during "
                                  "this walk, so rows may have been skipped or repeated; list "
                                  "again without a cursor for a consistent read.")


async def test_a_still_walk_ends_with_all_of_them_and_costs_one_seam_read_per_page(
        h: Harness) -> None:
    pages = await walk(h, {**MO, "limit": 250})
    # cut to the byte budget (the text carries the cursor value too)
    assert [p["count"] for p in pages] == [198, 52, 198, 52, 101]
    assert pages[-1]["summary"] == "ManufacturingOrder 5001: rows 501–601 of 601. That is all of them."
    # each tool page reads its Katana page; a new Katana page also reads the row before it
    assert h.katana_requests() == 5 + 2


async def test_the_page_that_sees_the_shift_in_full(tmp_path: Path) -> None:
    from inline_snapshot import snapshot

    from tests.conftest import whole

    h = make_harness(tmp_path, pagination_header=False)
    ids = h.sandbox.mint("ManufacturingOrder", 5001, [f"CU-{i:04d}" for i in range(1, 5)])
    async with h.client() as client:
        first = await client.call_tool("list_serial_numbers", {**MO, "limit": 2})
        h.sandbox.store.remove("ManufacturingOrder", 5001, [ids[0]])
        r = await client.call_tool("list_serial_numbers", {
            **MO, "cursor": first.structured_content["next_cursor"]})
    shown = whole(r)
    assert shown == snapshot({'is_error': False, 'structured': {'summary': 'ManufacturingOrder 5001: rows 3–3 (Katana gave no total). The listing changed since the previous page (rows were added or removed), so rows may be skipped or repeated from here; list again without a cursor for a consistent read. That was the last page.', 'resource_type': 'ManufacturingOrder', 'resource_id': 5001, 'count': 1, 'total': None, 'columns': ['id', 'serial_number'], 'rows': [[886013, 'CU-0004']]}, 'text': """\
ManufacturingOrder 5001: rows 3–3 (Katana gave no total). The listing changed since the previous page (rows were added or removed), so rows may be skipped or repeated from here; list again without a cursor for a consistent read. That was the last page.
886013 CU-0004\
"""})
