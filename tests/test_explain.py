"""Every explanation case as a table: the pure functions in explain.py."""

from __future__ import annotations

import pytest

from katana_sn_mcp import explain
from katana_sn_mcp.katana.errors import (
    AuthError,
    BusinessRuleError,
    KatanaError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    ValidationError,
)
from katana_sn_mcp.katana.models import ErrorBody

REASONS = [
    ("MISSING", ["exists nowhere", "minted on a manufacturing order", "spelling",
                 "other strings in the same call"]),
    ("DUPLICATE", ["already exists", "already on this resource", "Nothing changed"]),
    ("NOT_IN_STOCK", ["not in stock", "Nothing changed"]),
    ("NOT_APPLIED", ["not applied", "safe to send it again"]),
    ("BRAND_NEW_CODE", ["refused 'S-1' with the reason code BRAND_NEW_CODE"]),
]


@pytest.mark.parametrize(("reason", "phrases"), REASONS)
def test_per_string_failure_reasons(reason: str, phrases: list[str]) -> None:
    text = explain.failure_reason(reason, "S-1")
    assert "'S-1'" in text
    for phrase in phrases:
        assert phrase in text


def body(message: str, **kw: object) -> ErrorBody:
    return ErrorBody.parse({"error": {"message": message, **kw}})


ERRORS = [
    (NotFoundError("No entity found", status=422, body=body("No entity found")),
     ["SalesOrderRow 7 does not exist", "Nothing was changed", "Check the id and the resource_type",
      "Katana answered 422"]),
    (NotFoundError("sales order row 7 not found", status=404), ["does not exist", "404"]),
    (ValidationError("invalid", status=422, body=ErrorBody.parse({"error": {
        "message": "invalid", "details": [{"path": "/resource_type", "code": "enum",
                                           "message": "must be equal to one of the allowed values",
                                           "info": {"allowedValues": ["A", "B"]}}]}})),
     ["rejected the request as invalid", "nothing was changed", "resource_type",
      "allowed values: A, B"]),
    (BusinessRuleError("serial numbers not found", status=422),
     ["refused the whole call", "exists nowhere", "none of the strings moved", "Mint"]),
    (BusinessRuleError("UnknownSerialNumber", status=422), ["refused the whole call"]),
    (BusinessRuleError("SalesOrderRow 7 is linked, serial info must be updated on MO", status=422),
     ["make-to-order manufacturing order", "Nothing was changed", "linked manufacturing order"]),
    (BusinessRuleError("something new", status=422),
     ['business reason: "something new"', "Nothing was changed"]),
    (AuthError("Unauthorized", status=401),
     ["rejected the API key", "nothing was changed", "KATANA_API_KEY"]),
    (RateLimitedError("Too Many Requests", status=429, retry_after=90),
     ["rate limit", "nothing was changed", "about 90 seconds"]),
    (ServerError("Internal Server Error", status=500), ["internal error (500)", "read"]),
    (TransportError("ReadTimeout", may_have_applied=False), ["No usable answer", "Nothing was changed"]),
    (KatanaError("Precondition", status=412), ["unexpected status", "412"]),
]


@pytest.mark.parametrize(("err", "phrases"), ERRORS, ids=lambda v: type(v).__name__)
def test_whole_call_failures(err: KatanaError, phrases: list[str]) -> None:
    text = explain.error(err, resource_type="SalesOrderRow", resource_id=7)
    for phrase in phrases:
        assert phrase in text, text


@pytest.mark.parametrize("err", [ServerError("boom", status=500),
                                 TransportError("ReadTimeout", may_have_applied=True)])
def test_failed_writes_that_may_have_applied_say_so(err: KatanaError) -> None:
    text = explain.error(err, resource_type="SalesOrderRow", resource_id=7, write=True)
    assert "may or may not have been applied" in text and "verify_serial_numbers" in text


def test_the_delete_caveat_and_landing_notes() -> None:
    assert "204" in explain.delete_caveat() and "confirms nothing" in explain.delete_caveat()
    assert "'undefined'" in explain.landing_unconfirmed("S") and "verify_serial_numbers" in \
        explain.landing_unconfirmed("S")
    assert "not sent again" in explain.ambiguous_write("create request")
