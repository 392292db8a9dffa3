"""Fault injection: whatever goes wrong on the wire, each tool's reported outcome, Katana
status, isError and cause sentence are pinned per cell (the whole table is a snapshot),
every cell is checked against the sandbox's real state afterwards, and no POST that may
have been applied is ever sent twice. Both MCP protocol eras give the same table."""

from __future__ import annotations

from typing import Any

import pytest
from inline_snapshot import snapshot

from katana_sn_mcp.sandbox import Fault
from tests.conftest import SLEPT, Harness, make_harness, text

pytestmark = pytest.mark.anyio

FAULTS = {
    "503": Fault(kind="status", status=503),
    "500": Fault(kind="status", status=500),
    "500_after": Fault(kind="non_json_after", status=500),
    "502x2": Fault(kind="status", status=502, count=2),
    "429": Fault(kind="status", status=429, retry_after=1),
    "drop_before": Fault(kind="drop_before"),
    "drop_after": Fault(kind="drop_after"),
    "timeout_before": Fault(kind="timeout_before"),
    "timeout_after": Fault(kind="timeout_after"),
    "non_json_after": Fault(kind="non_json_after", status=200),
    "204_before": Fault(kind="no_content_before", status=204),
    "204_after": Fault(kind="no_content_after", status=204),
}
MO, SO = ("ManufacturingOrder", 1001), ("SalesOrderRow", 3001)
CALLS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "mint": ("POST", "create_serial_numbers", {"resource_type": "ManufacturingOrder",
                                               "resource_id": 1003, "serial_numbers": ["F-1"]}),
    "transfer": ("POST", "create_serial_numbers", {"resource_type": "SalesOrderRow",
                                                   "resource_id": 3001,
                                                   "serial_numbers": ["SN-1001-001"]}),
    "transfer_check": ("GET", "create_serial_numbers", {"resource_type": "SalesOrderRow",
                                                        "resource_id": 3001,
                                                        "serial_numbers": ["SN-1001-001"]}),
    "delete": ("DELETE", "delete_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                   "resource_id": 1001, "confirm": True}),
    "delete_check": ("GET", "delete_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                      "resource_id": 1001, "confirm": True}),
    "verify": ("GET", "verify_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                "resource_id": 1001,
                                                "expect_attached": ["SN-1001-001"]}),
}


def on(h: Harness, rtype: str, rid: int) -> set[str]:
    return {s.serial_number for s in h.sandbox.serials_on(rtype, rid)}


def posts(h: Harness) -> int:
    """POSTs Katana may have applied (a 429 is refused before anything is applied)."""
    return sum(q.method == "POST" and q.status != 429 for q in h.sandbox.requests)


def check_truth(h: Harness, call: str, out: dict[str, Any] | None, before: set[str]) -> None:
    """The reported states against where things really are."""
    rtype, rid = (("ManufacturingOrder", 1003) if call == "mint" else
                  SO if call.startswith("transfer") else MO)
    now = on(h, rtype, rid)
    if out is None or call == "verify":
        assert now == before, "an error or a read must mean nothing changed"
        return
    if call.startswith(("mint", "transfer")):
        serial = CALLS[call][2]["serial_numbers"][0]
        if out.get("applied") or out.get("present"):
            assert serial in now
        if any(g["reason"] != "NOT_IN_STOCK" for g in out.get("not_applied", [])):
            assert serial not in now
        assert posts(h) == 1, "a POST that may have been applied was sent again"
    else:
        if out.get("removed"):
            assert "SN-1001-004" not in now
        if out.get("still_attached"):
            assert "SN-1001-004" in now


async def cell(tmp_path, era: str, call: str, fault: str, mode: str) -> str:
    h = make_harness(tmp_path / f"{call}-{fault}", era=era, mode=mode)
    method, tool, args = CALLS[call]
    args = dict(args)
    if tool == "delete_serial_numbers":
        args["ids"] = [h.sandbox.find("SN-1001-004").id]
    f = FAULTS[fault]
    if call == "delete_check":  # the read just before passes, the re-read after fails
        h.sandbox.inject(Fault(kind="delay", method="GET", count=1))
    target = "GET" if call.endswith("_check") else method
    h.sandbox.inject(Fault(**{**f.__dict__, "method": target, "used": 0}))
    rtype, rid = (("ManufacturingOrder", 1003) if call == "mint" else
                  SO if call.startswith("transfer") else MO)
    before = on(h, rtype, rid)
    r = await h.call(tool, args)
    out = r.structured_content
    check_truth(h, call, None if r.is_error and out is None else out, before)
    if out is None:  # a whole-call ToolError: its first sentence and Katana's part
        first, _, katana = text(r).removeprefix(f"Error executing tool {tool}: ").partition("\n")
        return f"ERROR {first.split('.')[0]} | {katana}"
    state = out.get("outcome") or ("confirmed" if out.get("all_confirmed") else "not confirmed")
    katana = out.get("katana") or {}
    groups = [g["reason"] for g in out.get("not_applied", []) + out.get("unknown", [])]
    return (f"{'ERROR ' if r.is_error else ''}{state} {katana.get('status')} x{katana.get('sends')}"
            f" {groups or ''} | {katana.get('says', '')}".replace("  ", " "))


