"""Bad arguments give one plain sentence per problem and never reach Katana.

Every row runs through a real MCP Client in both protocol eras; the sandbox must have seen
zero requests, and no text may carry pydantic's dump or its URL. One sandbox mode suffices:
a refusal happens before anything is sent, so Katana's behaviour cannot change it (the
last test below still runs in both)."""

from __future__ import annotations

import pytest

from tests.conftest import Harness, make_harness, text

pytestmark = pytest.mark.anyio

CREATE = {"resource_type": "ManufacturingOrder", "resource_id": 1003, "serial_numbers": ["A-1"]}
DELETE = {"resource_type": "ManufacturingOrder", "resource_id": 1001, "ids": [1], "confirm": True}
CRT, DEL = "create_serial_numbers", "delete_serial_numbers"
VER, LST = "verify_serial_numbers", "list_serial_numbers"
VERIFY = {"resource_type": "ManufacturingOrder", "resource_id": 1001}
WHOLE = "expected a whole number from 1 to 2147483647"
BOOL = "expected true or false (a JSON boolean"
PADDED = "which would make a different serial in Katana"
UNSEEN = "which nobody could see or type back"


def serials(*values: object) -> dict:
    return {**CREATE, "serial_numbers": list(values)}


def ranges(*values: object) -> dict:
    return {**CREATE, "serial_numbers": [], "serial_ranges": list(values)}


