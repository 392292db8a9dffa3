"""Bad arguments give a tool error and never reach Katana."""

from __future__ import annotations

import pytest

from tests.conftest import Harness, text

pytestmark = pytest.mark.anyio

CREATE = {"resource_type": "ManufacturingOrder", "resource_id": 1003, "serial_numbers": ["A-1"]}
DELETE = {"resource_type": "ManufacturingOrder", "resource_id": 1001, "ids": [1], "confirm": True}
VERIFY = {"resource_type": "ManufacturingOrder", "resource_id": 1001}

BAD = [
    ("create_serial_numbers", {**CREATE, "serial_numbers": []}, "at least 1"),
    ("create_serial_numbers", {**CREATE, "serial_numbers": [""]}, "at least 1 character"),
    ("create_serial_numbers", {**CREATE, "serial_numbers": ["  "]}, "pattern"),
    ("create_serial_numbers", {**CREATE, "serial_numbers": ["x" * 256]}, "at most 255"),
    ("create_serial_numbers", {**CREATE, "serial_numbers": [12]}, "valid string"),
    ("create_serial_numbers", {**CREATE, "resource_id": -3}, "greater than or equal to 1"),
    ("create_serial_numbers", {**CREATE, "resource_id": "1003"}, "valid integer"),
    ("create_serial_numbers", {**CREATE, "resource_id": 2147483648}, "less than or equal"),
    ("create_serial_numbers", {**CREATE, "resource_type": "SalesOrder"}, "SalesOrderRow"),
    ("create_serial_numbers", {**CREATE, "resource_type": "SalesOrderFulfillmentRow"}, "Input should be"),
    ("create_serial_numbers", {**CREATE, "confrim": True}, "unknown argument(s) confrim"),
    ("delete_serial_numbers", {**DELETE, "ids": []}, "at least 1"),
    ("delete_serial_numbers", {**DELETE, "ids": [0]}, "greater than or equal to 1"),
    ("delete_serial_numbers", {**DELETE, "ids": [1.5]}, "valid integer"),
    ("delete_serial_numbers", {**DELETE, "ids": ["7"]}, "valid integer"),
    ("delete_serial_numbers", {**DELETE, "ids": [True]}, "valid integer"),
    ("delete_serial_numbers", {**DELETE, "plan": "x"}, "unknown argument(s) plan"),
    ("list_serial_numbers", {"page": 0}, "greater than or equal to 1"),
    ("list_serial_numbers", {"resource_type": "Foo"}, "Input should be"),
    ("verify_serial_numbers", {**VERIFY, "expect_absent_ids": [-1]}, "greater than or equal"),
    ("verify_serial_numbers", {**VERIFY, "expect_attached": [""]}, "at least 1 character"),
    ("verify_serial_numbers", {"resource_type": "ManufacturingOrder"}, "resource_id"),
]


@pytest.mark.parametrize(("tool", "args", "says"), BAD)
async def test_bad_input_is_a_tool_error_and_sends_nothing(
    harness: Harness, tool: str, args: dict, says: str
) -> None:
    r = await harness.call(tool, args)
    assert r.is_error
    assert says in text(r)
    assert harness.sandbox.requests == []