EXPECTED = snapshot({'mint 503': "ERROR not_applied 503 x1 ['NOT_APPLIED'] | Katana answered 503 ServiceUnavailableError: Service Unavailable", 'mint 500': "ERROR not_applied 500 x1 ['NOT_APPLIED'] | Katana answered 500 InternalServerError: Internal Server Error", 'mint 500_after': 'unknown 500 x1 | Katana answered 500 <html><body><h1>502 Bad Gateway</h1></body></html>', 'mint 502x2': "unknown 502 x1 ['NOT_SEEN'] | Katana answered 502 BadGatewayError: Bad Gateway", 'mint 429': 'applied 200 x2 | Katana answered 200 (sent 2 times)', 'mint drop_before': "unknown None x1 ['NOT_SEEN'] | Katana gave no answer: the connection closed before an answer came", 'mint drop_after': 'unknown None x1 | Katana gave no answer: the connection closed before an answer came', 'mint timeout_before': "unknown None x1 ['NOT_SEEN'] | Katana gave no answer: no answer came within the timeout", 'mint timeout_after': 'unknown None x1 | Katana gave no answer: no answer came within the timeout', 'mint non_json_after': 'unknown 200 x1 | Katana answered 200 with a body that could not be read', 'mint 204_before': "unknown 204 x1 ['NOT_SEEN'] | Katana answered 204", 'mint 204_after': 'unknown 204 x1 | Katana answered 204', 'transfer 503': "ERROR not_applied 503 x1 ['NOT_APPLIED'] | Katana answered 503 ServiceUnavailableError: Service Unavailable", 'transfer 500': "ERROR not_applied 500 x1 ['NOT_APPLIED'] | Katana answered 500 InternalServerError: Internal Server Error", 'transfer 500_after': 'unknown 500 x1 | Katana answered 500 <html><body><h1>502 Bad Gateway</h1></body></html>', 'transfer 502x2': "unknown 502 x1 ['NOT_SEEN'] | Katana answered 502 BadGatewayError: Bad Gateway", 'transfer 429': 'applied 200 x2 | Katana answered 200 (sent 2 times)', 'transfer drop_before': "unknown None x1 ['NOT_SEEN'] | Katana gave no answer: the connection closed before an answer came", 'transfer drop_after': 'unknown None x1 | Katana gave no answer: the connection closed before an answer came', 'transfer timeout_before': "unknown None x1 ['NOT_SEEN'] | Katana gave no answer: no answer came within the timeout", 'transfer timeout_after': 'unknown None x1 | Katana gave no answer: no answer came within the timeout', 'transfer non_json_after': 'unknown 200 x1 | Katana answered 200 with a body that could not be read', 'transfer 204_before': "unknown 204 x1 ['NOT_SEEN'] | Katana answered 204", 'transfer 204_after': 'unknown 204 x1 | Katana answered 204', 'transfer_check 503': 'applied 200 x1 | Katana answered 200', 'transfer_check 500': 'applied 200 x1 | Katana answered 200', 'transfer_check 500_after': 'applied 200 x1 | Katana answered 200', 'transfer_check 502x2': 'applied 200 x1 | Katana answered 200', 'transfer_check 429': 'applied 200 x1 | Katana answered 200', 'transfer_check drop_before': 'applied 200 x1 | Katana answered 200', 'transfer_check drop_after': 'applied 200 x1 | Katana answered 200', 'transfer_check timeout_before': 'applied 200 x1 | Katana answered 200', 'transfer_check timeout_after': 'applied 200 x1 | Katana answered 200', 'transfer_check non_json_after': 'applied 200 x1 | Katana answered 200', 'transfer_check 204_before': "unknown 200 x1 ['NOT_SEEN_AFTER_REPORT'] | Katana answered 200", 'transfer_check 204_after': "unknown 200 x1 ['NOT_SEEN_AFTER_REPORT'] | Katana answered 200", 'delete 503': 'applied 204 x2 | Katana answered 204 (sent 2 times)', 'delete 500': 'ERROR not_applied 500 x1 | Katana answered 500 InternalServerError: Internal Server Error', 'delete 500_after': 'applied 500 x1 | Katana answered 500 <html><body><h1>502 Bad Gateway</h1></body></html>', 'delete 502x2': 'applied 204 x3 | Katana answered 204 (sent 3 times)', 'delete 429': 'applied 204 x2 | Katana answered 204 (sent 2 times)', 'delete drop_before': 'applied 204 x2 | Katana answered 204 (sent 2 times)', 'delete drop_after': 'applied 204 x2 | Katana answered 204 (sent 2 times)', 'delete timeout_before': 'applied 204 x2 | Katana answered 204 (sent 2 times)', 'delete timeout_after': 'applied 204 x2 | Katana answered 204 (sent 2 times)', 'delete non_json_after': 'applied 204 x2 | Katana answered 204 (sent 2 times)', 'delete 204_before': 'ERROR not_applied 204 x1 | Katana answered 204', 'delete 204_after': 'applied 204 x1 | Katana answered 204', 'delete_check 503': 'applied 204 x1 | Katana answered 204', 'delete_check 500': 'applied 204 x1 | Katana answered 204', 'delete_check 500_after': 'applied 204 x1 | Katana answered 204', 'delete_check 502x2': 'applied 204 x1 | Katana answered 204', 'delete_check 429': 'applied 204 x1 | Katana answered 204', 'delete_check drop_before': 'applied 204 x1 | Katana answered 204', 'delete_check drop_after': 'applied 204 x1 | Katana answered 204', 'delete_check timeout_before': 'applied 204 x1 | Katana answered 204', 'delete_check timeout_after': 'applied 204 x1 | Katana answered 204', 'delete_check non_json_after': 'applied 204 x1 | Katana answered 204', 'delete_check 204_before': 'applied 204 x1 | Katana answered 204', 'delete_check 204_after': 'applied 204 x1 | Katana answered 204', 'verify 503': 'confirmed None xNone | ', 'verify 500': 'confirmed None xNone | ', 'verify 500_after': 'confirmed None xNone | ', 'verify 502x2': 'confirmed None xNone | ', 'verify 429': 'confirmed None xNone | ', 'verify drop_before': 'confirmed None xNone | ', 'verify drop_after': 'confirmed None xNone | ', 'verify timeout_before': 'confirmed None xNone | ', 'verify timeout_after': 'confirmed None xNone | ', 'verify non_json_after': 'confirmed None xNone | ', 'verify 204_before': 'not confirmed None xNone | ', 'verify 204_after': 'not confirmed None xNone | '})


