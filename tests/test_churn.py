"""Rows shifting between page reads (someone else changing the resource): a multi-page read
is trusted only when two consecutive reads agree, so no claim comes from a read that moved."""

from __future__ import annotations

from pathlib import Path

import pytest

from katana_sn_mcp.sandbox import Fault
from tests.conftest import make_harness, text

pytestmark = pytest.mark.anyio
MO = {"resource_type": "ManufacturingOrder", "resource_id": 5001}
SERIALS = [f"CH-{i:04d}" for i in range(1, 601)]  # three pages of 250


def gets(h: object) -> int:
    return sum(r.method == "GET" for r in h.sandbox.requests)  # type: ignore[attr-defined]


@pytest.mark.parametrize("header", [False, True])
async def test_a_row_removed_between_pages_is_read_again_and_nothing_false_is_claimed(
        tmp_path: Path, header: bool) -> None:
    h = make_harness(tmp_path, pagination_header=header)
    h.sandbox.mint("ManufacturingOrder", 5001, SERIALS)
    # before page 2 is answered, CH-0001 leaves: every later row moves one place earlier
    h.sandbox.inject(Fault(kind="churn", method="GET", page=2, remove=1))
    r = await h.call("verify_serial_numbers", {**MO, "expect_attached": SERIALS[1:]})
    assert not r.is_error, text(r)
    assert r.structured_content["all_confirmed"] is True  # CH-0251 was not "missing"
    assert r.structured_content["on_resource"] == 599
    # without a total: the moved read, then two that agree; with one: the moved read's
    # total changed between pages, so it is read again once
    assert gets(h) == (6 if header else 9)


@pytest.mark.parametrize("header", [False, True])
async def test_a_listing_that_keeps_moving_proves_nothing(tmp_path: Path, header: bool) -> None:
    h = make_harness(tmp_path, pagination_header=header)
    h.sandbox.mint("ManufacturingOrder", 5001, SERIALS)
    h.sandbox.inject(Fault(kind="churn", method="GET", page=2, remove=1, count=3))
    r = await h.call("verify_serial_numbers", {**MO, "expect_attached": SERIALS})
    assert r.is_error
    assert gets(h) == 9
    assert text(r) == (
        "Error executing tool verify_serial_numbers: The listing kept changing while its "
        "pages were read (someone is changing ManufacturingOrder 5001 right now): no two of "
        "three reads in a row agreed, so it proves nothing. This read changed nothing. Try "
        "again in a moment.")


async def test_a_delete_whose_re_read_moves_claims_no_removal(tmp_path: Path) -> None:
    h = make_harness(tmp_path, pagination_header=False)
    ids = h.sandbox.mint("ManufacturingOrder", 5001, SERIALS)
    # the pre-read (3 pages, twice) is still; the re-read after the DELETE keeps moving
    h.sandbox.inject(Fault(kind="churn", method="GET", page=2, remove=1, count=99))
    r = await h.call("delete_serial_numbers", {**MO, "ids": [ids[-1]], "confirm": True})
    removed = (r.structured_content or {}).get("removed") or {}
    assert not removed.get("count"), text(r)
