"""Every result fits the model's context whatever the batch: the budgets in
present/budget.py, measured on everything the host receives, at n = 3 … 10,000, in both
MCP eras. Deterministic byte counts, not timings."""

from __future__ import annotations

import json
import random

import pytest

from katana_sn_mcp.present.budget import RESULT_BYTES, SMALL_RESULT_BYTES
from tests.conftest import make_harness, size

pytestmark = pytest.mark.anyio
SIZES = [3, 100, 1000, 10_000]


def scattered(n: int, width: int = 12) -> list[str]:
    """Strings with no runs at all: the worst case for compression."""
    rng = random.Random(n)
    return [f"Z{rng.randrange(10**width):0{width}d}-{i}" for i in range(n)]


@pytest.mark.parametrize("n", SIZES)
async def test_create_results_stay_in_budget(tmp_path, era, n) -> None:
    h = make_harness(tmp_path, era=era)
    serials = scattered(n)
    mint = await h.call("create_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                   "resource_id": 1003, "serial_numbers": serials})
    again = await h.call("create_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                    "resource_id": 1003, "serial_numbers": serials})
    moved = await h.call("create_serial_numbers", {"resource_type": "SalesOrderRow",
                                                    "resource_id": 3001, "serial_numbers": serials,
                                                    "verify": False})
    assert mint.structured_content["applied"]["count"] == n
    assert again.structured_content["not_applied"][0]["count"] == n
    assert moved.structured_content["applied"]["count"] == n
    for r in (mint, again, moved):
        assert size(r) <= RESULT_BYTES
    if n == 3:
        assert size(mint) <= SMALL_RESULT_BYTES


@pytest.mark.parametrize("n", SIZES)
async def test_delete_verify_and_list_results_stay_in_budget(tmp_path, era, n) -> None:
    h = make_harness(tmp_path, era=era)
    serials = scattered(n)
    ids = h.sandbox.mint("ManufacturingOrder", 1003, serials)
    listed = await h.call("list_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                   "resource_id": 1003})
    absent = await h.call("verify_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                     "resource_id": 1002,
                                                     "expect_attached": serials})
    rng = random.Random(n)
    gone = await h.call("delete_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                   "resource_id": 1003, "confirm": True,
                                                   "ids": rng.sample(ids, len(ids))})
    assert gone.structured_content["removed"]["count"] == n
    assert listed.structured_content["count"] >= min(n, 1)
    for r in (listed, absent, gone):
        assert size(r) <= RESULT_BYTES, r.structured_content.get("summary")


async def test_a_two_id_delete_is_small(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    ids = [s.id for s in h.sandbox.serials_on("ManufacturingOrder", 1001)][:2]
    r = await h.call("delete_serial_numbers", {"resource_type": "ManufacturingOrder",
                                               "resource_id": 1001, "ids": ids, "confirm": True})
    assert size(r) <= SMALL_RESULT_BYTES


async def test_137_failures_in_10000_are_counted_named_and_all_in_the_detail(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    serials = [f"BATCH-{i:05d}" for i in range(10_000)]
    taken = sorted(random.Random(137).sample(serials, 137))
    h.sandbox.mint("ManufacturingOrder", 1001, taken)
    r = await h.call("create_serial_numbers", {"resource_type": "ManufacturingOrder",
                                               "resource_id": 1003, "serial_numbers": serials})
    out = r.structured_content
    group = out["not_applied"][0]
    assert (group["reason"], group["count"], out["applied"]["count"]) == ("DUPLICATE", 137, 9863)
    assert "runs" not in group  # named once, by where they are
    (place,) = out["duplicates_at"]
    assert (place["resource_type"], place["resource_id"], place["serials"]["count"]) == (
        "ManufacturingOrder", 1001, 137)
    runs = place["serials"]["runs"]
    named = [s for run in runs for s in taken if run["first"] <= s <= run.get("last", run["first"])]
    assert named == taken[:len(named)] and len(named) == sum(r["count"] for r in runs) >= 10
    assert len(named) < 137  # the rest are counted, not named
    assert size(r) <= RESULT_BYTES
    async with h.client() as client:
        detail = json.loads((await client.read_resource(
            f"katana://results/{out['result_id']}")).contents[0].text)
    refused = [i["serial_number"] for i in detail["items"] if i.get("reason") == "DUPLICATE"]
    assert refused == taken and len(detail["items"]) == 10_000


async def test_an_aged_out_result_says_so(tmp_path) -> None:
    h = make_harness(tmp_path)
    async with h.client() as client:
        with pytest.raises(Exception, match=r"not among the write results this server keeps \(the last 50\)"):
            await client.read_resource("katana://results/0123456789ab")


def katana_error(status: int, body: object) -> str:
    import httpx

    from katana_sn_mcp.katana.errors import error_from_response
    from katana_sn_mcp.present.errors import whole_call

    request = httpx.Request("POST", "https://api.katanamrp.com/v1/serial_numbers")
    return whole_call(error_from_response(httpx.Response(status, json=body, request=request)),
                      "ManufacturingOrder 1")


def test_katanas_own_words_are_bounded_whatever_it_sends() -> None:
    huge = katana_error(500, {"name": "E" * 5000, "message": "x" * 15000})
    assert len(huge.encode()) < 1500 and "…" in huge
    details = [{"instancePath": f"/serial_numbers/{i}", "message": "must be unique"}
               for i in range(10000)]
    many = katana_error(422, {"statusCode": 422, "name": "UnprocessableEntityError",
                              "message": "invalid", "details": details})
    assert len(many.encode()) < 2000 and many.count("must be unique") == 10
    assert "and 9,990 more" in many


def test_a_secret_at_the_cut_is_redacted_before_the_cut() -> None:
    from katana_sn_mcp import redact

    secret = "sk-live-0123456789abcdef0123456789abcdef"
    redact.register(secret)
    try:
        said = katana_error(500, {"message": "y" * 480 + secret + "z" * 100})
    finally:
        redact.forget_all()
    assert secret[:12] not in said and "[redacted]" in said