async def test_the_fault_table(tmp_path, era: str, katana_mode: str) -> None:
    """One table for both MCP eras and both Katana behaviours: none changes a cell."""
    table = {f"{call} {fault}": await cell(tmp_path, era, call, fault, katana_mode)
             for call in CALLS for fault in FAULTS}
    assert table == EXPECTED


@pytest.mark.parametrize("call", ["mint", "transfer", "delete"])
async def test_each_429_cell_waited_retry_after_before_its_retry(tmp_path, call: str) -> None:
    """The harness's pacer records its sleeps instead of sleeping: the 429 cells' one
    retry came only after a wait of Katana's Retry-After (1 s)."""
    SLEPT.clear()
    shown = await cell(tmp_path, "auto", call, "429", "seeds")
    assert shown.startswith("applied ") and " x2 " in shown  # refused once, then applied
    assert len(SLEPT) == 1 and 0.9 < SLEPT[0] <= 1.0


async def test_a_post_is_sent_once_on_a_gateway_error(tmp_path) -> None:
    """Mutation guard: retrying POST on 502/503/504 would re-send what Katana may apply."""
    for status in (502, 503, 504):
        h = make_harness(tmp_path / str(status))
        h.sandbox.inject(Fault(kind="status", status=status, method="POST", count=1))
        await h.call("create_serial_numbers", CALLS["mint"][2])
        assert posts(h) == 1


async def test_a_post_slower_than_the_timeout_is_never_called_safe_to_resend(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    h.sandbox.inject(Fault(kind="timeout_late", method="POST"))
    r = await h.call("create_serial_numbers", CALLS["mint"][2])
    out = r.structured_content
    assert out["outcome"] == "unknown" and out["unknown"][0]["reason"] == "NOT_SEEN"
    assert "do not send them again" in out["unknown"][0]["why"]
    assert "safe" not in text(r) and not r.is_error
    assert "F-1" in on(h, "ManufacturingOrder", 1003)  # it did land, a moment later


async def test_strings_already_there_before_an_ambiguous_mint_are_not_claimed(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    h.sandbox.mint("ManufacturingOrder", 1003, ["OLD-1"])
    h.sandbox.inject(Fault(kind="non_json_after", status=500, method="POST"))  # applied, then 500
    r = await h.call("create_serial_numbers", {"resource_type": "ManufacturingOrder",
                                               "resource_id": 1003,
                                               "serial_numbers": ["OLD-1", "NEW-1"]})
    out = r.structured_content
    assert "applied" not in out and out["present"]["count"] == 2
    assert "minted" not in out["summary"].split("NOT")[0]
    assert "cannot be told" in out["summary"] and out["outcome"] == "unknown"


async def test_an_unanswered_post_whose_re_read_fails_claims_nothing(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    h.sandbox.inject(Fault(kind="timeout_before", method="POST"))
    h.sandbox.inject(Fault(kind="status", status=503, method="GET", count=4))
    r = await h.call("create_serial_numbers", CALLS["mint"][2])
    out = r.structured_content
    assert out["unknown"][0]["reason"] == "REREAD_FAILED" and out["verified"] is False
    why = out["unknown"][0]["why"]
    assert out["katana"]["says"] == "Katana gave no answer: no answer came within the timeout"
    assert why.startswith("Katana's answer did not settle them, and re-reading")  # said once
    assert "reported" not in out["summary"] and "Katana answered 503" in why
