"""Workflow prompts render with their arguments; resources read through the server."""

from __future__ import annotations

import json
import logging

import pytest
from mcp import MCPError
from mcp.types import INVALID_PARAMS

from tests.conftest import make_harness

pytestmark = pytest.mark.anyio

PROMPTS = {
    "mint_serial_numbers": ({"manufacturing_order_id": "1003", "serial_numbers": "A-1, A-2"},
                            ["create_serial_numbers", "verify_serial_numbers", "ManufacturingOrder",
                             "1003", "- A-1\n- A-2", "DUPLICATE"]),
    "transfer_to_sales_order_row": ({"sales_order_row_id": "3001", "serial_numbers": "SN-1"},
                                    ["create_serial_numbers", "verify_serial_numbers",
                                     "SalesOrderRow", "MISSING", "minted", "3001", "undefined"]),
    "remove_serial_numbers": ({"resource_type": "ManufacturingOrder", "resource_id": "1001",
                               "serial_numbers": "SN-1001-001"},
                              ["list_serial_numbers", "delete_serial_numbers",
                               "verify_serial_numbers", "204", "confirm", "ids"]),
    "audit_serial_numbers": ({"resource_type": "SalesOrderRow", "resource_id": "3001",
                              "expected_serial_numbers": "X\nY"},
                             ["verify_serial_numbers", "list_serial_numbers", "- X\n- Y",
                              "read-only"]),
}


@pytest.mark.parametrize("name", list(PROMPTS))
async def test_prompt_renders_and_names_the_right_tools(tmp_path, era, name: str) -> None:
    h = make_harness(tmp_path, era=era)
    args, phrases = PROMPTS[name]
    async with h.client() as client:
        listed = {p.name: p for p in (await client.list_prompts()).prompts}
        assert {a.name for a in listed[name].arguments} == set(args)
        result = await client.get_prompt(name, args)
    text = result.messages[0].content.text
    for phrase in phrases:
        assert phrase in text, phrase
    assert "$" not in text  # every placeholder filled


@pytest.mark.parametrize(("args", "named"), [
    ({"manufacturing_order_id": "1003"}, "missing required argument(s) serial_numbers"),
    ({}, "missing required argument(s) manufacturing_order_id, serial_numbers"),
    ({"manufacturing_order_id": "1003", "serial_numbers": "A-1", "serials": "A-2"},
     "unknown argument(s) serials"),
])
async def test_prompt_with_a_missing_or_unknown_argument_is_invalid_params(
        tmp_path, era, caplog, args: dict[str, str], named: str) -> None:
    """A host that forgets an argument gets -32602 naming it, not an internal error, and the
    server log stays free of a traceback (it is the caller's mistake, not a crash)."""
    h = make_harness(tmp_path, era=era)
    caplog.set_level(logging.DEBUG)
    async with h.client() as client:
        listed = {p.name: p for p in (await client.list_prompts()).prompts}
        assert all(a.required for a in listed["mint_serial_numbers"].arguments)
        with pytest.raises(MCPError) as err:
            await client.get_prompt("mint_serial_numbers", args)
    assert err.value.error.code == INVALID_PARAMS
    assert named in err.value.error.message
    assert "manufacturing_order_id, serial_numbers" in err.value.error.message  # what it takes
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_guide_and_template_resources(tmp_path, era) -> None:
    h = make_harness(tmp_path, era=era)
    async with h.client() as client:
        guide = (await client.read_resource("katana://guide")).contents[0].text
        data = json.loads((await client.read_resource(
            "katana://serial-numbers/ManufacturingOrder/1001")).contents[0].text)
        with pytest.raises(MCPError):
            await client.read_resource("katana://serial-numbers/Nope/1")
        templates = (await client.list_resource_templates()).resource_templates
    assert "MISSING" in guide and "204" in guide and "Mint or transfer" in guide
    assert data["count"] == 5 and len(data["rows"]) == 5 and data["columns"] == ["id", "serial_number"]
    assert sorted(t.uri_template for t in templates) == [
        "katana://results/{result_id}", "katana://serial-numbers/{resource_type}/{resource_id}"]
