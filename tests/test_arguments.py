"""Forgiving where it is safe, exact where it matters: what the argument check lets through.

Through a real MCP Client (both eras, both sandbox modes): digit strings for integer
arguments reach Katana as the integers they spell; a `confirm` that is not JSON `true`
deletes nothing; anything the SDK itself still refuses reads as plain sentences; the
serial-numbers resource template takes only ids 1..2^31-1 written in ASCII digits."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from mcp import Client, MCPError
from mcp.server.mcpserver import MCPServer
from pydantic import Field

from katana_sn_mcp.arguments import check_arguments, show
from katana_sn_mcp.strict_args import CheckArguments
from tests.conftest import Harness, text

pytestmark = pytest.mark.anyio
MO = {"resource_type": "ManufacturingOrder"}


def ids_on(h: Harness, rtype: str, rid: int) -> dict[str, int]:
    return {s.serial_number: s.id for s in h.sandbox.serials_on(rtype, rid)}


async def test_a_digit_string_resource_id_mints(harness: Harness) -> None:
    r = await harness.call("create_serial_numbers", {**MO, "resource_id": "1003",
                                                     "serial_numbers": ["STR-ID-1"]})
    assert not r.is_error, text(r)
    assert "STR-ID-1" in ids_on(harness, "ManufacturingOrder", 1003)


async def test_digit_string_ids_delete_with_confirm_true(harness: Harness) -> None:
    target = ids_on(harness, "ManufacturingOrder", 1001)["SN-1001-001"]
    r = await harness.call("delete_serial_numbers", {**MO, "resource_id": "1001",
                                                     "ids": [str(target)], "confirm": True})
    assert not r.is_error, text(r)
    assert "SN-1001-001" not in ids_on(harness, "ManufacturingOrder", 1001)
    assert any(q.method == "DELETE" for q in harness.sandbox.requests)


async def test_digit_strings_and_whole_floats_read_and_verify(harness: Harness) -> None:
    """Optional integers (`int | None`) and integer arrays take digit strings too; 1003.0 is
    the same JSON number as 1003."""
    harness.sandbox.mint("ManufacturingOrder", 1003, ["LIST-1"])
    r = await harness.call("list_serial_numbers", {**MO, "resource_id": "1003", "limit": "10"})
    assert not r.is_error, text(r)
    assert r.structured_content["count"] == 1
    r = await harness.call("list_serial_numbers", {**MO, "resource_id": 1003.0})
    assert not r.is_error and r.structured_content["count"] == 1, text(r)
    r = await harness.call("verify_serial_numbers", {**MO, "resource_id": "1003",
                                                     "expect_attached": ["LIST-1"],
                                                     "expect_absent_ids": ["424242"]})
    assert not r.is_error and r.structured_content["all_confirmed"] is True, text(r)
    assert {q.query.get("resource_id") for q in harness.sandbox.requests} == {"1003"}


async def test_a_digit_string_inside_a_serial_range_mints(harness: Harness) -> None:
    r = await harness.call("create_serial_numbers", {**MO, "resource_id": 1003, "serial_ranges": [
        {"prefix": "RNG-", "first": "1", "last": "3"}]})
    assert not r.is_error, text(r)
    assert {"RNG-1", "RNG-2", "RNG-3"} <= set(ids_on(harness, "ManufacturingOrder", 1003))


async def test_duplicates_within_one_call_are_not_an_argument_error(harness: Harness) -> None:
    r = await harness.call("create_serial_numbers", {**MO, "resource_id": 1003,
                                                     "serial_numbers": ["DUP-1", "DUP-1"]})
    assert "arguments were not accepted" not in text(r)
    assert "DUP-1" in ids_on(harness, "ManufacturingOrder", 1003)


@pytest.mark.parametrize("confirm", ["yes", "1", "on", "t", "y", "true", "True", 1])
async def test_a_confirm_that_is_not_json_true_deletes_nothing(harness: Harness, confirm: Any) -> None:
    """Pydantic's lax mode read all of these as True and deleted the ids: now refused."""
    target = ids_on(harness, "ManufacturingOrder", 1001)["SN-1001-001"]
    r = await harness.call("delete_serial_numbers", {**MO, "resource_id": 1001, "ids": [target],
                                                     "confirm": confirm})
    assert r.is_error
    assert text(r).startswith("Error executing tool delete_serial_numbers: ")
    assert "confirm: got " in text(r) and "expected true or false" in text(r)
    assert harness.sandbox.find("SN-1001-001").id == target  # still attached
    assert harness.sandbox.requests == []


def _strict_server() -> MCPServer:
    """A tool with a constraint the hand-written check does not know (multipleOf), so the
    SDK's own pydantic validation answers: the middleware must still make it plain."""
    mcp = MCPServer("t")
    mcp.middleware.append(CheckArguments(mcp))

    @mcp.tool()
    def pack(size: Annotated[int, Field(multiple_of=5)]) -> int:
        """Boxes come in fives."""
        return size

    return mcp


async def test_what_the_sdk_still_refuses_is_rewritten_without_pydantic(era: str) -> None:
    async with Client(_strict_server(), mode=era) as client:
        r = await client.call_tool("pack", {"size": "7"})
        assert r.is_error
        assert text(r).startswith("Error executing tool pack: the arguments were not accepted.\nsize: ")
        assert text(r).endswith("Nothing was sent to Katana.")
        for leak in ("pydantic", "validation error", "[type=", "input_value", "https://"):
            assert leak not in text(r)
        ok = await client.call_tool("pack", {"size": "10"})  # the digit string still counts
        assert not ok.is_error and ok.structured_content == {"result": 10}


@pytest.mark.parametrize("rid", ["0", "2147483648", "99999999999999999999", "\u0663", "-1", "1.0"])
async def test_the_resource_template_refuses_ids_outside_the_katana_range(harness: Harness,
                                                                         rid: str) -> None:
    async with harness.client() as client:
        with pytest.raises(MCPError) as err:
            await client.read_resource(f"katana://serial-numbers/ManufacturingOrder/{rid}")
        assert "from 1 to 2147483647" in err.value.error.message
        assert harness.sandbox.requests == []
        ok = await client.read_resource("katana://serial-numbers/ManufacturingOrder/2147483647")
        assert ok.contents and harness.sandbox.requests  # the largest id is read from Katana


def test_the_check_reads_refs_and_type_lists() -> None:
    """Schemas built by pydantic may use $defs/$ref and `type: [..., "null"]`."""
    schema = {"$defs": {"Id": {"type": "integer", "minimum": 1}},
              "properties": {"a": {"$ref": "#/$defs/Id"}, "b": {"type": ["integer", "null"]}},
              "required": ["a"]}
    assert check_arguments("t", schema, {"a": "5", "b": "6"}) == ({"a": 5, "b": 6}, [])
    assert check_arguments("t", schema, {"a": "0", "b": None})[1] == [
        'a: got "0"; expected a whole number of at least 1.']
    assert show("\u202e" + "x" * 50) == '"\\u202e' + "x" * 39 + '…" (51 characters)'
