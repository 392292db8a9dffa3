"""The byte budget is kept at the exit, for every tool and every error path, whatever the
mix: many reason codes, Katana's longest words, 255-character serials, 10,000 items,
`limit=250` pages. Hypothesis generates the outcomes; the exit (`calls.fitted`) measures
what the host would receive. Degrading drops names, never counts."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from katana_sn_mcp.calls import error, fitted
from katana_sn_mcp.journal import Journal
from katana_sn_mcp.katana.errors import Answer, ServerError
from katana_sn_mcp.katana.models import ErrorBody, SerialRecord
from katana_sn_mcp.operations import CreateFacts, DeleteFacts, DeletePlan, PageFacts, VerifyFacts
from katana_sn_mcp.present.budget import RESULT_BYTES, result_bytes
from katana_sn_mcp.present.create import present_create
from katana_sn_mcp.present.delete import present_delete
from katana_sn_mcp.present.errors import whole_call
from katana_sn_mcp.present.read import present_page, present_verify
from katana_sn_mcp.runtime import client_factory
from katana_sn_mcp.server import build_server
from katana_sn_mcp.settings import Settings
from tests.conftest import FAST_RETRY, no_wait_pacer

EXAMPLES = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=0, max_size=500)
sizes = st.sampled_from([1, 3, 40, 600, 10_000])


@st.composite
def serial_list(draw: st.DrawFn) -> list[str]:
    """Unique strings up to 255 characters: runs, scattered numbers, or long odd words."""
    n = draw(sizes)
    width = draw(st.sampled_from([4, 40, 240]))
    prefix = draw(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Z")),
                          min_size=1, max_size=width)).strip() or "S"
    step = draw(st.sampled_from([1, 7]))  # 1: runs; 7: no two consecutive
    return [f"{prefix[:240]}-{i * step:08d}" for i in range(n)]


@st.composite
def create_facts(draw: st.DrawFn) -> CreateFacts:
    serials = draw(serial_list())
    n = len(serials)
    codes = draw(st.lists(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ_", min_size=3, max_size=80),
                          min_size=0, max_size=12, unique=True))
    clear = draw(st.booleans())
    status = draw(st.sampled_from([200, 500, 502, None]))
    answer = Answer(status=status, sends=draw(st.integers(1, 4)),
                    no_answer=None if status else "timeout", name="InternalServerError",
                    message=draw(words))
    facts = CreateFacts(operation=draw(st.sampled_from(["mint", "transfer"])),
                        resource_type="ManufacturingOrder", resource_id=1003, requested=serials,
                        repeated=draw(st.integers(0, 5)), answer=answer, clear_answer=clear)
    cut = draw(st.integers(0, n))
    if clear:
        for i, s in enumerate(serials):
            if i < cut:
                facts.reported[s] = SerialRecord(id=5000 + i, serial_number=s,
                                                 resource_id=None, transaction_id="undefined")
            elif codes and i % 5:
                facts.refused[s] = codes[i % len(codes)]
    if draw(st.booleans()):
        facts.after = {s: SerialRecord(id=9000 + i, serial_number=s)
                       for i, s in enumerate(serials) if i % 3 == 0}
    elif draw(st.booleans()):
        facts.reread_failure = Answer(status=500, name="InternalServerError", message=draw(words))
    return facts


def _fits(present) -> None:  # type: ignore[no-untyped-def]
    _, out = fitted(present)
    assert result_bytes(out) <= RESULT_BYTES


@EXAMPLES
@given(create_facts())
def test_every_create_result_fits_at_the_exit(facts: CreateFacts) -> None:
    _, out = fitted(lambda: present_create(facts, "a1b2c3d4e5f6"))
    assert result_bytes(out) <= RESULT_BYTES
    structured = out.structured_content or {}
    named = sum(g["count"] for g in structured.get("not_applied", []) + structured.get("unknown", []))
    kept = sum((structured.get(k) or {}).get("count", 0) for k in ("applied", "present"))
    assert named + kept == len(facts.requested)  # counts are exact, whatever was cut


@EXAMPLES
@given(st.lists(st.integers(1, 2_000_000_000), min_size=1, max_size=10_000, unique=True),
       st.sampled_from([204, 500, None]), words, st.booleans())
def test_every_delete_result_fits_at_the_exit(ids: list[int], status: int | None, said: str,
                                              reread_ok: bool) -> None:
    plan = DeletePlan("ManufacturingOrder", 1003, ids, attached={i: f"S{i}" for i in ids[::2]})
    facts = DeleteFacts(confirmed=plan, before=plan,
                        answer=Answer(status=status, no_answer=None if status else "timeout",
                                      message=said))
    if reread_ok:
        facts.after = set(ids[::6])
    else:
        facts.reread_failure = Answer(status=500, message=said)
    _fits(lambda: present_delete(facts, "a1b2c3d4e5f6"))


@EXAMPLES
@given(serial_list(), st.sampled_from([1, 100, 250]), st.booleans(), st.integers(0, 5))
def test_every_list_page_and_verify_fits_at_the_exit(serials: list[str], limit: int,
                                                      one_resource: bool, skip: int) -> None:
    rows = [SerialRecord(id=1_000_000 + i, serial_number=s, resource_type="StockAdjustmentRow",
                         resource_id=2_000_000_000 - i % 97) for i, s in enumerate(serials[:limit])]
    facts = PageFacts("StockAdjustmentRow", 2_000_000_000 if one_resource else None, 3, limit,
                      rows, 10**9)
    _fits(lambda: present_page(facts, min(skip, max(0, len(rows) - 1))))
    verify = VerifyFacts("ManufacturingOrder", 1003, rows[::2], serials,
                         [r.id for r in rows if r.id])
    _fits(lambda: present_verify(verify))


@EXAMPLES
@given(serial_list(), st.integers(1, 400), st.booleans(), words)
def test_every_find_result_fits_at_the_exit(serials: list[str], spread: int, stock_ok: bool,
                                            said: str) -> None:
    from katana_sn_mcp.katana.models import StockRecord, StockTransaction
    from katana_sn_mcp.operations.find import FindFacts
    from katana_sn_mcp.present.find import present_find

    facts = FindFacts(serials, [7, 8, 9])
    place = {s: ("StockAdjustmentRow", 1_000_000 + i % spread) for i, s in enumerate(serials)}
    facts.now = {s: SerialRecord(id=i, serial_number=s, resource_type=place[s][0],
                                 resource_id=place[s][1]) for i, s in enumerate(serials[::2])}
    if stock_ok:
        history = [StockTransaction(resource_type="SalesOrderRow", resource_id=2_000_000_000 - k,
                                    quantity_change=-1, transaction_date=said[:30] or None)
                   for k in range(30)]
        facts.stock = {s: StockRecord(id=i, serial_number=s, in_stock=None, transactions=history)
                       for i, s in enumerate(serials[: len(serials) * 3 // 4])}
        facts.unread = set(serials[1::4])
    else:
        facts.stock_failure = Answer(status=500, name="InternalServerError", message=said)
        facts.walked_rows = 2000
    _fits(lambda: present_find(facts, 12))


@EXAMPLES
@given(words, st.integers(0, 10_000))
def test_every_whole_call_error_fits(said: str, details: int) -> None:
    body = ErrorBody(message=said, details=[])
    err = ServerError(said, status=500, body=body)
    text = str(error(whole_call(err, "ManufacturingOrder 1003")))
    assert len(text.encode()) <= RESULT_BYTES


pytestmark = pytest.mark.anyio


async def test_a_10000_mint_with_twelve_reason_codes_and_long_words_fits_end_to_end(tmp_path) -> None:
    """Through the real MCP client and KatanaClient: Katana (a stand-in) refuses most of a
    10,000-string mint of 200-character serials with twelve reason codes."""
    from mcp import Client

    serials = [f"{'Ж' * 100}-{i * 7:06d}" for i in range(10_000)]

    def katana(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            ok = [{"id": 1 + i, "serial_number": s, "resource_type": "ManufacturingOrder",
                   "resource_id": 1003, "transaction_id": "t", "quantity_change": 1}
                  for i, s in enumerate(serials[:1000])]
            failed = [{"serial_number": s, "reason": f"REASON_{i % 12}_{'X' * 50}"}
                      for i, s in enumerate(serials[1000:])]
            return httpx.Response(200, json={"successful": ok, "failed": failed})
        return httpx.Response(200, json={"data": []})

    factory = client_factory(Settings(), api_key="k", transport=httpx.MockTransport(katana),
                             retry=FAST_RETRY, pacer=no_wait_pacer())
    server = build_server(factory, Journal(tmp_path / "j.jsonl"))
    async with Client(server) as c:
        r = await c.call_tool("create_serial_numbers", {"resource_type": "ManufacturingOrder",
                                                        "resource_id": 1003,
                                                        "serial_numbers": serials})
    assert result_bytes(r) <= RESULT_BYTES
    out = r.structured_content or {}
    assert out["applied"]["count"] == 1000
    assert sum(g["count"] for g in out["not_applied"]) == 9000


async def test_tools_list_with_five_tools_stays_within_12_kb() -> None:
    """What every host loads into the model's context before the first call, measured as
    the SDK sends it (compact JSON, pydantic's titles taken out by LeanToolList)."""
    import json

    from mcp import Client

    server = build_server(client_factory(Settings(), api_key="unused"))
    async with Client(server) as c:
        tools = (await c.list_tools()).tools
    listing = {"tools": [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]}
    assert len(tools) == 5
    assert '"title":"Resource Id"' not in json.dumps(listing, separators=(",", ":"))
    wrapper = len('{"jsonrpc":"2.0","id":2,"result":}')  # the JSON-RPC envelope around it
    assert len(json.dumps(listing, separators=(",", ":")).encode()) + wrapper <= 12 * 1024
