"""The sandbox Katana's own semantics, over plain httpx (its rules, not our client's)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from katana_sn_mcp.sandbox import Fault, Sandbox, SandboxConfig

pytestmark = pytest.mark.anyio


def http(sandbox: Sandbox, key: str = "sandbox-key") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox),
                             base_url="http://katana.test/v1",
                             headers={"Authorization": f"Bearer {key}"})


async def test_rate_limit_is_a_sliding_window_with_ms_reset_and_retry_after() -> None:
    now = [1_000_000.0]
    sandbox = Sandbox(SandboxConfig(rate_limit=3, rate_window=60, clock=lambda: now[0]))
    async with http(sandbox) as c:
        statuses = [(await c.get("/serial_numbers")).status_code for _ in range(3)]
        limited = await c.get("/serial_numbers")
        now[0] += 60.5
        again = await c.get("/serial_numbers")
    assert statuses == [200, 200, 200]
    assert limited.status_code == 429 and limited.headers["retry-after"] == "60"
    assert limited.json() == {"statusCode": 429, "name": "TooManyRequests",
                              "message": "Too Many Requests"}
    assert int(limited.headers["x-ratelimit-reset"]) == 1_000_060_000
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert again.status_code == 200 and sandbox.rate_limited == 1


async def test_get_filters_pagination_clamp_and_bad_parameters() -> None:
    sandbox = Sandbox()
    sandbox.mint("SalesOrderRow", 3001, [f"R-{i}" for i in range(300)])
    async with http(sandbox) as c:
        page = await c.get("/serial_numbers", params={"resource_type": "SalesOrderRow",
                                                      "limit": 1000, "page": 1})
        past = await c.get("/serial_numbers", params={"page": 9999})
        by_id = await c.get("/serial_numbers", params={"resource_id": 2001})
        bad = await c.get("/serial_numbers", params={"resource_type": "Foo"})
        bad_page = await c.get("/serial_numbers", params={"page": "x"})
    assert len(page.json()["data"]) == 250
    meta = json.loads(page.headers["x-pagination"])
    assert meta["total_pages"] == "2" and meta["last_page"] == "false"
    assert past.json() == {"data": []}
    assert {r["serial_number"] for r in by_id.json()["data"]} == {"PO-2001-A", "PO-2001-B"}
    assert bad.status_code == 400 and len(bad.json()["error"]["details"][0]["info"]["allowedValues"]) == 7
    assert bad_page.status_code == 400


async def test_ajv_collects_every_error_at_once() -> None:
    async with http(Sandbox()) as c:
        r = await c.post("/serial_numbers", json={"resource_type": "Foo", "resource_id": 0,
                                                  "serial_numbers": [1], "foo": 1})
        d = await c.request("DELETE", "/serial_numbers", json={"resource_type": "ManufacturingOrder",
                                                               "resource_id": 1001, "ids": ["1"]})
    codes = {(x["path"], x["code"]) for x in r.json()["error"]["details"]}
    assert codes == {("", "additionalProperties"), ("/resource_id", "minimum"),
                     ("/resource_type", "enum"), ("/serial_numbers/0", "type")}
    assert d.status_code == 422 and d.json()["error"]["details"][0]["message"] == "must be number"


async def test_wrong_key_gets_401() -> None:
    async with http(Sandbox(), key="nope") as c:
        r = await c.get("/serial_numbers")
    assert r.status_code == 401 and r.json()["error"]["name"] == "UnauthorizedError"


async def test_stock_endpoint_shows_the_ledger_of_a_transfer() -> None:
    sandbox = Sandbox()
    async with http(sandbox) as c:
        await c.post("/serial_numbers", json={"resource_type": "SalesOrderRow",
                                              "resource_id": 3001, "serial_numbers": ["SN-1001-001"]})
        rows = (await c.get("/serial_numbers_stock", params={"limit": 1})).json()["data"]
    row = next(r for r in rows if r["serial_number"] == "SN-1001-001")
    assert row["in_stock"] is False and isinstance(row["id"], int)
    assert [t["resource_type"] for t in row["transactions"]] == ["ManufacturingOrder", "SalesOrderRow"]
    assert len(rows) > 1  # limit is ignored


async def test_state_file_survives_restarts_and_is_always_whole_json(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = Sandbox(SandboxConfig(state_file=state))
    async with http(first) as c:
        await c.post("/serial_numbers", json={"resource_type": "ManufacturingOrder",
                                              "resource_id": 1003, "serial_numbers": ["KEEP-1"]})
    json.loads(state.read_text())  # parses: written whole, via temp file + rename
    assert not list(tmp_path.glob(".*.tmp"))
    second = Sandbox(SandboxConfig(state_file=state))
    assert second.find("KEEP-1").resource_id == 1003


@pytest.mark.parametrize(("kind", "applied", "raises"), [
    ("drop_before", False, httpx.RemoteProtocolError), ("drop_after", True, httpx.RemoteProtocolError),
    ("timeout_before", False, httpx.ReadTimeout), ("timeout_after", True, httpx.ReadTimeout),
    ("non_json_before", False, None), ("non_json_after", True, None)])
async def test_faults_apply_or_not_as_named(kind: str, applied: bool, raises: type | None) -> None:
    sandbox = Sandbox()
    sandbox.inject(Fault(kind=kind, method="POST", status=502))  # type: ignore[arg-type]
    async with http(sandbox) as c:
        body = {"resource_type": "ManufacturingOrder", "resource_id": 1003, "serial_numbers": ["Z"]}
        if raises:
            with pytest.raises(raises):
                await c.post("/serial_numbers", json=body)
        else:
            r = await c.post("/serial_numbers", json=body)
            assert r.status_code == 502 and r.headers["content-type"] == "text/html"
    assert (sandbox.find("Z") is not None) == applied
