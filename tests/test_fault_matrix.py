"""Fault injection: whatever goes wrong on the wire, every tool's reported outcome matches
the sandbox's real state afterwards, and no write is ever sent twice when it may have
been applied. The matrix is tool x fault, each in both MCP protocol eras."""

from __future__ import annotations

import pytest

from katana_sn_mcp.sandbox import Fault
from tests.conftest import Harness, make_harness, text

pytestmark = pytest.mark.anyio

FAULTS = {
    "503": Fault(kind="status", status=503),
    "500": Fault(kind="status", status=500),
    "502x2": Fault(kind="status", status=502, count=2),
    "429": Fault(kind="status", status=429, retry_after=1),
    "drop_before": Fault(kind="drop_before"),
    "drop_after": Fault(kind="drop_after"),
    "timeout_before": Fault(kind="timeout_before"),
    "timeout_after": Fault(kind="timeout_after"),
    "non_json_before": Fault(kind="non_json_before", status=502),
    "non_json_after": Fault(kind="non_json_after", status=200),
    "delay": Fault(kind="delay", delay=0.01),
}
CALLS = {
    "mint": ("POST", "create_serial_numbers",
             {"resource_type": "ManufacturingOrder", "resource_id": 1003,
              "serial_numbers": ["F-1", "F-2"]}),
    "transfer": ("POST", "create_serial_numbers",
                 {"resource_type": "SalesOrderRow", "resource_id": 3001,
                  "serial_numbers": ["SN-1001-001", "SN-1001-002"]}),
    "transfer_check": ("GET", "create_serial_numbers",
                       {"resource_type": "SalesOrderRow", "resource_id": 3001,
                        "serial_numbers": ["SN-1001-001", "SN-1001-002"]}),
    "delete": ("DELETE", "delete_serial_numbers",
               {"resource_type": "ManufacturingOrder", "resource_id": 1001, "confirm": True}),
    "delete_check": ("GET", "delete_serial_numbers",
                     {"resource_type": "ManufacturingOrder", "resource_id": 1001,
                      "confirm": True}),
    "list": ("GET", "list_serial_numbers", {"resource_type": "ManufacturingOrder",
                                            "resource_id": 1001}),
    "verify": ("GET", "verify_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                "resource_id": 1001,
                                                "expect_attached": ["SN-1001-001"]}),
}


def on(h: Harness, rtype: str, rid: int) -> dict[str, int]:
    return {s.serial_number: s.id for s in h.sandbox.serials_on(rtype, rid)}


def check_create(h: Harness, r, args: dict, before: dict[str, int]) -> str:
    truth = on(h, args["resource_type"], args["resource_id"])
    if r.is_error:
        assert truth == before, "an error result must mean nothing changed"
        return "error, nothing changed"
    out = r.structured_content
    for item in out["succeeded"]:
        assert item["serial_number"] in truth
    for f in out["failed"]:
        assert f["serial_number"] not in truth
    if out["unknown"]:
        assert not out["verified"]
    # a POST that may have been applied is never re-sent
    maybe_applied = [q for q in h.sandbox.requests if q.method == "POST" and q.status in (None, 200)]
    assert len(maybe_applied) <= 1
    return out["outcome"] + (" (verified)" if out["verified"] else " (unverified)")


def check_delete(h: Harness, r, target: int, before: dict[str, int]) -> str:
    truth = set(on(h, "ManufacturingOrder", 1001).values())
    if r.is_error:
        assert truth == set(before.values())
        return "error, nothing changed"
    out = r.structured_content
    if out["verified"]:
        assert (target in out["removed"]) == (target not in truth)
        assert (target in out["still_attached"]) == (target in truth)
    else:  # the re-read failed: the id must be reported as unknown, never as removed
        assert out["unknown"] == [target] and out["removed"] == []
    return out["outcome"] + (" (verified)" if out["verified"] else " (unverified)")


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("call", list(CALLS))
async def test_reported_outcome_matches_real_state(tmp_path, era, call: str, fault: str) -> None:
    h = make_harness(tmp_path, era=era)
    method, tool, args = CALLS[call]
    before_mo = on(h, "ManufacturingOrder", 1001)
    args = dict(args)
    if tool == "delete_serial_numbers":
        args["ids"] = [before_mo["SN-1001-004"]]
    f = FAULTS[fault]
    # a "_check" call lets the write through and hits the follow-up read instead
    if call.endswith("_check"):
        if call == "delete_check":  # the pre-read passes, the re-read after the delete fails
            h.sandbox.inject(Fault(kind="delay", method="GET", count=1))
        h.sandbox.inject(Fault(**{**f.__dict__, "method": "GET"}))
    else:
        h.sandbox.inject(Fault(**{**f.__dict__, "method": method}))
    before = on(h, args.get("resource_type", "ManufacturingOrder"), args.get("resource_id", 1001))
    r = await h.call(tool, args)
    if tool == "create_serial_numbers":
        verdict = check_create(h, r, args, before)
    elif tool == "delete_serial_numbers":
        verdict = check_delete(h, r, args["ids"][0], before)
    else:
        assert on(h, "ManufacturingOrder", 1001) == before_mo  # reads change nothing
        verdict = "error" if r.is_error else "ok"
        if not r.is_error and tool == "list_serial_numbers":
            assert r.structured_content["count"] == len(before_mo)
        if r.is_error:
            assert "Nothing was changed" in text(r)
    print(f"MATRIX {call} {fault} {era}: {verdict}")