BAD = [
    # counts, lengths, types
    (CRT, serials(*["A"] * 10001), "serial_numbers: got 10001 items; expected at most 10000 items."),
    (CRT, serials(""), 'serial_numbers[0]: got ""; expected text of 1 to 255 characters.'),
    (CRT, serials("x" * 256), "(256 characters); expected text of 1 to 255 characters."),
    (CRT, serials(12), "serial_numbers[0]: got 12; expected text of 1 to 255"),
    (CRT, {**CREATE, "serial_numbers": "A-1"}, 'got "A-1"; expected a list of at most 10000 items.'),
    # padded serials: the reason, named
    (CRT, serials("  "), 'got "  "; it is only whitespace; expected visible text.'),
    (CRT, serials(" SN-1"), f'got " SN-1"; it starts with U+0020 SPACE, {PADDED}'),
    (CRT, serials("SN-1 "), f'got "SN-1 "; it ends with U+0020 SPACE, {PADDED}'),
    (CRT, serials("SN-1\u00a0"), "it ends with U+00A0 NO-BREAK SPACE"),
    (VER, {**VERIFY, "expect_attached": ["\tSN-1"]}, "CHARACTER TABULATION"),
    # invisible characters: position and Unicode name
    (CRT, serials("A\u200b-1"), f"character 2 is U+200B ZERO WIDTH SPACE, {UNSEEN}"),
    (CRT, serials("A-1", "B\x00"), "serial_numbers[1]: got \"B\\u0000\"; character 2 is U+0000 NULL"),
    (CRT, serials("SN\x07-1"), "character 3 is U+0007 a control character"),
    (CRT, serials("\u202eSN-1"), "character 1 is U+202E RIGHT-TO-LEFT OVERRIDE"),
    (CRT, serials("SN\u2066-1"), "character 3 is U+2066 LEFT-TO-RIGHT ISOLATE"),
    (CRT, serials("SN-1\u200f"), "character 5 is U+200F RIGHT-TO-LEFT MARK"),
    (CRT, serials("\ufeffSN-1"), "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    (CRT, serials("S\u2060N\u200d"), "U+2060 WORD JOINER (and 1 more like it)"),
    (VER, {**VERIFY, "expect_attached": ["SN\u200c1"]}, "U+200C ZERO WIDTH NON-JOINER"),
    (CRT, serials("SN-1\ufe0f"), "character 5 is U+FE0F VARIATION SELECTOR-16"),
    (CRT, serials("SN\u3164"), "character 3 is U+3164 HANGUL FILLER"),
    (CRT, serials("SN\u20281"), "character 3 is U+2028 LINE SEPARATOR"),
    (VER, {**VERIFY, "expect_attached": [""]}, "expected text of 1 to 255 characters"),
    # integers: digit strings are fine (see test_arguments); everything else is refused
    (CRT, {**CREATE, "resource_id": "abc"}, f'resource_id: got "abc"; {WHOLE}'),
    (CRT, {**CREATE, "resource_id": "\u0663"}, f'resource_id: got "\u0663"; {WHOLE}'),
    (CRT, {**CREATE, "resource_id": "+3"}, f'resource_id: got "+3"; {WHOLE}'),
    (CRT, {**CREATE, "resource_id": " 3"}, f'resource_id: got " 3"; {WHOLE}'),
    (CRT, {**CREATE, "resource_id": "1e3"}, f'resource_id: got "1e3"; {WHOLE}'),
    (CRT, {**CREATE, "resource_id": True}, f"resource_id: got true; {WHOLE}."),
    (CRT, {**CREATE, "resource_id": -3}, f"resource_id: got -3; {WHOLE}."),
    (CRT, {**CREATE, "resource_id": 0}, f"resource_id: got 0; {WHOLE}."),
    (CRT, {**CREATE, "resource_id": 2147483648}, f"resource_id: got 2147483648; {WHOLE}."),
    (CRT, {**CREATE, "resource_id": "2147483648"}, f'got "2147483648"; {WHOLE}.'),
    (CRT, {**CREATE, "resource_id": None}, f"resource_id: got null; {WHOLE}."),
    (DEL, {**DELETE, "ids": []}, "ids: got 0 items; expected 1 to 10000 items."),
    (DEL, {**DELETE, "ids": [0]}, f"ids[0]: got 0; {WHOLE}."),
    (DEL, {**DELETE, "ids": [1.5]}, f"ids[0]: got 1.5; {WHOLE}."),
    (DEL, {**DELETE, "ids": ["7x"]}, f'ids[0]: got "7x"; {WHOLE}'),
    (DEL, {**DELETE, "ids": [1, "-7"]}, f'ids[1]: got "-7"; {WHOLE}'),
    (DEL, {**DELETE, "ids": [True]}, f"ids[0]: got true; {WHOLE}."),
    (LST, {"limit": 0}, "limit: got 0; expected a whole number from 1 to 250."),
    (LST, {"limit": "1.0"}, 'limit: got "1.0"; expected a whole number from 1 to 250'),
    (LST, {"cursor": "abc\u200b"}, "cursor: got \"abc\\u200b\"; character 4 is U+200B"),
    (LST, {"resource_id": False}, f"resource_id: got false; {WHOLE}."),
    (VER, {**VERIFY, "expect_absent_ids": [-1]}, f"expect_absent_ids[0]: got -1; {WHOLE}."),
    # booleans are JSON true/false only, above all a destructive confirm
    *[(DEL, {**DELETE, "confirm": v}, f"confirm: got {s}; {BOOL}")
      for v, s in [("yes", '"yes"'), ("1", '"1"'), ("on", '"on"'), ("t", '"t"'), ("y", '"y"'),
                   ("true", '"true"'), (1, "1"), (0, "0"), (None, "null")]],
    (CRT, {**CREATE, "verify": "false"}, f'verify: got "false"; {BOOL}'),
    (CRT, {**CREATE, "verify": 0}, f"verify: got 0; {BOOL}"),
    # enums list what is allowed
    (CRT, {**CREATE, "resource_type": "SalesOrder"},
     "expected one of ManufacturingOrder, PurchaseOrderRow, SalesOrderRow"),
    (CRT, {**CREATE, "resource_type": "SalesOrderFulfillmentRow"},
     'resource_type: got "SalesOrderFulfillmentRow"; expected one of ManufacturingOrder'),
    (CRT, {**CREATE, "resource_type": "manufacturingorder"}, "did you mean ManufacturingOrder?"),
    (LST, {"resource_type": "Foo"}, 'resource_type: got "Foo"; expected one of'),
    # serial ranges: nested fields are checked the same way, by their path
    (CRT, ranges({"first": 1, "lst": 3}), "serial_ranges[0].lst: unknown field (did you mean last?)"),
    (CRT, ranges({"first": 1}), "serial_ranges[0].last: missing; expected a whole number of at least 0."),
    (CRT, ranges({"first": 1, "last": "x"}), 'serial_ranges[0].last: got "x"; expected a whole number'),
    (CRT, ranges({"first": 1, "last": 2, "prefix": "SN\u200d"}), "serial_ranges[0].prefix: got"),
    (CRT, ranges({"first": 1, "last": 2, "width": True}), "serial_ranges[0].width: got true; expected"),
    (CRT, ranges(7), "serial_ranges[0]: got 7; expected an object with first, last, optionally prefix"),
    (VER, {**VERIFY, "expect_attached_ranges": [{"first": -1, "last": 1}]},
     "expect_attached_ranges[0].first: got -1; expected a whole number of at least 0."),
    # unknown and missing arguments
    (CRT, {**CREATE, "confrim": True},
     "confrim: unknown argument; create_serial_numbers accepts resource_type, resource_id, serial_numbers"),
    (DEL, {**DELETE, "confrm": True}, "confrm: unknown argument (did you mean confirm?)"),
    (DEL, {**DELETE, "plan": "x"}, "plan: unknown argument"),
    (VER, {"resource_type": "ManufacturingOrder"}, f"resource_id: missing; {WHOLE}."),
]


@pytest.fixture
def seeds_harness(tmp_path, era: str) -> Harness:  # type: ignore[no-untyped-def]
    return make_harness(tmp_path, era=era, mode="seeds")


@pytest.mark.parametrize(("tool", "args", "says"), BAD)
async def test_bad_input_is_a_tool_error_and_sends_nothing(
    seeds_harness: Harness, tool: str, args: dict, says: str
) -> None:
    harness = seeds_harness
    r = await harness.call(tool, args)
    assert r.is_error
    said = text(r)
    assert says in said
    assert said.startswith(f"Error executing tool {tool}: ")
    assert said.endswith("Nothing was sent to Katana.")
    assert "pydantic" not in said.lower() and "validation error" not in said
    assert harness.sandbox.requests == []


async def test_every_problem_in_one_call_is_named_and_a_flood_is_capped(harness: Harness) -> None:
    """Three mistakes give three sentences; 30 bad serials give ten and a count of the rest."""
    r = await harness.call(DEL, {"resource_type": "Foo", "resource_id": "x",
                                                     "ids": [1], "confirm": "yes"})
    assert [line.split(":")[0] for line in text(r).splitlines()[1:-1]] == [
        "resource_type", "resource_id", "confirm"]
    r = await harness.call(CRT, serials(*["\u200b"] * 30))
    lines = text(r).splitlines()
    assert len(lines) == 1 + 10 + 1 + 1
    assert lines[-2] == "…and 20 more problems like these."
    assert harness.sandbox.requests == []
