"""The real KatanaClient against the sandbox for the catalog's wire variants the sandbox
can produce: flat and nested envelopes, Ajv v6 and v8, wrapped and bare lists, both eras."""

from __future__ import annotations

import httpx
import pytest

from katana_sn_mcp.katana.client import KatanaClient, RetryPolicy
from katana_sn_mcp.katana.errors import AuthError, InvalidRequest, NotFoundError
from katana_sn_mcp.sandbox import Sandbox, SandboxConfig

pytestmark = pytest.mark.anyio


def client_for(**config: object) -> tuple[Sandbox, KatanaClient]:
    sandbox = Sandbox(SandboxConfig(**config))  # type: ignore[arg-type]
    client = KatanaClient(sandbox.config.api_key, "http://sandbox.test/v1",
                          transport=httpx.ASGITransport(app=sandbox),
                          retry=RetryPolicy(attempts=1))
    return sandbox, client


@pytest.mark.parametrize("style", ["nested", "flat"])
@pytest.mark.parametrize("ajv", ["v8", "v6"])
async def test_validation_errors_in_every_dialect_name_the_field(style: str, ajv: str) -> None:
    _, client = client_for(error_style=style, ajv=ajv)
    with pytest.raises(InvalidRequest) as info:
        await client.create("Production", 1001, ["x"])  # seeds era: not in the enum
    detail = info.value.details[0]
    assert detail.field == "resource_type"
    assert "Production" not in detail.info["allowedValues"]
    assert detail.message.startswith("should" if ajv == "v6" else "must")


@pytest.mark.parametrize("style", ["nested", "flat"])
async def test_envelopes_of_not_found_and_auth(style: str) -> None:
    sandbox, client = client_for(error_style=style)
    with pytest.raises(NotFoundError) as info:
        await client.create("ManufacturingOrder", 424242, ["x"])
    assert info.value.message == "No entity found"
    bad = KatanaClient("wrong", "http://sandbox.test/v1",
                       transport=httpx.ASGITransport(app=sandbox), retry=RetryPolicy(attempts=1))
    with pytest.raises(AuthError):
        await bad.list_page()


@pytest.mark.parametrize("shape", ["wrapped", "bare"])
async def test_lists_in_both_shapes_and_every_page(shape: str) -> None:
    sandbox, client = client_for(list_shape=shape, pagination_header=False)
    sandbox.mint("ManufacturingOrder", 1003, [f"L-{i}" for i in range(520)])
    rows = await client.list_all(resource_type="ManufacturingOrder", resource_id=1003)
    assert [r.serial_number for r in rows] == [f"L-{i}" for i in range(520)]
    # no total from Katana: trusted once a second read returned the same ids
    assert [q.query["page"] for q in sandbox.requests] == ["1", "2", "3"] * 2


async def test_current_era_sentinels_and_404_are_read() -> None:
    _, client = client_for(mode="current")
    resp = await client.create("SalesOrderRow", 3001, ["SN-1001-001"])
    rec = resp.successful[0]
    assert rec.transaction_id is None and rec.resource_id is None  # "undefined" / "null"
    assert rec.transaction_date is None and not rec.landing_known
    with pytest.raises(NotFoundError) as info:
        await client.create("SalesOrderRow", 999, ["SN-1001-002"])
    assert info.value.status == 404 and info.value.message == "sales order row 999 not found"


async def test_post_with_only_resource_id_is_a_204_no_op() -> None:
    sandbox, client = client_for()
    resp = await client.create("ManufacturingOrder", 1003, [])
    assert resp.no_content and resp.status == 204
    assert sandbox.serials_on("ManufacturingOrder", 1003) == []


async def test_delete_answers_204_whatever_the_ids() -> None:
    sandbox, client = client_for()
    ids = [r.id for r in sandbox.serials_on("ManufacturingOrder", 1001)]
    po = sandbox.find("PO-2001-A").id
    for batch in ([ids[0]], [999999], [po], [ids[1], 999999]):
        assert (await client.delete("ManufacturingOrder", 1001, batch)).status == 204
    assert sandbox.find("PO-2001-A") is not None
    assert len(sandbox.serials_on("ManufacturingOrder", 1001)) == 3
