"""Every whole-call explanation as a table of whole texts: the pure functions in
present/errors.py. Each sentence is pinned, so a change shows up in review."""

from __future__ import annotations

import pytest
from inline_snapshot import snapshot

from katana_sn_mcp.katana.errors import (
    AuthError,
    BusinessRuleError,
    DeadlineExceeded,
    InvalidRequest,
    KatanaError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnstableRead,
)
from katana_sn_mcp.katana.models import ErrorBody
from katana_sn_mcp.present.errors import whole_call


def body(message: str, **kw: object) -> ErrorBody:
    return ErrorBody.parse({"error": {"message": message, **kw}})


def timeout() -> TransportError:
    err = TransportError("ReadTimeout", may_have_applied=False, reason="never_connected")
    err.sends = 4
    return err


def limited(gave_up: str, *, retry_after: float, time_left: float,
            sends: int) -> RateLimitedError:
    """A 429 the client stopped riding out, as it leaves KatanaClient._request."""
    err = RateLimitedError("Too Many Requests", status=429, retry_after=retry_after)
    err.gave_up, err.time_left, err.sends = gave_up, time_left, sends
    return err


ERRORS = {
    "not_found_422": NotFoundError("No entity found", status=422,
                                   body=body("No entity found", name="UnprocessableEntityError")),
    "not_found_404": NotFoundError("SalesOrderRow 7 not found", status=404),
    "validation": InvalidRequest("invalid", status=422, body=ErrorBody.parse({"error": {
        "message": "invalid", "details": [{"path": "/resource_type", "code": "enum",
                                           "message": "must be equal to one of the allowed values",
                                           "info": {"allowedValues": ["A", "B"]}}]}})),
    "unknown_strings": BusinessRuleError("serial numbers not found", status=422),
    "linked_row": BusinessRuleError("SalesOrderRow 7 is linked, serial info must be updated on MO",
                                    status=422),
    "other_rule": BusinessRuleError("something new", status=422),
    "auth": AuthError("Unauthorized", status=401),
    "rate_limited": RateLimitedError("Too Many Requests", status=429, retry_after=90),
    "rate_limited_no_retry_after": RateLimitedError("Too Many Requests", status=429),
    "rate_limited_wait_longer": limited("wait_longer", retry_after=90, time_left=41, sends=3),
    "rate_limited_deadline": limited("deadline", retry_after=3, time_left=0, sends=9),
    "server_read": ServerError("Internal Server Error", status=500),
    "never_connected": timeout(),
    "deadline": DeadlineExceeded("late"),
    "unstable": UnstableRead("moving"),
    "too_many_pages": TransportError("the listing did not end after 400 pages (100,000 rows)",
                                     may_have_applied=False, reason="too_many_pages"),
    "conflict": KatanaError("Conflict", status=409),
}

EXPECTED = snapshot({'not_found_422': """\
Katana says SalesOrderRow 7 does not exist (or this API key cannot see it). Nothing was changed. Check the id and the resource_type: a sales order row id is not a sales order id, and a manufacturing order id is not its order number.
(Katana answered 422 UnprocessableEntityError: No entity found)\
""", 'not_found_404': """\
Katana says SalesOrderRow 7 does not exist (or this API key cannot see it). Nothing was changed. Check the id and the resource_type: a sales order row id is not a sales order id, and a manufacturing order id is not its order number.
(Katana answered 404 SalesOrderRow 7 not found)\
""", 'validation': """\
Katana rejected the request as invalid, so nothing was changed: resource_type: must be equal to one of the allowed values (allowed values: A, B).
(Katana answered 422 invalid)\
""", 'unknown_strings': """\
Katana refused the whole call because at least one string exists nowhere in this account; a transfer only moves strings already minted. Nothing was changed. None moved to SalesOrderRow 7. Mint the unknown strings first on a manufacturing order (ManufacturingOrder) or purchase order row (PurchaseOrderRow) (or fix their spelling); find_serial_numbers says which strings exist and where.
(Katana answered 422 serial numbers not found)\
""", 'linked_row': """\
SalesOrderRow 7 is linked to a make-to-order manufacturing order, so Katana accepts serial numbers only on that manufacturing order. Nothing was changed. Add them to the linked manufacturing order instead.
(Katana answered 422 SalesOrderRow 7 is linked, serial info must be updated on MO)\
""", 'other_rule': """\
Katana refused the call for a business reason. Nothing was changed.
(Katana answered 422 something new)\
""", 'auth': """\
Katana rejected the API key, so nothing was changed. Set a valid key in the KATANA_API_KEY environment variable of this server (Katana: Settings > API) and restart it.
(Katana answered 401 Unauthorized)\
""", 'rate_limited': """\
Katana's rate limit for this key is used up (this server paces itself to 45 requests per minute), and Katana asked to wait about 90 seconds. Katana refused the request, so nothing was changed. Wait about 90 seconds (until <time>) and try again.
(Katana answered 429 Too Many Requests)\
""", 'server_read': """\
This read failed; a read changes nothing. Try again in a moment.
(Katana answered 500 Internal Server Error)\
""", 'never_connected': """\
The request never reached Katana. Nothing was changed.
(Katana gave no answer: the connection to Katana could not be opened (sent 4 times))\
""", 'deadline': "The call's deadline passed while waiting for Katana's rate budget, so the request was not sent. Nothing was changed. Try again in a minute.", 'unstable': 'The listing kept changing while its pages were read (someone is changing SalesOrderRow 7 right now): no two of three reads in a row agreed, so it proves nothing. This read changed nothing. Try again in a moment.', 'conflict': """\
Katana refused the request. Nothing was changed.
(Katana answered 409 Conflict)\
""", 'too_many_pages': 'SalesOrderRow 7 has more serial numbers than one call reads, so this read proves nothing and changed nothing. list_serial_numbers reads them page by page.', 'rate_limited_no_retry_after': """\
Katana's rate limit for this key is used up (this server paces itself to 45 requests per minute): Katana refused the request, so nothing was changed. Try again in a minute (after <time>).
(Katana answered 429 Too Many Requests)\
""", 'rate_limited_wait_longer': """\
Katana's rate limit for this key is used up (this server paces itself to 45 requests per minute), and Katana asked to wait about 90 seconds, longer than the 41 seconds this call had left. Katana refused the request each time it was sent, so nothing was changed. Wait about 90 seconds (until <time>) and try again.
(Katana answered 429 Too Many Requests (sent 3 times))\
""", 'rate_limited_deadline': """\
Katana's rate limit for this key is used up (this server paces itself to 45 requests per minute): Katana refused the request each time it was sent, waiting between sends as it asked, until this call's time ran out, so nothing was changed. Try again in a minute (after <time>).
(Katana answered 429 Too Many Requests (sent 9 times))\
"""})


@pytest.mark.parametrize("name", list(ERRORS))
def test_whole_call_failures_are_explained_in_full(name: str) -> None:
    import re

    said = whole_call(ERRORS[name], "SalesOrderRow 7", rate_limit=45)
    assert re.sub(r"\b\d\d:\d\d:\d\d UTC\b", "<time>", said) == EXPECTED[name]
